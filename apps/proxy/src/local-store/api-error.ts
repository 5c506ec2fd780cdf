import type { ApiError } from '@otsdb/protocol';

/**
 * A request the store refuses, carried as a value: the HTTP status, OpenTSDB's message and the
 * optional `details` a TSD puts next to it (`@otsdb/protocol`'s ApiError, written with its
 * errorEnvelope).
 */
export type { ApiError };

export function apiError(status: number, message: string, details?: string): ApiError {
  return details === undefined || details === '' ? { status, message } : { status, message, details };
}

export function badRequest(message: string, details?: string): ApiError {
  return apiError(400, message, details);
}

/** `NoSuchUniqueName`'s text: what a TSD says for a metric, tag key or tag value it never saw. */
export function noSuchName(kind: 'metrics' | 'tagk' | 'tagv', name: string): ApiError {
  const message = "No such name for '" + kind + "': '" + name + "'";
  return apiError(400, message, message);
}

/** Internal control flow while parsing a request: thrown and caught inside this module only. */
export class ApiErrorSignal extends Error {
  readonly error: ApiError;
  constructor(error: ApiError) {
    super(error.message);
    this.error = error;
  }
}

export function fail(status: number, message: string, details?: string): never {
  throw new ApiErrorSignal(apiError(status, message, details));
}
