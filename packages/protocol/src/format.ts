import type { DataPoint, Tags } from './data-point.js';
import { plainOwnKeysOnly } from './tags.js';
import { formatValue } from './value.js';

/**
 * `<metric> <timestamp> <value> <tagk=tagv> ...` with tags in ascending key order. The point's
 * `valueText` is written when present (a proxy forwards what it received). No trailing newline.
 * The point is assumed valid (see `validatePoint`); nothing is escaped or checked here.
 */
export function formatCollectorLine(point: DataPoint): string {
  const text = point.valueText;
  return (
    point.metric +
    ' ' +
    point.timestamp +
    ' ' +
    (text === undefined ? formatValue(point.value) : text) +
    formatTags(point.tags)
  );
}

/** `put <metric> <timestamp> <value> <tagk=tagv> ...`, as a TSD reads it (no trailing newline). */
export function formatPutLine(point: DataPoint): string {
  return 'put ' + formatCollectorLine(point);
}

/**
 * ` k1=v1 k2=v2` in ascending key order. Parsed points already hold their tags in that order, so
 * the common case is one pass over the keys without allocating; any other order takes the sorting
 * path. Only own keys are written: an object with another prototype, or an `Object.prototype` with
 * enumerable properties (prototype pollution), also goes the slow, `Object.keys` way.
 */
function formatTags(tags: Tags): string {
  if (!plainOwnKeysOnly(tags)) return formatTagsSorted(tags);
  let out = '';
  let previous = '';
  for (const k in tags) {
    if (k < previous) return formatTagsSorted(tags);
    previous = k;
    out += ' ' + k + '=' + tags[k];
  }
  return out;
}

function formatTagsSorted(tags: Tags): string {
  const keys = Object.keys(tags).sort();
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out += ' ' + k + '=' + tags[k];
  }
  return out;
}
