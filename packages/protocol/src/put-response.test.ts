import { describe, expect, it } from 'vitest';
import {
  decodeErrorEnvelope,
  decodePutResponse,
  errorEnvelope,
  jsonString,
  putResponse,
} from './put-response.js';

describe('putResponse (as PutDataPointRpc answers /api/put)', () => {
  it('plain: 204 without body when all were stored', () => {
    expect(putResponse('plain', { success: 3, failed: 0, errors: [] })).toEqual({
      status: 204,
      body: undefined,
    });
  });

  it('plain: 400 with the error envelope when any failed', () => {
    expect(putResponse('plain', { success: 2, failed: 1, errors: [] })).toEqual({
      status: 400,
      body: '{"error":{"code":400,"message":"One or more data points had errors","details":"Please see the TSD logs or append \\"details\\" to the put request"}}',
    });
  });

  it('summary: 200 or 400 with counts (keys in a Java 8+ TSD order)', () => {
    expect(putResponse('summary', { success: 3, failed: 0, errors: [] })).toEqual({
      status: 200,
      body: '{"success":3,"failed":0}',
    });
    expect(putResponse('summary', { success: 0, failed: 1, errors: [] })).toEqual({
      status: 400,
      body: '{"success":0,"failed":1}',
    });
  });

  it('details: errors with datapoint and message', () => {
    expect(putResponse('details', { success: 1, failed: 0, errors: [] })).toEqual({
      status: 200,
      body: '{"success":1,"failed":0,"errors":[]}',
    });
    const reply = putResponse('details', {
      success: 0,
      failed: 1,
      errors: [
        {
          index: 0,
          datapoint: { metric: 'sys.cpu.nice', timestamp: 1365465600, value: 'NaN', tags: { host: 'web01' } },
          error: { code: 'invalid_value', message: 'Unable to parse value to a number' },
        },
      ],
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toBe(
      '{"success":0,"failed":1,"errors":[{"datapoint":{"metric":"sys.cpu.nice","timestamp":1365465600,"value":"NaN","tags":{"host":"web01"}},"error":"Unable to parse value to a number"}]}',
    );
    expect(JSON.parse(reply.body!)).toMatchObject({ failed: 1 });
  });
});

describe('errorEnvelope', () => {
  it('leaves out empty details and escapes as HttpQuery.escapeJson', () => {
    expect(errorEnvelope({ status: 400, message: 'Missing request content' })).toBe(
      '{"error":{"code":400,"message":"Missing request content"}}',
    );
    expect(errorEnvelope({ status: 400, message: 'a', details: '' })).toBe(
      '{"error":{"code":400,"message":"a"}}',
    );
    expect(errorEnvelope({ status: 413, message: 'q"\\\n\t\u0001\u001f', details: 'é' })).toBe(
      '{"error":{"code":413,"message":"q\\"\\\\\\n\\t\\u0001\\u001F","details":"é"}}',
    );
  });

  it('jsonString output is valid JSON for every control character', () => {
    let s = '';
    for (let c = 0; c < 0x20; c++) s += String.fromCharCode(c);
    expect(JSON.parse(jsonString(s + '"\\/'))).toBe(s + '"\\/');
  });
});

describe('decodePutResponse / decodeErrorEnvelope', () => {
  it('reads summary and details replies', () => {
    expect(decodePutResponse('{"success":3,"failed":0}')).toEqual({ success: 3, failed: 0, errors: [] });
    expect(
      decodePutResponse(
        '{"failed":1,"success":0,"errors":[{"datapoint":{"metric":"m"},"error":"Missing tags"}]}',
      ),
    ).toEqual({
      success: 0,
      failed: 1,
      errors: [{ datapoint: { metric: 'm' }, error: 'Missing tags' }],
    });
    expect(decodePutResponse('{"success":1,"failed":0,"timeouts":2}')).toEqual({
      success: 1,
      failed: 0,
      timeouts: 2,
      errors: [],
    });
  });

  it('returns undefined for anything else, never throws', () => {
    for (const body of [
      '',
      'x',
      '[]',
      'null',
      '{"success":"1","failed":0}',
      '{"success":1}',
      '{"success":1,"failed":0,"errors":{}}',
      '{"error":{"code":400,"message":"m"}}',
    ]) {
      expect(decodePutResponse(body), body).toBeUndefined();
    }
    expect(decodePutResponse(undefined as unknown as string)).toBeUndefined();
  });

  it('reads the error envelope', () => {
    expect(decodeErrorEnvelope('{"error":{"code":400,"message":"m","details":"d","trace":"..."}}')).toEqual({
      status: 400,
      message: 'm',
      details: 'd',
    });
    expect(decodeErrorEnvelope('{"error":{"code":400,"message":"m"}}')).toEqual({
      status: 400,
      message: 'm',
    });
    expect(decodeErrorEnvelope('{"success":1,"failed":0}')).toBeUndefined();
    expect(decodeErrorEnvelope('garbage')).toBeUndefined();
  });
});
