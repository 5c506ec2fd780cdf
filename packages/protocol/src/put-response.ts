import type { ApiError, IndexedPointError } from './put-body.js';

export type PutResponseMode = 'plain' | 'summary' | 'details';

export interface PutOutcome {
  success: number;
  failed: number;
  /** Rejected entries; only written in `details` mode. */
  errors: readonly IndexedPointError[];
}

export interface PutReply {
  status: number;
  /** JSON text, or undefined for 204 No Content. */
  body: string | undefined;
}

/** OpenTSDB's texts for a plain `/api/put` with rejected points. */
export const PUT_ERRORS_MESSAGE = 'One or more data points had errors';
export const PUT_ERRORS_DETAILS = 'Please see the TSD logs or append "details" to the put request';

/**
 * The reply a TSD sends to `/api/put` (`PutDataPointRpc`). `plain` (no query flag): 204 without a
 * body when every point was accepted, else 400 with the error envelope. `summary` (`?summary`):
 * `{"success":N,"failed":M}`; `details` (`?details`, which wins over summary): the same plus
 * `"errors":[{"datapoint":...,"error":"..."}]`; both 200, or 400 when any point failed. Keys are in
 * the order a Java 8+ TSD writes them (its `HashMap` order); JSON readers do not care.
 */
export function putResponse(mode: PutResponseMode, outcome: PutOutcome): PutReply {
  if (mode === 'plain') {
    if (outcome.failed > 0) {
      return {
        status: 400,
        body: errorEnvelope({ status: 400, message: PUT_ERRORS_MESSAGE, details: PUT_ERRORS_DETAILS }),
      };
    }
    return { status: 204, body: undefined };
  }
  let body = '{"success":' + outcome.success + ',"failed":' + outcome.failed;
  if (mode === 'details') {
    body += ',"errors":[';
    for (let i = 0; i < outcome.errors.length; i++) {
      const e = outcome.errors[i]!;
      if (i > 0) body += ',';
      body += '{"datapoint":' + writeJson(e.datapoint) + ',"error":' + jsonString(e.error.message) + '}';
    }
    body += ']';
  }
  body += '}';
  return { status: outcome.failed > 0 ? 400 : 200, body };
}

/**
 * OpenTSDB's error body: `{"error":{"code":400,"message":"...","details":"..."}}`, `details` left
 * out when empty, strings escaped as `HttpQuery.escapeJson` does.
 */
export function errorEnvelope(error: ApiError): string {
  let out = '{"error":{"code":' + error.status + ',"message":' + jsonString(error.message);
  if (error.details !== undefined && error.details !== '') out += ',"details":' + jsonString(error.details);
  return out + '}}';
}

/** Reads a `?summary` or `?details` reply. Undefined when the body is not one. Never throws. */
export function decodePutResponse(body: string):
  | {
      success: number;
      failed: number;
      timeouts?: number;
      errors: { datapoint: unknown; error: string }[];
    }
  | undefined {
  const parsed = safeParse(body);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const o = parsed as Record<string, unknown>;
  if (!isCount(o.success) || !isCount(o.failed)) return undefined;
  const errors: { datapoint: unknown; error: string }[] = [];
  if (o.errors !== undefined) {
    if (!Array.isArray(o.errors)) return undefined;
    for (const e of o.errors as unknown[]) {
      if (typeof e !== 'object' || e === null) return undefined;
      const entry = e as Record<string, unknown>;
      errors.push({ datapoint: entry.datapoint, error: typeof entry.error === 'string' ? entry.error : '' });
    }
  }
  const out: { success: number; failed: number; timeouts?: number; errors: typeof errors } = {
    success: o.success,
    failed: o.failed,
    errors,
  };
  if (isCount(o.timeouts)) out.timeouts = o.timeouts;
  return out;
}

/** Reads OpenTSDB's error envelope. Undefined when the body is not one. Never throws. */
export function decodeErrorEnvelope(body: string): ApiError | undefined {
  const parsed = safeParse(body);
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const inner = (parsed as Record<string, unknown>).error;
  if (typeof inner !== 'object' || inner === null) return undefined;
  const e = inner as Record<string, unknown>;
  if (typeof e.code !== 'number' || typeof e.message !== 'string') return undefined;
  const out: ApiError = { status: e.code, message: e.message };
  if (typeof e.details === 'string' && e.details !== '') out.details = e.details;
  return out;
}

function safeParse(body: string): unknown {
  if (typeof body !== 'string') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/**
 * A JSON string as OpenTSDB's `HttpQuery.escapeJson` writes it: `"` `\` and the short escapes,
 * other control characters as `\u00XX` (upper-case hex), everything else as is.
 */
export function jsonString(s: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 32 && c !== 34 && c !== 92) continue;
    out += s.slice(from, i);
    from = i + 1;
    switch (c) {
      case 34:
        out += '\\"';
        break;
      case 92:
        out += '\\\\';
        break;
      case 8:
        out += '\\b';
        break;
      case 12:
        out += '\\f';
        break;
      case 10:
        out += '\\n';
        break;
      case 13:
        out += '\\r';
        break;
      case 9:
        out += '\\t';
        break;
      default:
        out += '\\u00' + (c < 16 ? '0' : '1') + (c & 15).toString(16).toUpperCase();
    }
  }
  return out + s.slice(from) + '"';
}

/** JSON for echoed datapoints: plain data with bigints written as exact integers. */
function writeJson(v: unknown, depth = 0): string {
  if (depth > 64) return 'null';
  switch (typeof v) {
    case 'string':
      return jsonString(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : jsonString(String(v));
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) return '[' + v.map((x) => writeJson(x, depth + 1)).join(',') + ']';
      let out = '{';
      let first = true;
      for (const [k, x] of Object.entries(v)) {
        if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
        if (!first) out += ',';
        first = false;
        out += jsonString(k) + ':' + writeJson(x, depth + 1);
      }
      return out + '}';
    }
    default:
      return 'null';
  }
}
