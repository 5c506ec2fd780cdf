import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, checkBackoff, DEFAULT_BACKOFF } from './backoff.js';

const noJitter = { ...DEFAULT_BACKOFF, jitter: 0 };

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap', () => {
    const delays = [0, 1, 2, 3, 20].map((n) =>
      backoffDelay(n, { ...noJitter, initialDelayMs: 100, maxDelayMs: 500 }),
    );
    expect(delays).toEqual([100, 200, 400, 500, 500]);
  });

  it('removes at most `jitter` of the delay', () => {
    const options = { ...DEFAULT_BACKOFF, initialDelayMs: 1000, jitter: 0.5 };
    expect(backoffDelay(0, options, () => 0)).toBe(1000);
    expect(backoffDelay(0, options, () => 0.999_999)).toBeCloseTo(500, 0);
    expect(backoffDelay(0, { ...options, jitter: 1 }, () => 0.5)).toBe(500);
  });

  it('stays finite and within [0, max] for any retry count and options', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 100_000 }),
        fc.nat({ max: 10_000 }),
        fc.nat({ max: 100_000 }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (retry, initial, extra, multiplier, jitter, random) => {
          const max = initial + extra;
          const delay = backoffDelay(
            retry,
            { initialDelayMs: initial, maxDelayMs: max, multiplier, jitter },
            () => random,
          );
          return Number.isFinite(delay) && delay >= 0 && delay <= max;
        },
      ),
    );
  });
});

describe('checkBackoff', () => {
  it.each([
    [{ initialDelayMs: -1 }, /initialDelayMs/],
    [{ maxDelayMs: 10, initialDelayMs: 100 }, /maxDelayMs/],
    [{ multiplier: 0.5 }, /multiplier/],
    [{ jitter: 2 }, /jitter/],
  ])('refuses %o', (patch, message) => {
    expect(checkBackoff({ ...DEFAULT_BACKOFF, ...patch })).toMatch(message);
  });

  it('accepts the defaults', () => {
    expect(checkBackoff(DEFAULT_BACKOFF)).toBeUndefined();
  });
});
