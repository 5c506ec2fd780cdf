import type { Tags } from './data-point.js';
import type { PutLineScreen } from './put-line-screen.js';

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

/**
 * The bytes of `seriesKey` for the line a `PutLineScreen` just accepted in `buf`, written into
 * `out` from the screen's offsets without parsing the line or making a string; returns their
 * length, or -1 when `out` is too short. The screen accepts ASCII only and each tag key once, so
 * these are the code units of the string `seriesKey` makes from the point `parsePutLine` reads:
 * a router can hash them as it would hash that string.
 */
export function screenedSeriesKey(screen: PutLineScreen, buf: Uint8Array, out: Uint8Array): number {
  const n = screen.tagCount;
  const keyStarts = screen.keyStarts;
  const equals = screen.equals;
  const order = ORDER;
  // Tag indices by key (insertion sort: a handful of tags), as seriesKey sorts its keys.
  for (let k = 0; k < n; k++) {
    let j = k;
    while (
      j > 0 &&
      keyBefore(buf, keyStarts[k]!, equals[k]!, keyStarts[order[j - 1]!]!, equals[order[j - 1]!]!)
    ) {
      order[j] = order[j - 1]!;
      j--;
    }
    order[j] = k;
  }
  let o = 0;
  const limit = out.length;
  for (let i = screen.metricStart; i < screen.metricEnd; i++) {
    if (o === limit) return -1;
    out[o++] = buf[i]!;
  }
  if (o + 2 > limit) return -1;
  out[o++] = 123; // {
  for (let t = 0; t < n; t++) {
    const k = order[t]!;
    if (t > 0) out[o++] = 44; // ,
    const end = screen.valueEnds[k]!;
    if (o + (end - keyStarts[k]!) + 2 > limit) return -1;
    for (let i = keyStarts[k]!; i < end; i++) out[o++] = buf[i]!;
  }
  out[o++] = 125; // }
  return o;
}

const ORDER = new Int32Array(64);

/** Whether key `buf[a, aEnd)` sorts before key `buf[b, bEnd)` (code unit order, as Array#sort). */
function keyBefore(buf: Uint8Array, a: number, aEnd: number, b: number, bEnd: number): boolean {
  const n = Math.min(aEnd - a, bEnd - b);
  for (let i = 0; i < n; i++) {
    const x = buf[a + i]!;
    const y = buf[b + i]!;
    if (x !== y) return x < y;
  }
  return aEnd - a < bEnd - b;
}
