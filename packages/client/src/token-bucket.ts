/**
 * Rate limit in points per second (potsdb's `mps`). Tokens refill continuously; the bucket holds
 * at most `burst` so an idle period does not turn into a flood afterwards.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) {
      throw new RangeError(`ratePerSecond must be a positive number, got ${ratePerSecond}`);
    }
    if (!(burst >= 1)) throw new RangeError(`burst must be >= 1, got ${burst}`);
    this.tokens = burst;
    this.last = this.now();
  }

  /** Takes up to `max` whole tokens and returns how many were granted (possibly 0). */
  take(max: number): number {
    this.refill();
    const granted = Math.min(max, Math.floor(this.tokens));
    if (granted > 0) this.tokens -= granted;
    return granted;
  }

  /** Returns tokens taken but not used. */
  giveBack(count: number): void {
    this.tokens = Math.min(this.burst, this.tokens + count);
  }

  /** Milliseconds until at least one whole token is available. */
  msUntilNext(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    return Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000);
  }

  private refill(): void {
    const now = this.now();
    const elapsed = now - this.last;
    this.last = now;
    if (elapsed > 0) this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
  }
}
