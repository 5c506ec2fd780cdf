import { checkAddPoint, type TagEntries } from './add-point-rules.js';
import { firstIllegalChar } from './charset.js';
import type { DataPoint, MetricValue } from './data-point.js';
import { type PointError, printable } from './errors.js';
import { parseJavaLong } from './java-long.js';
import { type ProtocolOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { MAX_MILLIS } from './timestamp.js';
import { parseValueText } from './value.js';

/**
 * Checks a point built in code (a collector, a mapping, a transform) against the rules a TSD
 * applies in `TSDB.addPoint`, with its messages: positive timestamp of at most 13 digits, finite
 * value or signed 64-bit integer, 1..maxTags tags (0 allowed with `tagsOptional`), and OpenTSDB's
 * character set in metric, tag keys and tag values. A `valueText` must spell the same value,
 * since formatters write it instead of `value`. Returns undefined for a valid point.
 *
 * Never throws for any point: callers hand it untrusted objects. Values of the wrong type are
 * described without calling their `toString`, and a point whose reading throws (a getter, a
 * proxy) is refused as `invalid_line`. Only bad `options` throw (`ProtocolError`).
 */
export function validatePoint(point: DataPoint, options?: ProtocolOptions): PointError | undefined {
  const opts = resolveOptions(options);
  try {
    return checkPoint(point, opts);
  } catch (err) {
    return {
      code: 'invalid_line',
      message: 'not a datapoint: reading it threw ' + thrownText(err),
      value: 'an object',
      detail:
        'a datapoint is an object with metric, timestamp, value and tags fields; reading one of them threw',
    };
  }
}

function checkPoint(point: DataPoint, opts: ResolvedOptions): PointError | undefined {
  if (typeof point !== 'object' || point === null) {
    return { code: 'invalid_line', message: 'not a datapoint: ' + printable(point), value: printable(point) };
  }
  const { metric, timestamp, value, tags, valueText } = point;
  if (typeof metric !== 'string' || metric.length === 0) {
    return {
      code: 'invalid_metric',
      message: 'empty metric name',
      value: printable(metric),
      detail: `metric must be a non-empty string, got ${describe(metric)}`,
    };
  }
  if (typeof timestamp !== 'number' || !Number.isInteger(timestamp) || timestamp <= 0) {
    return {
      code: 'invalid_timestamp',
      message: 'invalid timestamp: ' + printable(timestamp),
      value: printable(timestamp),
      detail: `timestamp of ${metric} must be a positive integer (seconds or milliseconds), got ${describe(timestamp)}`,
    };
  }
  let float: boolean;
  if (typeof value === 'bigint') {
    const range = parseJavaLong(value.toString());
    if (!range.ok) {
      return {
        code: 'invalid_value',
        message: range.message,
        category: 'invalid_value',
        value: value.toString(),
        detail: `value ${value} of ${metric} is outside signed 64-bit integers`,
      };
    }
    float = false;
  } else if (typeof value === 'number') {
    float = !Number.isSafeInteger(value);
  } else {
    return {
      code: 'invalid_value',
      message: 'empty value',
      value: printable(value),
      detail: `value of ${metric} must be a number or a bigint, got ${describe(value)}`,
    };
  }
  if (valueText !== undefined) {
    const problem = checkValueText(valueText, value, metric);
    if (problem !== undefined) return problem;
  }
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) {
    return {
      code: 'missing_tags',
      message: 'Need at least one tag (metric=' + metric + ', tags={})',
      value: printable(tags),
      detail: `tags of ${metric} must be an object of strings, got ${describe(tags)}`,
    };
  }
  const keys = Object.keys(tags);
  for (const k of keys) {
    const v: unknown = tags[k];
    if (typeof v !== 'string') {
      return {
        code: 'invalid_tag',
        message: 'Invalid tag value with key [' + k + ']: ' + (v === '' ? 'empty string' : 'null'),
        value: printable(v),
        detail: `tag value of ${k} must be a string, got ${describe(v)}`,
      };
    }
  }

  // Plainly valid points (nearly all) are accepted without building OpenTSDB's messages.
  if (
    (!float || Number.isFinite(value)) &&
    timestamp <= MAX_MILLIS &&
    keys.length <= opts.maxTags &&
    (keys.length > 0 || opts.tagsOptional) &&
    firstIllegalChar(metric, opts) < 0 &&
    tagsAreClean(tags, keys, opts)
  ) {
    return undefined;
  }
  const entries: TagEntries = keys.map((k) => [k, tags[k]!] as const);
  return checkAddPoint(metric, timestamp, value, float, entries, opts);
}

function tagsAreClean(tags: Record<string, string>, keys: readonly string[], opts: ResolvedOptions): boolean {
  for (const k of keys) {
    const v = tags[k]!;
    if (k.length === 0 || v.length === 0) return false;
    if (firstIllegalChar(k, opts) >= 0 || firstIllegalChar(v, opts) >= 0) return false;
  }
  return true;
}

function checkValueText(valueText: unknown, value: MetricValue, metric: string): PointError | undefined {
  if (typeof valueText !== 'string' || valueText.length === 0) {
    return {
      code: 'invalid_value',
      message: 'empty value',
      value: printable(valueText),
      detail: `valueText of ${metric} must be a non-empty string, got ${describe(valueText)}`,
    };
  }
  const parsed = parseValueText(valueText);
  if (!parsed.ok) {
    return {
      code: 'invalid_value',
      message: parsed.message,
      category: 'invalid_value',
      value: valueText,
      detail: parsed.detail,
    };
  }
  if (!sameValue(parsed.value, value)) {
    return {
      code: 'invalid_value',
      message: 'For input string: "' + valueText + '"',
      category: 'invalid_value',
      value: valueText,
      detail: `valueText ${JSON.stringify(valueText)} of ${metric} does not spell its value ${String(value)} (stale after a transform?)`,
    };
  }
  return undefined;
}

function sameValue(a: MetricValue, b: MetricValue): boolean {
  // A valueText never reads as NaN, so plain equality is enough.
  if (typeof a === typeof b) return a === b;
  // A small bigint or an integral number on one side: compare exactly.
  const n = typeof a === 'number' ? a : (b as number);
  const big = typeof a === 'bigint' ? a : (b as bigint);
  return Number.isInteger(n) && BigInt(n) === big;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return v + 'n';
  if (v === null) return 'null';
  if (typeof v === 'object' || typeof v === 'function') return printable(v);
  return `${typeof v} ${String(v)}`;
}

function thrownText(err: unknown): string {
  try {
    return err instanceof Error ? String(err.message) : printable(err);
  } catch {
    return 'something unreadable';
  }
}
