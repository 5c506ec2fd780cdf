import type { MetricValue } from '@otsdb/protocol';

/**
 * Numeric equality across `number` and `bigint`: `1`, `1.0` and `1n` are the same value, and
 * NaN equals NaN so a series stuck at NaN is still deduplicated. `-0` equals `0`.
 */
export function sameValue(a: MetricValue, b: MetricValue): boolean {
  if (typeof a === 'number') {
    if (typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
    return Number.isInteger(a) && BigInt(a) === b;
  }
  if (typeof b === 'bigint') return a === b;
  return Number.isInteger(b) && BigInt(b) === a;
}

export function isZero(value: MetricValue): boolean {
  return value === 0 || value === 0n;
}
