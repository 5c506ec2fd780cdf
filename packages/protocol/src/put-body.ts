import { checkAddPoint, sortedTags, type TagEntries } from './add-point-rules.js';
import { firstIllegalChar } from './charset.js';
import type { DataPoint, Tags } from './data-point.js';
import { type PointError, ProtocolError } from './errors.js';
import { javaHashMapOrder } from './java-map.js';
import { JsonReader, JsonSyntaxError } from './json-reader.js';
import { type ProtocolOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { createTags, plainOwnKeysOnly, tagsFromSorted } from './tags.js';
import { MAX_MILLIS } from './timestamp.js';
import { formatValue, parseValueText } from './value.js';

/** A whole-request failure, as OpenTSDB's `BadRequestException`: status, message, details. */
export interface ApiError {
  status: number;
  message: string;
  details?: string;
}

/** One rejected entry of a body: its array index, what a TSD would echo back, and why. */
export interface IndexedPointError {
  index: number;
  /** The entry as OpenTSDB echoes it in `?details` replies: `{metric, timestamp, value, tags}`. */
  datapoint: unknown;
  error: PointError;
}

export type DecodePutBodyResult =
  | { ok: true; points: DataPoint[]; indices: number[]; errors: IndexedPointError[] }
  | { ok: false; error: ApiError };

/** Thrown inside the decoder when an entry has a shape Jackson would refuse for the whole body. */
class ShapeError extends Error {}

const decoder = new TextDecoder('utf-8');
const MIN_LONG = -(2n ** 63n);
const MAX_LONG = 2n ** 63n - 1n;

/**
 * Decodes an `/api/put` body (one object or an array of them) with OpenTSDB's rules, keeping
 * numbers exact (a value of 9007199254740993 stays a bigint). Like a TSD, bad entries are reported
 * one by one with their index and the good ones kept; a body that is not JSON, not an object or
 * array, empty, or holds an entry of a shape OpenTSDB's Jackson cannot map (a boolean timestamp,
 * an array as metric, a number as an entry) fails as a whole. Never throws.
 *
 * What a TSD (Jackson) accepts and this follows: numbers or strings for `metric` and `value`
 * (`true`/`false` read as text), a number or numeric string for `timestamp` (a float is
 * truncated, `null` or `""` count as 0), `null` for a missing field, and unknown fields ignored.
 */
export function decodePutBody(body: string | Uint8Array, options?: ProtocolOptions): DecodePutBodyResult {
  const opts = resolveOptions(options);
  let text: string;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) text = decoder.decode(body);
  else return { ok: false, error: { status: 400, message: 'Missing request content' } };
  let start = 0;
  let end = text.length;
  // Java's String.trim(): everything up to U+0020 goes.
  while (start < end && text.charCodeAt(start) <= 32) start++;
  while (end > start && text.charCodeAt(end - 1) <= 32) end--;
  if (start === end) return { ok: false, error: { status: 400, message: 'Missing request content' } };
  const first = text.charCodeAt(start);
  if (first !== 123 && first !== 91) {
    return { ok: false, error: { status: 400, message: 'The JSON must start as an object or an array' } };
  }
  const reader = new JsonReader(end === text.length ? text : text.slice(0, end), start);
  const points: DataPoint[] = [];
  const indices: number[] = [];
  const errors: IndexedPointError[] = [];
  try {
    if (first === 123) {
      decodeEntry(reader, 0, opts, points, indices, errors);
    } else {
      reader.pos++;
      if (reader.peek() === 93) {
        reader.pos++;
      } else {
        for (let index = 0; ; index++) {
          decodeEntry(reader, index, opts, points, indices, errors);
          const next = reader.peek();
          reader.pos++;
          if (next === 93) break;
          if (next !== 44) {
            reader.pos--;
            throw reader.error("expected ',' or ']'");
          }
        }
      }
    }
    if (!reader.atEnd()) throw reader.error('unexpected data after the JSON value');
  } catch (e) {
    if (e instanceof JsonSyntaxError || e instanceof ShapeError) {
      return {
        ok: false,
        error: { status: 400, message: 'Unable to parse the given JSON', details: e.message },
      };
    }
    throw e;
  }
  if (points.length === 0 && errors.length === 0) {
    return { ok: false, error: { status: 400, message: 'No datapoints found in content' } };
  }
  return { ok: true, points, indices, errors };
}

interface RawEntry {
  metric: string | null;
  /** A number when it is a safe integer, else a bigint (still within signed 64 bits). */
  timestamp: number | bigint;
  value: string | null;
  tags: Array<[string, string | null]> | null;
}

function decodeEntry(
  reader: JsonReader,
  index: number,
  opts: ResolvedOptions,
  points: DataPoint[],
  indices: number[],
  errors: IndexedPointError[],
): void {
  const c = reader.peek();
  if (c === 110) {
    reader.readLiteral();
    errors.push({
      index,
      datapoint: null,
      error: {
        code: 'invalid_json',
        message: 'Unexpected null datapoint encountered in set.',
        value: 'null',
        detail: `entry ${index} is null`,
      },
    });
    return;
  }
  if (c !== 123) {
    if (c === 34 || c === 91 || c === 116 || c === 102 || c === 45 || (c >= 48 && c <= 57)) {
      throw new ShapeError(`entry ${index} must be an object, got ${kindAt(reader)}`);
    }
    throw reader.error('expected a value');
  }
  reader.pos++;
  const raw: RawEntry = { metric: null, timestamp: 0, value: null, tags: null };
  if (reader.peek() === 125) {
    reader.pos++;
  } else {
    for (;;) {
      if (reader.peek() !== 34) throw reader.error('expected a field name');
      const key = reader.readKey();
      reader.expect(58);
      switch (key) {
        case 'metric':
          raw.metric = readText(reader, index, 'metric');
          break;
        case 'timestamp':
          raw.timestamp = readTimestamp(reader, index);
          break;
        case 'value':
          raw.value = readText(reader, index, 'value');
          break;
        case 'tags':
          raw.tags = readTags(reader, index);
          break;
        default:
          reader.skipValue(1);
      }
      const next = reader.peek();
      reader.pos++;
      if (next === 125) break;
      if (next !== 44) {
        reader.pos--;
        throw reader.error("expected ',' or '}'");
      }
    }
  }
  const result = checkEntry(raw, opts);
  if (result.ok) {
    points.push(result.point);
    indices.push(index);
  } else {
    errors.push({ index, datapoint: echo(raw), error: result.error });
  }
}

/** A string field as Jackson reads it into a `String`: strings, number text, true/false, null. */
function readText(reader: JsonReader, index: number, field: string): string | null {
  const c = reader.peek();
  if (c === 34) return reader.readString();
  if (c === 116 || c === 102 || c === 110) {
    const lit = reader.readLiteral();
    return lit === null ? null : String(lit);
  }
  if (c === 123 || c === 91) {
    throw new ShapeError(`entry ${index}: "${field}" must be a string or a number, got ${kindAt(reader)}`);
  }
  return reader.readNumberText();
}

/** `timestamp` as Jackson reads it into a Java `long`. */
function readTimestamp(reader: JsonReader, index: number): number | bigint {
  const c = reader.peek();
  if (c === 34) {
    const text = javaTrim(reader.readString());
    if (text === '' || text === 'null') return 0;
    if (!isInteger(text, true)) {
      throw new ShapeError(`entry ${index}: "timestamp" string ${JSON.stringify(text)} is not an integer`);
    }
    return toLong(text, index);
  }
  if (c === 110) {
    reader.readLiteral();
    return 0;
  }
  if (c === 116 || c === 102 || c === 123 || c === 91) {
    throw new ShapeError(
      `entry ${index}: "timestamp" must be a number or a numeric string, got ${kindAt(reader)}`,
    );
  }
  const text = reader.readNumberText();
  if (isInteger(text, false)) return toLong(text, index);
  if (text === 'NaN') return 0;
  const last = text.charCodeAt(text.length - 1);
  if (last === 121 || last === 70) {
    throw new ShapeError(`entry ${index}: "timestamp" ${text} is out of range of long`);
  }
  // A float: Jackson truncates it toward zero (ACCEPT_FLOAT_AS_INT).
  const d = Math.trunc(Number(text));
  if (!(d >= -9.223372036854776e18 && d < 9.223372036854776e18)) {
    throw new ShapeError(`entry ${index}: "timestamp" ${text} is out of range of long`);
  }
  return Number.isSafeInteger(d) ? d : BigInt(d);
}

/** Optional sign (a leading `+` only in strings, as Java's Long.parseLong), then digits only. */
function isInteger(text: string, plusAllowed: boolean): boolean {
  let i = 0;
  const first = text.charCodeAt(0);
  if (first === 45 || (plusAllowed && first === 43)) i = 1;
  if (i === text.length) return false;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function toLong(text: string, index: number): number | bigint {
  if (text.length <= 15) return Number(text);
  const v = BigInt(text);
  if (v < MIN_LONG || v > MAX_LONG) {
    throw new ShapeError(`entry ${index}: "timestamp" ${text} is out of range of long`);
  }
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** `tags` as Jackson reads it into a `HashMap<String, String>`; later duplicate keys win. */
function readTags(reader: JsonReader, index: number): Array<[string, string | null]> | null {
  const c = reader.peek();
  if (c === 110) {
    reader.readLiteral();
    return null;
  }
  if (c !== 123) {
    if (c === 34 || c === 91 || c === 116 || c === 102 || c === 45 || (c >= 48 && c <= 57)) {
      throw new ShapeError(`entry ${index}: "tags" must be an object, got ${kindAt(reader)}`);
    }
    throw reader.error('expected a value');
  }
  reader.pos++;
  const entries: Array<[string, string | null]> = [];
  if (reader.peek() === 125) {
    reader.pos++;
    return entries;
  }
  for (;;) {
    if (reader.peek() !== 34) throw reader.error('expected a tag key');
    const k = reader.readKey();
    reader.expect(58);
    const v = readText(reader, index, 'tags.' + k);
    let replaced = false;
    for (const entry of entries) {
      if (entry[0] === k) {
        entry[1] = v;
        replaced = true;
        break;
      }
    }
    if (!replaced) entries.push([k, v]);
    const next = reader.peek();
    reader.pos++;
    if (next === 125) return entries;
    if (next !== 44) {
      reader.pos--;
      throw reader.error("expected ',' or '}'");
    }
  }
}

/** OpenTSDB's `IncomingDataPoint.validate`, value parsing, then `TSDB.addPoint`'s checks. */
function checkEntry(
  raw: RawEntry,
  opts: ResolvedOptions,
): { ok: true; point: DataPoint } | { ok: false; error: PointError } {
  const { metric, timestamp, value, tags } = raw;
  if (metric === null || metric === '') {
    return bad('invalid_metric', 'Metric name was empty', String(metric), 'the entry has no "metric"');
  }
  if (timestamp <= 0) {
    return bad(
      'invalid_timestamp',
      'Invalid timestamp',
      String(timestamp),
      `"timestamp" must be a positive integer (seconds or milliseconds), got ${timestamp}`,
    );
  }
  if (value === null || value === '') {
    return bad('invalid_value', 'Empty value', String(value), 'the entry has no "value"');
  }
  if (!opts.tagsOptional && (tags === null || tags.length === 0)) {
    return bad('missing_tags', 'Missing tags', metric, `${metric} has no tags; OpenTSDB needs at least one`);
  }
  const parsed = parseValueText(value);
  if (!parsed.ok) {
    return bad('invalid_value', 'Unable to parse value to a number', value, parsed.detail);
  }
  const entries: TagEntries = tags ?? [];
  const value_ = parsed.value;
  if (
    (!parsed.float || Number.isFinite(value_)) &&
    timestamp <= MAX_MILLIS &&
    firstIllegalChar(metric, opts) < 0
  ) {
    const clean = cleanSortedTags(entries, opts);
    if (clean !== undefined) {
      return {
        ok: true,
        point: { metric, timestamp: Number(timestamp), value: value_, tags: clean, valueText: value },
      };
    }
  }
  const problem = checkAddPoint(metric, timestamp, value_, parsed.float, entries, opts);
  if (problem !== undefined) return { ok: false, error: problem };
  return {
    ok: true,
    point: {
      metric,
      timestamp: Number(timestamp),
      value: value_,
      tags: sortedTags(entries),
      valueText: value,
    },
  };
}

// Scratch space for sorting one entry's tags (decoding is synchronous and never re-entered).
const sortKeys: string[] = [];
const sortValues: string[] = [];

/**
 * The entry's tags as an object in ascending key order when every rule is met (count, non-empty
 * names of allowed characters), else undefined so the exact rules can word the problem. Keys are
 * already distinct: `readTags` folds duplicates as a HashMap does.
 */
function cleanSortedTags(entries: TagEntries, opts: ResolvedOptions): Tags | undefined {
  const n = entries.length;
  if (n > opts.maxTags || (n === 0 && !opts.tagsOptional)) return undefined;
  for (let i = 0; i < n; i++) {
    const [k, v] = entries[i]!;
    if (
      v === null ||
      k === '' ||
      v === '' ||
      firstIllegalChar(k, opts) >= 0 ||
      firstIllegalChar(v, opts) >= 0
    ) {
      return undefined;
    }
    let at = i;
    while (at > 0 && sortKeys[at - 1]! > k) {
      sortKeys[at] = sortKeys[at - 1]!;
      sortValues[at] = sortValues[at - 1]!;
      at--;
    }
    sortKeys[at] = k;
    sortValues[at] = v;
  }
  return tagsFromSorted(sortKeys, sortValues, n);
}

function bad(
  code: PointError['code'],
  message: string,
  value: string,
  detail: string,
): { ok: false; error: PointError } {
  return { ok: false, error: { code, message, value, detail } };
}

/** The entry as Jackson serialises an `IncomingDataPoint`: nulls left out, tags in HashMap order. */
function echo(raw: RawEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (raw.metric !== null) out.metric = raw.metric;
  const ts = raw.timestamp;
  out.timestamp = ts >= -9007199254740991n && ts <= 9007199254740991n ? Number(ts) : ts;
  if (raw.value !== null) out.value = raw.value;
  if (raw.tags !== null) {
    const values = new Map(raw.tags);
    // Keys from the body: a null-prototype object keeps `__proto__` an ordinary key in the echo.
    const tags = createTags() as Record<string, string | null>;
    for (const k of javaHashMapOrder([...values.keys()])) tags[k] = values.get(k) ?? null;
    out.tags = tags;
  }
  return out;
}

/** What OpenTSDB echoes for a point in `?details` replies (value as text, tags in HashMap order). */
export function datapointEcho(point: DataPoint): Record<string, unknown> {
  const keys = javaHashMapOrder(Object.keys(point.tags));
  const tags = createTags();
  for (const k of keys) tags[k] = point.tags[k]!;
  return {
    metric: point.metric,
    timestamp: point.timestamp,
    value: point.valueText ?? formatValue(point.value),
    tags,
  };
}

function javaTrim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) <= 32) a++;
  while (b > a && s.charCodeAt(b - 1) <= 32) b--;
  return s.slice(a, b);
}

function kindAt(reader: JsonReader): string {
  const c = reader.text.charCodeAt(reader.pos);
  if (c === 34) return 'a string';
  if (c === 123) return 'an object';
  if (c === 91) return 'an array';
  if (c === 116 || c === 102) return 'a boolean';
  return 'a number';
}

// JSON numbers exactly as RFC 8259 spells them: a valueText in this form is written unchanged.
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/**
 * Encodes points as an `/api/put` JSON array. Values are written as JSON numbers: the point's
 * `valueText` when it is valid JSON number syntax (so `1.50` stays `1.50`), else the exact value
 * (bigints as their full digits). Tags are written in ascending key order. Throws `ProtocolError`
 * for a non-finite value, which has no JSON form (validate points first).
 */
export function encodePutBody(points: readonly DataPoint[]): string {
  let out = '[';
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    if (i > 0) out += ',';
    out +=
      '{"metric":' +
      quote(p.metric) +
      ',"timestamp":' +
      p.timestamp +
      ',"value":' +
      jsonValue(p) +
      ',"tags":{' +
      jsonTags(p.tags) +
      '}}';
  }
  return out + ']';
}

function jsonValue(p: DataPoint): string {
  const text = p.valueText;
  if (text !== undefined && JSON_NUMBER.test(text)) return text;
  const v = p.value;
  if (typeof v === 'number' && !Number.isFinite(v)) {
    throw new ProtocolError('invalid_point', `value of ${p.metric} is ${v}, which JSON cannot carry`);
  }
  return formatValue(v);
}

/** A JSON string literal; names rarely need escaping, so check before asking JSON.stringify. */
function quote(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return '"' + s + '"';
}

function jsonTags(tags: Tags): string {
  if (!plainOwnKeysOnly(tags)) return jsonTagsSorted(tags);
  let out = '';
  let previous = '';
  let first = true;
  for (const k in tags) {
    if (k < previous) return jsonTagsSorted(tags);
    out += (first ? '' : ',') + quote(k) + ':' + quote(tags[k]!);
    previous = k;
    first = false;
  }
  return out;
}

function jsonTagsSorted(tags: Tags): string {
  const keys = Object.keys(tags).sort();
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out += (i > 0 ? ',' : '') + quote(k) + ':' + quote(tags[k]!);
  }
  return out;
}
