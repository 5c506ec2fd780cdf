import { describeAllowedChars, validateStringMessage } from './charset.js';
import type { MetricValue, Tags } from './data-point.js';
import type { PointError } from './errors.js';
import { javaHashMapOrder, javaHashMapToString } from './java-map.js';
import type { ResolvedOptions } from './options.js';
import { tagsFromSorted } from './tags.js';
import { MAX_MILLIS, MAX_SECONDS } from './timestamp.js';
import { javaNonFiniteString, javaValueBytes } from './value.js';

/** Tag pairs in the order they were put into OpenTSDB's `HashMap` (values may be JSON nulls). */
export type TagEntries = ReadonlyArray<readonly [string, string | null]>;

/**
 * The checks of OpenTSDB's `TSDB.addPoint` in its order, once metric, timestamp and value have been
 * read: a float must be finite, the timestamp at most 13 digits, then the tag count, the metric's
 * characters and each tag's characters (in `HashMap` order, so the first one reported is the one a
 * TSD would report). Returns undefined when the point is acceptable.
 */
export function checkAddPoint(
  metric: string,
  timestamp: bigint | number,
  value: MetricValue,
  float: boolean,
  tags: TagEntries,
  opts: ResolvedOptions,
): PointError | undefined {
  if (float && typeof value === 'number' && !Number.isFinite(value)) {
    return {
      code: 'invalid_value',
      message:
        'value is NaN or Infinite: ' +
        javaNonFiniteString(value) +
        ' for metric=' +
        metric +
        ' timestamp=' +
        timestamp,
      value: javaNonFiniteString(value),
      detail: `value of ${metric} must be a finite number, got ${javaNonFiniteString(value)}`,
    };
  }
  if (timestamp > MAX_SECONDS && timestamp > MAX_MILLIS) {
    return {
      code: 'invalid_timestamp',
      message:
        'bad timestamp=' +
        timestamp +
        ' when trying to add value=' +
        javaValueBytes(value, float) +
        ' to metric=' +
        metric +
        ', tags=' +
        javaHashMapToString(tags),
      value: String(timestamp),
      detail: `timestamp ${timestamp} is beyond 13 digits (seconds up to 4294967295, else milliseconds up to ${MAX_MILLIS})`,
    };
  }
  return checkMetricAndTags(metric, tags, opts);
}

/** OpenTSDB's `IncomingDataPoints.checkMetricAndTags`. */
export function checkMetricAndTags(
  metric: string,
  tags: TagEntries,
  opts: ResolvedOptions,
): PointError | undefined {
  const count = distinctCount(tags);
  if (count === 0 && !opts.tagsOptional) {
    return {
      code: 'missing_tags',
      message: 'Need at least one tag (metric=' + metric + ', tags={})',
      value: metric,
      detail: `${metric} has no tags; OpenTSDB needs at least one tagk=tagv`,
    };
  }
  if (count > opts.maxTags) {
    return {
      code: 'too_many_tags',
      message:
        'Too many tags: ' +
        count +
        ' maximum allowed: ' +
        opts.maxTags +
        ', tags: ' +
        javaHashMapToString(tags),
      value: String(count),
      detail: `${metric} has ${count} tags, at most ${opts.maxTags} are allowed (tsd.storage.max_tags)`,
    };
  }
  const metricProblem = validateStringMessage('metric name', metric, opts);
  if (metricProblem !== undefined) {
    return {
      code: 'invalid_metric',
      message: metricProblem,
      value: metric,
      detail: `metric ${JSON.stringify(metric)} may only hold ${describeAllowedChars(opts)}`,
    };
  }
  if (count === 0) return undefined;
  const values = new Map<string, string | null>();
  for (const [k, v] of tags) values.set(k, v);
  for (const k of javaHashMapOrder([...values.keys()])) {
    const v = values.get(k) ?? null;
    const keyProblem = validateStringMessage('tag name with value [' + v + ']', k, opts);
    if (keyProblem !== undefined) {
      return {
        code: 'invalid_tag',
        message: keyProblem,
        value: k,
        detail: `tag key ${JSON.stringify(k)} may only hold ${describeAllowedChars(opts)}`,
      };
    }
    const valueProblem = validateStringMessage('tag value with key [' + k + ']', v, opts);
    if (valueProblem !== undefined) {
      return {
        code: 'invalid_tag',
        message: valueProblem,
        value: v ?? 'null',
        detail: `tag value ${JSON.stringify(v)} of ${k} may only hold ${describeAllowedChars(opts)}`,
      };
    }
  }
  return undefined;
}

function distinctCount(tags: TagEntries): number {
  if (tags.length < 2) return tags.length;
  return new Set(tags.map((t) => t[0])).size;
}

/** Tags as a fresh object with keys in ascending order (later duplicates win, as in a HashMap). */
export function sortedTags(entries: TagEntries): Tags {
  const values = new Map<string, string>();
  for (const [k, v] of entries) values.set(k, v ?? '');
  const keys = [...values.keys()].sort();
  return tagsFromSorted(
    keys,
    keys.map((k) => values.get(k)!),
    keys.length,
  );
}
