import {
  type DataPoint,
  type PointError,
  type ProtocolOptions,
  type Tags,
  validatePoint,
} from '@otsdb/protocol';

/**
 * `validatePoint` for the mapping's output, without paying for it 30 times per push. A push's
 * points share a few tag objects and one timestamp, and metric names repeat across pushes, so
 * a point is checked in full only when its metric name or its (tags object, timestamp) pair
 * has not been seen valid before; otherwise only its value is checked (a finite number is
 * always valid). Tag objects are the mapping's own and never mutated after creation.
 */
export class PointGuard {
  readonly #options: ProtocolOptions | undefined;
  readonly #metrics = new Set<string>();
  #tags = new WeakMap<Tags, number>();
  static readonly MAX_METRICS = 4096;

  constructor(options?: ProtocolOptions) {
    this.#options = options;
  }

  check(p: DataPoint): PointError | undefined {
    if (
      typeof p.value === 'number' &&
      Number.isFinite(p.value) &&
      p.valueText === undefined &&
      this.#tags.get(p.tags) === p.timestamp &&
      this.#metrics.has(p.metric)
    ) {
      return undefined;
    }
    const error = validatePoint(p, this.#options);
    if (error === undefined) {
      if (this.#metrics.size >= PointGuard.MAX_METRICS) this.#metrics.clear();
      this.#metrics.add(p.metric);
      this.#tags.set(p.tags, p.timestamp);
    }
    return error;
  }
}
