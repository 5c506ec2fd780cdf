import { decodePutResponse } from '@otsdb/protocol';
import { type AttemptResult, failure, retryable, success } from './attempt-result.js';
import { ClientError } from './errors.js';
import { parseRetryAfter } from './retry-after.js';
import type { DeliveryReport } from './transport.js';

export interface PutResponse {
  status: number;
  retryAfter: string | string[] | undefined;
  body: string;
}

/**
 * What an /api/put answer means for the batch:
 * - 2xx: delivered (a `?details` body may still list refused points).
 * - 400 with a `?details` body: the listed points were refused for good, the rest stored.
 * - 408, 429, 5xx: retryable, after Retry-After when the server gave one.
 * - any other status: the whole batch is refused for good (bad auth, wrong path, too large...).
 */
export function classifyPutResponse(
  response: PutResponse,
  host: string,
  batchSize: number,
): AttemptResult<DeliveryReport> {
  const { status, body } = response;
  if (status >= 200 && status < 300) {
    const details = body === '' ? undefined : decodePutResponse(body);
    if (details && details.failed > 0) return success(reportFrom(details, batchSize));
    return success({ accepted: batchSize, rejected: 0, errors: [] });
  }
  if (status === 408 || status === 429 || (status >= 500 && status <= 599)) {
    return retryable(
      new ClientError('http_status', `${host} answered ${status}${describeBody(body)}`, { host, status }),
      parseRetryAfter(response.retryAfter),
    );
  }
  if (status === 400) {
    const details = decodePutResponse(body);
    if (details && details.failed > 0) return success(reportFrom(details, batchSize));
  }
  const hint = status === 413 ? ' (request too large: lower batchSize)' : '';
  return failure(
    new ClientError('rejected', `${host} refused the batch with ${status}${hint}${describeBody(body)}`, {
      host,
      status,
    }),
  );
}

function reportFrom(
  details: { success: number; failed: number; errors: { datapoint: unknown; error: string }[] },
  batchSize: number,
): DeliveryReport {
  const rejected = Math.min(batchSize, details.failed);
  return {
    accepted: Math.max(0, Math.min(batchSize - rejected, details.success)),
    rejected,
    errors: details.errors.map((e) => ({ datapoint: e.datapoint, error: e.error })),
  };
}

/** `: <message>` from an OpenTSDB error envelope, or the start of the body. */
function describeBody(body: string): string {
  if (body === '') return '';
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown; details?: unknown } };
    const message = parsed?.error?.message;
    if (typeof message === 'string') {
      const details = typeof parsed.error?.details === 'string' ? ` (${parsed.error.details})` : '';
      return `: ${truncate(message + details)}`;
    }
  } catch {
    // not JSON: quote the text itself
  }
  return `: ${truncate(body.trim())}`;
}

function truncate(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}
