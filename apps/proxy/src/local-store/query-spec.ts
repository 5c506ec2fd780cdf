import type { Aggregator } from './aggregators.js';
import type { TagFilter } from './filters.js';

export type FillPolicy = 'none' | 'nan' | 'null' | 'zero';

/** A parsed `<n><unit>-<agg>[-<fill>]` (or `0all-<agg>`) downsampling specification. */
export interface DownsampleSpec {
  readonly text: string;
  /** Bucket width in ms; 0 with `runAll`. */
  readonly intervalMs: number;
  /** `0all-...`: the whole query range is one bucket stamped with the query start. */
  readonly runAll: boolean;
  readonly aggregator: Aggregator;
  readonly fill: FillPolicy;
}

/** `RateOptions`: counter handling for rate conversion. */
export interface RateOptions {
  readonly counter: boolean;
  /** Java long; default Long.MAX_VALUE. */
  readonly counterMax: bigint;
  /** Java long; 0 (the default) disables the reset check. */
  readonly resetValue: bigint;
  readonly dropResets: boolean;
}

export const LONG_MAX = 9223372036854775807n;

export const DEFAULT_RATE_OPTIONS: RateOptions = {
  counter: false,
  counterMax: LONG_MAX,
  resetValue: 0n,
  dropResets: false,
};

/** One sub query after `TSSubQuery.validateAndSetQuery`. */
export interface SubQuery {
  readonly index: number;
  readonly aggregatorName: string;
  readonly aggregator: Aggregator;
  readonly metric: string | undefined;
  readonly tsuids: readonly string[] | undefined;
  readonly filters: readonly TagFilter[];
  readonly explicitTags: boolean;
  readonly rate: boolean;
  /** As given; undefined when the request had none (defaults apply). */
  readonly rateOptions: RateOptions | undefined;
  readonly downsample: DownsampleSpec | undefined;
}

/** A whole `/api/query` request after `TSQuery.validateAndSetQuery`. */
export interface TimeSeriesQuery {
  readonly start: string;
  readonly end: string | undefined;
  readonly startMs: number;
  readonly endMs: number;
  readonly msResolution: boolean;
  readonly showQuery: boolean;
  readonly showTSUIDs: boolean;
  /** Query-string `arrays`: dps as `[[ts, value], ...]` instead of an object. */
  readonly arrays: boolean;
  readonly queries: readonly SubQuery[];
}
