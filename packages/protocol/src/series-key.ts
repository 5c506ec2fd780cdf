import type { Tags } from './data-point.js';

/**
 * Canonical identity of a series: the metric followed by its tags in ascending key order,
 * `metric{k1=v1,k2=v2}`. `=`, `,`, `{` and `}` are outside OpenTSDB's character set, so two
 * different valid series never share a key.
 */
export function seriesKey(metric: string, tags: Tags): string {
  const keys = Object.keys(tags);
  if (keys.length === 0) return metric + '{}';
  if (keys.length > 1) keys.sort();
  let out = metric + '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (i > 0) out += ',';
    out += k + '=' + tags[k];
  }
  return out + '}';
}
