import type { DataPoint, Tags } from './data-point.js';
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

/** ` k1=v1 k2=v2` in ascending key order; sorts only when the keys are not already in order. */
function formatTags(tags: Tags): string {
  const keys = Object.keys(tags);
  const n = keys.length;
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if (keys[i]! < keys[i - 1]!) {
      sorted = false;
      break;
    }
  }
  if (!sorted) keys.sort();
  let out = '';
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    out += ' ' + k + '=' + tags[k];
  }
  return out;
}
