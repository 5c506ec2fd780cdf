/**
 * Capped exponential backoff with jitter. The n-th retry waits
 * `min(maxDelayMs, initialDelayMs * multiplier^n)` scaled down by up to `jitter` (0..1) at random,
 * so many clients that lost the same TSD do not reconnect in lockstep.
 */
export interface BackoffOptions {
  /** Delay before the first retry. Default 100 ms. */
  initialDelayMs: number;
  /** Ceiling for any computed delay. Default 30 s. */
  maxDelayMs: number;
  /** Growth per retry. Default 2. */
  multiplier: number;
  /** Fraction of the delay removed at random: 0 = none, 1 = "full jitter". Default 0.5. */
  jitter: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialDelayMs: 100,
  maxDelayMs: 30_000,
  multiplier: 2,
  jitter: 0.5,
});

/** Delay in ms before retry number `retry` (0 for the first retry). */
export function backoffDelay(
  retry: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const { initialDelayMs, maxDelayMs, multiplier, jitter } = options;
  // Past ~64 doublings the product is Infinity (or NaN with a 0 initial delay); the cap decides anyway.
  const exponent = Math.min(Math.max(0, retry), 64);
  const raw = initialDelayMs * multiplier ** exponent;
  const capped = Number.isFinite(raw) ? Math.min(maxDelayMs, raw) : maxDelayMs;
  return Math.max(0, capped * (1 - jitter * random()));
}

/** Returns a description of what is wrong with the options, or undefined when they are usable. */
export function checkBackoff(options: BackoffOptions): string | undefined {
  const { initialDelayMs, maxDelayMs, multiplier, jitter } = options;
  if (!(Number.isFinite(initialDelayMs) && initialDelayMs >= 0)) {
    return `initialDelayMs must be a finite number >= 0, got ${initialDelayMs}`;
  }
  if (!(Number.isFinite(maxDelayMs) && maxDelayMs >= initialDelayMs)) {
    return `maxDelayMs must be a finite number >= initialDelayMs (${initialDelayMs}), got ${maxDelayMs}`;
  }
  if (!(Number.isFinite(multiplier) && multiplier >= 1)) return `multiplier must be >= 1, got ${multiplier}`;
  if (!(Number.isFinite(jitter) && jitter >= 0 && jitter <= 1)) {
    return `jitter must be between 0 and 1, got ${jitter}`;
  }
  return undefined;
}
