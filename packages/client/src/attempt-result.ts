import type { ClientError } from './errors.js';

/**
 * The outcome of one delivery attempt, as a value. `retryable` carries the server's
 * Retry-After when it gave one; the retry wrapper decides how long to wait otherwise.
 */
export type AttemptResult<T> =
  | { kind: 'success'; value: T }
  | { kind: 'failure'; error: ClientError }
  | { kind: 'retryable'; error: ClientError; retryAfterMs: number | undefined };

export function success<T>(value: T): AttemptResult<T> {
  return { kind: 'success', value };
}

export function failure<T = never>(error: ClientError): AttemptResult<T> {
  return { kind: 'failure', error };
}

export function retryable<T = never>(error: ClientError, retryAfterMs?: number): AttemptResult<T> {
  return { kind: 'retryable', error, retryAfterMs };
}
