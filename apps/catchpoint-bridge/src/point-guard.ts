import {
  type DataPoint,
  MAX_MILLIS,
  type PointError,
  type ProtocolOptions,
  type Tags,
  validatePoint,
} from '@otsdb/protocol';

/** In `#tags`: this frozen tags object is valid whatever the point's timestamp. */
const ANY_TIME = -1;

/**
 * `validatePoint` for the mapping's output, without paying for it 30 times per push. Metric
 * names repeat across pushes, and the default mapping's tags objects are shared by the points of
 * a push and by the pushes of one test from one node (frozen), so a point is checked in full only
 * when its metric name or its tags object has not been seen valid before; otherwise only its
 * timestamp and value are checked (what `validatePoint` checks of them alone). A tags object that
 * is not frozen could change between two points, so it is trusted only for the timestamp it was
 * checked with (the points of one push).
 */
export class PointGuard {
  readonly #options: ProtocolOptions | undefined;
  readonly #metrics = new Set<string>();
  readonly #tags = new WeakMap<Tags, number>();
  static readonly MAX_METRICS = 4096;

  constructor(options?: ProtocolOptions) {
    this.#options = options;
  }

  check(p: DataPoint): PointError | undefined {
    const ts = p.timestamp;
    if (
      typeof p.value === 'number' &&
      Number.isFinite(p.value) &&
      p.valueText === undefined &&
      Number.isInteger(ts) &&
      ts > 0 &&
      ts <= MAX_MILLIS &&
      this.#metrics.has(p.metric)
    ) {
      const seen = this.#tags.get(p.tags);
      if (seen === ANY_TIME || seen === ts) return undefined;
    }
    const error = validatePoint(p, this.#options);
    if (error === undefined) {
      if (this.#metrics.size >= PointGuard.MAX_METRICS) this.#metrics.clear();
      this.#metrics.add(p.metric);
      this.#tags.set(p.tags, Object.isFrozen(p.tags) ? ANY_TIME : ts);
    }
    return error;
  }
}
