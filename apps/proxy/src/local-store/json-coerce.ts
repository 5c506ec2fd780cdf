/**
 * Jackson's scalar coercions, as a TSD applies them when it maps a JSON body onto its query
 * objects: numbers become strings where a string is expected, "true"/"false" strings and numbers
 * become booleans, and `null` leaves the field unset. A value that cannot be coerced makes the
 * whole body unparseable ("Unable to parse the given JSON").
 */

import { fail } from './api-error.js';

export class JsonShapeError extends Error {}

/**
 * A request body as a TSD's JSON endpoints read it: an empty body, text that is not JSON, and a
 * value `map` cannot coerce (it throws JsonShapeError) each fail with the 400 a TSD sends.
 */
export function parseJsonBody<T>(body: string, map: (json: unknown) => T): T {
  if (body.trim() === '') {
    fail(400, 'Missing message content', 'Supply valid JSON formatted data in the body of your request');
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    fail(400, 'Unable to parse the given JSON', (e as Error).message);
  }
  try {
    return map(json);
  } catch (e) {
    if (e instanceof JsonShapeError) fail(400, 'Unable to parse the given JSON', e.message);
    throw e;
  }
}

export function asString(value: unknown, field: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new JsonShapeError(
    `Cannot deserialize value of type \`java.lang.String\` from ${kind(value)} (${field})`,
  );
}

export function asBoolean(value: unknown, field: string): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') {
    if (value === 'true' || value === 'True' || value === 'TRUE') return true;
    if (value === 'false' || value === 'False' || value === 'FALSE' || value === '') return false;
    throw new JsonShapeError(
      `Cannot deserialize value of type \`boolean\` from String "${value}": only "true" or "false" recognized (${field})`,
    );
  }
  throw new JsonShapeError(`Cannot deserialize value of type \`boolean\` from ${kind(value)} (${field})`);
}

/** A Java `long` field: integers (floats truncate, as Jackson allows) or integer strings. */
export function asLong(value: unknown, field: string): bigint | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) {
    const v = BigInt(Math.trunc(value));
    if (v <= 9223372036854775807n && v >= -9223372036854775808n) return v;
  }
  if (typeof value === 'string' && /^[+-]?[0-9]{1,19}$/.test(value)) {
    const v = BigInt(value);
    if (v <= 9223372036854775807n && v >= -9223372036854775808n) return v;
  }
  throw new JsonShapeError(`Cannot deserialize value of type \`long\` from ${kind(value)} (${field})`);
}

/** A Java `int` field. */
export function asInt(value: unknown, field: string): number | undefined {
  const v = asLong(value, field);
  if (v === undefined) return undefined;
  if (v > 2147483647n || v < -2147483648n) {
    throw new JsonShapeError(`Numeric value (${v}) out of range of int (${field})`);
  }
  return Number(v);
}

export function asObject(value: unknown, field: string): Record<string, unknown> | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new JsonShapeError(`Cannot deserialize an object from ${kind(value)} (${field})`);
}

export function asArray(value: unknown, field: string): unknown[] | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return value;
  throw new JsonShapeError(`Cannot deserialize a list from ${kind(value)} (${field})`);
}

export function asStringMap(value: unknown, field: string): Map<string, string> | undefined {
  const obj = asObject(value, field);
  if (obj === undefined) return undefined;
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(obj)) {
    const s = asString(v, field + '.' + k);
    if (s !== undefined) out.set(k, s);
  }
  return out;
}

function kind(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' ? `String "${value}"` : typeof value;
}
