import { DedupError } from './errors.js';

export type OutOfOrderPolicy = 'drop' | 'pass';

export interface DedupOptions {
  /**
   * Seconds during which a repeated value is held back; a point is sent anyway once this much
   * time has passed since the last sent point of its series. `0` disables deduplication.
   * Default 300 (tcollector's `--dedup-interval`).
   */
  dedupInterval?: number;
  /**
   * Seconds after which a series that has not been pushed is forgotten (its pending point, if
   * any, is emitted by `evict`). Must be greater than `dedupInterval`; `Infinity` keeps series
   * until `maxSeries` pushes them out. Default 6000 (tcollector's `--evict-interval`).
   */
  evictInterval?: number;
  /** Most series remembered; beyond it the least recently pushed one is evicted. Default 1,000,000. */
  maxSeries?: number;
  /** What to do with a point whose timestamp is not after the last one of its series. Default 'drop'. */
  outOfOrder?: OutOfOrderPolicy;
  /** Only hold back repeated zeros (tcollector's `--dedup-only-zero`). Default false. */
  onlyZero?: boolean;
  /** Milliseconds since the epoch; read only by `evict` (and once at construction). Default `Date.now`. */
  clock?: () => number;
}

export interface ResolvedOptions {
  dedupMs: number;
  evictMs: number;
  maxSeries: number;
  outOfOrder: OutOfOrderPolicy;
  onlyZero: boolean;
  clock: () => number;
}

export const DEFAULT_DEDUP_INTERVAL = 300;
export const DEFAULT_EVICT_INTERVAL = 6000;
export const DEFAULT_MAX_SERIES = 1_000_000;
/** V8 refuses to hold more than 2^24 entries in one Map ("Map maximum size exceeded"). */
export const MAX_MAX_SERIES = 2 ** 24;

export function resolveOptions(options: DedupOptions = {}): ResolvedOptions {
  const dedupInterval = options.dedupInterval ?? DEFAULT_DEDUP_INTERVAL;
  if (typeof dedupInterval !== 'number' || !Number.isFinite(dedupInterval) || dedupInterval < 0) {
    throw new DedupError(
      `dedupInterval: ${String(dedupInterval)} is not allowed; use a finite number of seconds >= 0 (0 disables dedup)`,
    );
  }
  const evictInterval = options.evictInterval ?? DEFAULT_EVICT_INTERVAL;
  if (typeof evictInterval !== 'number' || Number.isNaN(evictInterval) || evictInterval <= 0) {
    throw new DedupError(
      `evictInterval: ${String(evictInterval)} is not allowed; use a number of seconds > 0 or Infinity`,
    );
  }
  // tcollector enforces the same invariant: a series forgotten before its dedup interval ends
  // would lose its held-back point's place and never be suppressed.
  if (dedupInterval > 0 && evictInterval <= dedupInterval) {
    throw new DedupError(
      `evictInterval: ${evictInterval} must be greater than dedupInterval (${dedupInterval})`,
    );
  }
  const maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
  if (!Number.isInteger(maxSeries) || maxSeries < 1 || maxSeries > MAX_MAX_SERIES) {
    throw new DedupError(
      `maxSeries: ${String(maxSeries)} is not allowed; use an integer from 1 to ${MAX_MAX_SERIES}`,
    );
  }
  const outOfOrder = options.outOfOrder ?? 'drop';
  if (outOfOrder !== 'drop' && outOfOrder !== 'pass') {
    throw new DedupError(`outOfOrder: ${String(outOfOrder)} is not allowed; use 'drop' or 'pass'`);
  }
  const onlyZero = options.onlyZero ?? false;
  if (typeof onlyZero !== 'boolean') {
    throw new DedupError(`onlyZero: ${String(onlyZero)} is not allowed; use true or false`);
  }
  const clock = options.clock ?? Date.now;
  if (typeof clock !== 'function') {
    throw new DedupError('clock: must be a function returning milliseconds since the epoch');
  }
  return {
    dedupMs: dedupInterval * 1000,
    evictMs: evictInterval * 1000,
    maxSeries,
    outOfOrder,
    onlyZero,
    clock,
  };
}
