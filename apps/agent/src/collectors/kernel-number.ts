import type { MetricValue } from '@otsdb/protocol';

// OpenTSDB stores integers as signed 64-bit; a kernel u64 beyond that (never seen outside a
// corrupted counter) is dropped rather than sent as a value every TSD would refuse.
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);

const INTEGER = /^-?\d{1,20}$/;
const SHORT_UNSIGNED = /^\d{1,15}$/;
const DECIMAL = /^-?\d{1,20}(\.\d{1,20})?$/;

/** A bigint as the value of a point: a number while exact, a bigint beyond 2^53, none beyond int64. */
export function integerValue(value: bigint): MetricValue | undefined {
  if (value > INT64_MAX || value < INT64_MIN) return undefined;
  return value > SAFE_MAX || value < SAFE_MIN ? value : Number(value);
}

/** A decimal integer as the kernel prints it (`123`, `-1`), or undefined for anything else. */
export function parseBigInt(text: string): bigint | undefined {
  return INTEGER.test(text) ? BigInt(text) : undefined;
}

/** A kernel integer as a point value, exact at any size OpenTSDB can store. */
export function parseInteger(text: string): MetricValue | undefined {
  // Most counters are short: skip the bigint round trip for them.
  if (SHORT_UNSIGNED.test(text)) return Number(text);
  const value = parseBigInt(text);
  return value === undefined ? undefined : integerValue(value);
}

/** `text` times `factor` (kB to bytes, pages to bytes), exact at any size. */
export function scaleInteger(text: string, factor: bigint): MetricValue | undefined {
  const value = parseBigInt(text);
  return value === undefined ? undefined : integerValue(value * factor);
}

/** A decimal like `0.48` or `1298.09` (load averages, uptime). */
export function parseDecimal(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}
