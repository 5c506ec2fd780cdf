export interface FailureLimitOptions {
  /** Failures a source may have in a burst before it is refused. Default 10. */
  burst: number;
  /** Failures forgiven per second. Default 0.5 (one every 2 s, sustained). */
  refillPerSecond: number;
  /** Sources tracked at most; beyond, forgiven sources go first, then the least recently failing. Default 10 000. */
  maxSources: number;
}

export const DEFAULT_FAILURE_LIMIT: Readonly<FailureLimitOptions> = Object.freeze({
  burst: 10,
  refillPerSecond: 0.5,
  maxSources: 10_000,
});

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const SWEEP_INTERVAL_MS = 1000;

/**
 * A token bucket per source that only failures drain: a client that authenticates correctly
 * never spends anything, one guessing passwords is refused after `burst` failures and then
 * gets one attempt per 1/refillPerSecond seconds. Clean sources take no memory.
 */
export class FailureLimiter {
  readonly #options: FailureLimitOptions;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();
  #lastSweep = Number.NEGATIVE_INFINITY;
  evictions = 0;

  constructor(options: FailureLimitOptions, now: () => number) {
    this.#options = options;
    this.#now = now;
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** 0 when `source` may try now, otherwise the milliseconds until it may. */
  retryAfterMs(source: string): number {
    const bucket = this.#refill(source);
    if (bucket === undefined || bucket.tokens >= 1) return 0;
    return Math.ceil(((1 - bucket.tokens) / this.#options.refillPerSecond) * 1000);
  }

  recordFailure(source: string): void {
    let bucket = this.#refill(source);
    if (bucket === undefined) {
      this.#makeRoom();
      bucket = { tokens: this.#options.burst, updatedAt: this.#now() };
    } else {
      // Re-insert: Map order is then least-recently-failing first, the eviction order.
      this.#buckets.delete(source);
    }
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    this.#buckets.set(source, bucket);
  }

  #refill(source: string): Bucket | undefined {
    const bucket = this.#buckets.get(source);
    if (bucket === undefined) return undefined;
    const now = this.#now();
    const elapsed = Math.max(0, now - bucket.updatedAt) / 1000;
    bucket.tokens = Math.min(this.#options.burst, bucket.tokens + elapsed * this.#options.refillPerSecond);
    bucket.updatedAt = now;
    return bucket;
  }

  #makeRoom(): void {
    if (this.#buckets.size < this.#options.maxSources) return;
    const now = this.#now();
    // A full bucket is the same as no bucket; drop those first, but scan at most once a second.
    if (now - this.#lastSweep >= SWEEP_INTERVAL_MS) {
      this.#lastSweep = now;
      for (const [source, bucket] of this.#buckets) {
        const tokens =
          bucket.tokens + (Math.max(0, now - bucket.updatedAt) / 1000) * this.#options.refillPerSecond;
        if (tokens >= this.#options.burst) this.#buckets.delete(source);
      }
    }
    while (this.#buckets.size >= this.#options.maxSources) {
      const oldest = this.#buckets.keys().next();
      if (oldest.done) break;
      this.#buckets.delete(oldest.value);
      this.evictions++;
    }
  }
}

/** `::ffff:192.0.2.1` and `192.0.2.1` are one client. */
export function normalizeSource(source: string): string {
  return source.startsWith('::ffff:') && source.includes('.') ? source.slice(7) : source;
}
