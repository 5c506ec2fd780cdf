/**
 * A request the store refuses, carried as a value: the HTTP status, OpenTSDB's message and the
 * optional `details` a TSD puts next to it.
 */
export interface ApiError {
  status: number;
  message: string;
  details?: string;
}

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

/**
 * OpenTSDB's error body: `{"error":{"code":400,"message":"...","details":"..."}}`, with `details`
 * only when there are any (HttpSerializer.formatErrorV1).
 */
export function errorEnvelope(error: ApiError): string {
  let out = '{"error":{"code":' + error.status + ',"message":' + JSON.stringify(error.message);
  if (error.details !== undefined && error.details !== '')
    out += ',"details":' + JSON.stringify(error.details);
  return out + '}}';
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
