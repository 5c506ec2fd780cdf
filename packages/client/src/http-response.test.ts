import { describe, expect, it } from 'vitest';
import { classifyPutResponse } from './http-response.js';

const host = 'tsd:4242';

describe('classifyPutResponse', () => {
  it.each([200, 204])('%i is success for the whole batch', (status) => {
    expect(classifyPutResponse({ status, retryAfter: undefined, body: '' }, host, 5)).toEqual({
      kind: 'success',
      value: { accepted: 5, rejected: 0, errors: [] },
    });
  });

  it('200 with a details summary of no failures is plain success', () => {
    const body = '{"success":5,"failed":0,"errors":[]}';
    expect(classifyPutResponse({ status: 200, retryAfter: undefined, body }, host, 5)).toMatchObject({
      kind: 'success',
      value: { accepted: 5, rejected: 0 },
    });
  });

  it.each([408, 429, 500, 502, 503, 504])('%i is retryable', (status) => {
    const result = classifyPutResponse({ status, retryAfter: '3', body: 'x' }, host, 5);
    expect(result).toMatchObject({
      kind: 'retryable',
      retryAfterMs: 3000,
      error: { code: 'http_status', status, host },
    });
  });

  it.each([400, 401, 403, 404, 405, 413])('%i without details refuses the batch for good', (status) => {
    const body =
      '{"error":{"code":400,"message":"One or more data points had errors","details":"Please see the TSD logs"}}';
    const result = classifyPutResponse({ status, retryAfter: undefined, body }, host, 5);
    expect(result).toMatchObject({ kind: 'failure', error: { code: 'rejected', status } });
    if (result.kind === 'failure')
      expect(result.error.message).toContain('One or more data points had errors');
  });

  it('413 hints at batchSize', () => {
    const result = classifyPutResponse({ status: 413, retryAfter: undefined, body: '' }, host, 5);
    expect(result.kind === 'failure' && result.error.message).toMatch(/batchSize/);
  });

  it('400 with details: the listed points are refused, the rest stored', () => {
    const body = JSON.stringify({
      success: 3,
      failed: 2,
      errors: [
        { datapoint: { metric: 'x' }, error: 'Unknown metric' },
        { datapoint: { metric: 'y' }, error: 'Invalid timestamp' },
      ],
    });
    expect(classifyPutResponse({ status: 400, retryAfter: undefined, body }, host, 5)).toEqual({
      kind: 'success',
      value: {
        accepted: 3,
        rejected: 2,
        errors: [
          { datapoint: { metric: 'x' }, error: 'Unknown metric' },
          { datapoint: { metric: 'y' }, error: 'Invalid timestamp' },
        ],
      },
    });
  });
});
