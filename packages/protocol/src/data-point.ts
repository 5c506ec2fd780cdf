/** Tag keys to tag values. Codecs never mutate a caller's tags. */
export type Tags = Record<string, string>;

/**
 * OpenTSDB stores integers as signed 64-bit and floats as IEEE 754. Integers beyond
 * Number.MAX_SAFE_INTEGER are carried as `bigint` so they are never silently rounded.
 */
export type MetricValue = number | bigint;

export interface DataPoint {
  metric: string;
  /**
   * OpenTSDB's convention: seconds when it has at most 10 digits, milliseconds when it has 13.
   * Parsing `sec.mmm` yields milliseconds.
   */
  timestamp: number;
  value: MetricValue;
  tags: Tags;
  /**
   * The value exactly as it was received on the wire. When present, formatters write it
   * unchanged, so a proxy forwards what it was given (e.g. `1.50`, `0x1F` never appears: it
   * is rejected at parse time).
   */
  valueText?: string;
}
