import { describe, expect, it } from 'vitest';
import { RateLimiter, TokenBucket } from './rate-limit.js';

describe('TokenBucket', () => {
  it('allows a burst, then the sustained rate', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 5, () => now);
    for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    expect(bucket.waitMs()).toBe(100);
    now += 100;
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    now += 10_000;
    expect(bucket.take(5)).toBe(true);
    expect(bucket.take(1)).toBe(false);
  });

  it('takes all or nothing, and never more than the burst', () => {
    let now = 0;
    const bucket = new TokenBucket(100, 10, () => now);
    expect(bucket.take(11)).toBe(false);
    expect(bucket.waitMs(11)).toBe(Number.POSITIVE_INFINITY);
    expect(bucket.take(10)).toBe(true);
    now += 50;
    expect(bucket.take(6)).toBe(false);
    expect(bucket.take(5)).toBe(true);
  });
});

describe('RateLimiter', () => {
  it('keeps one bucket per key and forgets the oldest beyond maxKeys', () => {
    const limiter = new RateLimiter({ rate: 1, maxKeys: 2, now: () => 0 });
    const a = limiter.bucket('a');
    expect(limiter.bucket('a')).toBe(a);
    limiter.bucket('b');
    limiter.bucket('c');
    expect(limiter.size).toBe(2);
    expect(limiter.evictions).toBe(1);
    expect(limiter.bucket('a')).not.toBe(a);
  });
});
