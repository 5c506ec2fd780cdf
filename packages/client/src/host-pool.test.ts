import { describe, expect, it } from 'vitest';
import { makeEndpoint } from './endpoints.js';
import { HostPool } from './host-pool.js';

const [a, b, c] = [makeEndpoint('a', 1), makeEndpoint('b', 2), makeEndpoint('c', 3)] as const;

describe('HostPool', () => {
  it('failover: sticks to the first healthy host and returns to it after its cooldown', () => {
    let now = 0;
    const pool = new HostPool([a, b, c], 'failover', 1000, () => now);
    expect(pool.pick()).toBe(a);
    expect(pool.pick()).toBe(a);
    pool.markFailed(a);
    expect(pool.pick()).toBe(b);
    expect(pool.hasHealthyOther(a)).toBe(true);
    now = 1000;
    expect(pool.pick()).toBe(a);
  });

  it('spread: round-robins over healthy hosts', () => {
    const pool = new HostPool([a, b, c], 'spread', 1000, () => 0);
    expect([pool.pick(), pool.pick(), pool.pick(), pool.pick()]).toEqual([a, b, c, a]);
    pool.markFailed(b);
    expect([pool.pick(), pool.pick(), pool.pick()]).toEqual([c, a, c]);
    pool.markOk(b);
    expect(pool.isHealthy(b)).toBe(true);
  });

  it('when every host cools down, offers the one that recovers first', () => {
    let now = 0;
    const pool = new HostPool([a, b], 'failover', 1000, () => now);
    pool.markFailed(a);
    now = 10;
    pool.markFailed(b);
    expect(pool.pick()).toBe(a);
    expect(pool.hasHealthyOther(a)).toBe(false);
  });
});
