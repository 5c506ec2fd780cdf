/**
 * A token bucket: `rate` points per second sustained, `burst` at once. Tokens are added lazily
 * when a take finds too few, so the per-point cost is a compare and a subtract; the clock is
 * read only when the bucket runs dry.
 */
export class TokenBucket {
  readonly rate: number;
  readonly burst: number;
  #tokens: number;
  #refilledAt: number;
  readonly #now: () => number;

  constructor(rate: number, burst: number, now: () => number = performance.now.bind(performance)) {
    this.rate = rate;
    this.burst = burst;
    this.#tokens = burst;
    this.#now = now;
    this.#refilledAt = now();
  }

  /** Takes `n` tokens if there are that many; otherwise takes none. */
  take(n = 1): boolean {
    if (this.#tokens >= n) {
      this.#tokens -= n;
      return true;
    }
    this.#refill();
    if (this.#tokens >= n) {
      this.#tokens -= n;
      return true;
    }
    return false;
  }

  /** Milliseconds until `n` tokens are there (0 when they are now); Infinity if n > burst. */
  waitMs(n = 1): number {
    this.#refill();
    if (this.#tokens >= n) return 0;
    if (n > this.burst) return Number.POSITIVE_INFINITY;
    return Math.ceil(((n - this.#tokens) / this.rate) * 1000);
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = now - this.#refilledAt;
    if (elapsed <= 0) return;
    this.#refilledAt = now;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed / 1000) * this.rate);
  }
}

export interface RateLimiterOptions {
  /** Points per second per key. */
  rate: number;
  /** Default: one second's worth (at least 1). */
  burst?: number | undefined;
  /** Keys tracked at most; beyond, the oldest bucket is forgotten (its owner starts full again). Default 100 000. */
  maxKeys?: number;
  now?: () => number;
}

/** One token bucket per principal (or per source address when nobody authenticates). */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  readonly #now: (() => number) | undefined;
  readonly #buckets = new Map<string, TokenBucket>();
  evictions = 0;

  constructor(options: RateLimiterOptions) {
    if (!(options.rate > 0)) throw new RangeError(`rate must be > 0, got ${options.rate}`);
    this.#rate = options.rate;
    this.#burst = Math.max(1, options.burst ?? options.rate);
    this.#maxKeys = options.maxKeys ?? 100_000;
    this.#now = options.now;
  }

  get size(): number {
    return this.#buckets.size;
  }

  bucket(key: string): TokenBucket {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.#rate, this.#burst, this.#now);
      this.#buckets.set(key, bucket);
      if (this.#buckets.size > this.#maxKeys) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
        this.evictions++;
      }
    }
    return bucket;
  }
}
