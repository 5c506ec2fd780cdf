/**
 * Stable error codes. Callers switch on `code`, never on message text.
 *
 * - `invalid_config`: the options passed to the client are wrong (thrown, a programming error).
 * - `invalid_point`: a point failed validation (returned as a value, never thrown).
 * - `queue_full`: the bounded queue had no room under the `reject`/`drop_newest` policy, or for a
 *   `write()` transaction.
 * - `dropped`: a queued point was discarded to make room (`drop_oldest`).
 * - `closed`: the client is closed or closed before the point was delivered.
 * - `connect_failed`: a TCP/TLS connection could not be established.
 * - `connection_lost`: an established connection failed while points were being written.
 * - `timeout`: a connect, write or request took longer than its deadline.
 * - `http_status`: the TSD answered with an HTTP status that is not 2xx.
 * - `rejected`: the TSD refused points for good (a 4xx other than 429); never retried.
 * - `check_host_failed`: `checkHost` could not reach one or more hosts.
 */
export type ClientErrorCode =
  | 'invalid_config'
  | 'invalid_point'
  | 'queue_full'
  | 'dropped'
  | 'closed'
  | 'connect_failed'
  | 'connection_lost'
  | 'timeout'
  | 'http_status'
  | 'rejected'
  | 'check_host_failed';

export interface ClientErrorOptions {
  cause?: unknown;
  /** `host:port` the error concerns, when there is one. */
  host?: string | undefined;
  /** HTTP status, for `http_status` and `rejected` from an HTTP TSD. */
  status?: number | undefined;
}

export class ClientError extends Error {
  override readonly name = 'ClientError';
  readonly code: ClientErrorCode;
  readonly host: string | undefined;
  readonly status: number | undefined;

  constructor(code: ClientErrorCode, message: string, options: ClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.host = options.host;
    this.status = options.status;
  }
}

/** A short, credential-free description of a low-level failure (`ECONNREFUSED`, a TLS reason...). */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    const text = cause.message || cause.name;
    return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
  }
  try {
    return String(cause);
  } catch {
    return typeof cause;
  }
}
