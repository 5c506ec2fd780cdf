import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('grants the burst, then refills at the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(100, 10, () => now);
    expect(bucket.take(50)).toBe(10);
    expect(bucket.take(1)).toBe(0);
    expect(bucket.msUntilNext()).toBe(10);
    now += 50; // 5 tokens at 100/s
    expect(bucket.take(50)).toBe(5);
    now += 10_000;
    expect(bucket.take(50)).toBe(10); // never more than the burst
  });

  it('takes back unused tokens', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 5, () => now);
    expect(bucket.take(5)).toBe(5);
    bucket.giveBack(2);
    expect(bucket.take(5)).toBe(2);
    now += 0;
  });

  it('refuses nonsense rates', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(RangeError);
    expect(() => new TokenBucket(10, 0)).toThrow(RangeError);
  });
});
