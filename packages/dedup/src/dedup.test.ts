import type { DataPoint, MetricValue } from '@otsdb/protocol';
import { seriesKey, toMillis } from '@otsdb/protocol';
import { describe, expect, it } from 'vitest';
import { Dedup } from './dedup.js';
import type { DedupOptions } from './options.js';

/** A point of series `name` (metric `m`, tag `s=<name>`), so tests read as (series, ts, value). */
function p(name: string, timestamp: number, value: MetricValue, valueText?: string): DataPoint {
  const point: DataPoint = { metric: 'm', timestamp, value, tags: { s: name } };
  if (valueText !== undefined) point.valueText = valueText;
  return point;
}

const key = (name: string): string => seriesKey('m', { s: name });

/** Pushes every point and returns what came out, checking push's count against the emissions. */
function run(dedup: Dedup, points: DataPoint[]): DataPoint[] {
  const out: DataPoint[] = [];
  for (const point of points) {
    const before = out.length;
    const n = dedup.push(point, (q) => out.push(q));
    expect(n).toBe(out.length - before);
    expect(n).toBeLessThanOrEqual(2);
  }
  return out;
}

class FakeClock {
  ms = 1_000_000;
  readonly now = (): number => this.ms;
  at(seconds: number): this {
    this.ms = 1_000_000 + seconds * 1000;
    return this;
  }
}

interface Case {
  name: string;
  options?: DedupOptions;
  in: DataPoint[];
  /** Indices into `in` of the points expected out, in order. */
  out: number[];
}

const cases: Case[] = [
  {
    name: 'repeated values are held back',
    in: [p('a', 0, 1), p('a', 15, 1), p('a', 30, 1)],
    out: [0],
  },
  {
    name: 'a change after held-back points emits the last held-back one, then the change',
    in: [p('a', 0, 1), p('a', 15, 1), p('a', 30, 1), p('a', 45, 2)],
    out: [0, 2, 3],
  },
  {
    name: 'a change with nothing held back emits one point',
    in: [p('a', 0, 1), p('a', 15, 2), p('a', 30, 3)],
    out: [0, 1, 2],
  },
  {
    name: 'the dedup interval forces a resend, counted from the last sent point',
    in: [p('a', 0, 1), p('a', 150, 1), p('a', 299, 1), p('a', 300, 1), p('a', 315, 1), p('a', 600, 1)],
    out: [0, 3, 5],
  },
  {
    name: 'a forced resend supersedes the held-back point (no replay on the next change)',
    in: [p('a', 0, 1), p('a', 100, 1), p('a', 300, 1), p('a', 301, 2)],
    out: [0, 2, 3],
  },
  {
    name: 'a forced resend, a held-back point, then a change',
    in: [p('a', 0, 1), p('a', 300, 1), p('a', 315, 1), p('a', 330, 2)],
    out: [0, 1, 2, 3],
  },
  {
    name: 'a custom dedup interval',
    options: { dedupInterval: 30, evictInterval: 60 },
    in: [p('a', 0, 1), p('a', 29, 1), p('a', 30, 1), p('a', 31, 1)],
    out: [0, 2],
  },
  {
    name: 'a timestamp equal to or before the last one is dropped',
    in: [p('a', 10, 1), p('a', 10, 2), p('a', 5, 3), p('a', 20, 4)],
    out: [0, 3],
  },
  {
    name: 'out of order is judged against the last held-back point, not only the last sent one',
    in: [p('a', 0, 1), p('a', 100, 1), p('a', 50, 1), p('a', 120, 2)],
    out: [0, 1, 3],
  },
  {
    name: "outOfOrder 'pass' lets late points through without changing the series' history",
    options: { outOfOrder: 'pass' },
    in: [p('a', 10, 1), p('a', 5, 7), p('a', 20, 1), p('a', 30, 2)],
    out: [0, 1, 2, 3],
  },
  {
    name: 'millisecond timestamps: the 300 s interval is 300000 ms',
    in: [p('a', 1_700_000_000_000, 1), p('a', 1_700_000_299_999, 1), p('a', 1_700_000_300_000, 1)],
    out: [0, 2],
  },
  {
    name: 'seconds and milliseconds mix: the same instant is out of order, later ms are in order',
    in: [
      p('a', 1_700_000_000, 1),
      p('a', 1_700_000_000_000, 1),
      p('a', 1_700_000_000_500, 1),
      p('a', 1_700_000_001, 2),
    ],
    out: [0, 2, 3],
  },
  {
    name: 'the largest 32-bit timestamp is still seconds (OpenTSDB SECOND_MASK)',
    in: [p('a', 4_294_967_295, 1), p('a', 4_294_967_296, 2)],
    out: [0],
  },
  {
    name: 'bigint and number compare numerically',
    in: [
      p('a', 0, 1n),
      p('a', 10, 1),
      p('a', 20, 1n),
      p('a', 30, 2n ** 53n),
      p('a', 40, 2 ** 53),
      p('a', 50, 2n ** 53n + 1n),
    ],
    // 1 and 1n held back (index 2 replayed before 2^53); 2^53 as number repeats 2^53n (index 4).
    out: [0, 2, 3, 4, 5],
  },
  {
    name: 'huge bigints differing by one are different values',
    in: [p('a', 0, 2n ** 63n - 1n), p('a', 10, 2n ** 63n - 2n), p('a', 20, 2n ** 63n - 2n)],
    out: [0, 1],
  },
  {
    name: '1 and 1.0 are the same value (numeric equality, unlike tcollector string equality)',
    in: [p('a', 0, 1, '1'), p('a', 10, 1, '1.0'), p('a', 20, 2, '2')],
    out: [0, 1, 2],
  },
  {
    name: 'NaN repeats are held back and 0 equals -0',
    in: [p('a', 0, Number.NaN), p('a', 10, Number.NaN), p('b', 0, 0), p('b', 10, -0)],
    out: [0, 2],
  },
  {
    name: 'series are independent',
    in: [p('a', 0, 1), p('b', 0, 1), p('a', 10, 1), p('b', 10, 2), p('a', 20, 3)],
    out: [0, 1, 3, 2, 4],
  },
  {
    name: 'dedupInterval 0 disables everything, out-of-order checks included',
    options: { dedupInterval: 0 },
    in: [p('a', 0, 1), p('a', 0, 1), p('a', 10, 1), p('a', 5, 1)],
    out: [0, 1, 2, 3],
  },
  {
    name: 'onlyZero holds back repeated zeros only',
    options: { onlyZero: true },
    in: [p('a', 0, 0), p('a', 10, 0), p('a', 20, 5), p('a', 30, 5), p('a', 40, 0n), p('a', 50, 0)],
    out: [0, 1, 2, 3, 4],
  },
];

describe('Dedup behaviour', () => {
  it.each(cases)('$name', ({ options, in: input, out }) => {
    const dedup = new Dedup(options);
    const emitted = run(dedup, input);
    expect(emitted).toHaveLength(out.length);
    emitted.forEach((point, i) => {
      expect(point).toBe(input[out[i]!]);
    });
  });

  it('treats tags in any order as one series', () => {
    const dedup = new Dedup();
    const a: DataPoint = { metric: 'm', timestamp: 0, value: 1, tags: { x: '1', y: '2' } };
    const b: DataPoint = { metric: 'm', timestamp: 10, value: 1, tags: { y: '2', x: '1' } };
    expect(run(dedup, [a, b])).toEqual([a]);
    expect(dedup.size).toBe(1);
  });

  it('pushKeyed uses the caller key and behaves like push', () => {
    const dedup = new Dedup();
    const out: DataPoint[] = [];
    const emit = (q: DataPoint) => out.push(q);
    const points = [p('a', 0, 1), p('a', 10, 1), p('a', 20, 2)];
    for (const point of points) dedup.pushKeyed(key('a'), point, emit);
    expect(out).toEqual([points[0], points[1], points[2]]);
    expect(dedup.has(key('a'))).toBe(true);
  });

  it('counts in, out, suppressed, replayed and out-of-order', () => {
    const dedup = new Dedup();
    run(dedup, [p('a', 0, 1), p('a', 10, 1), p('a', 20, 1), p('a', 15, 9), p('a', 30, 2), p('b', 0, 5)]);
    expect(dedup.stats()).toEqual({
      in: 6,
      out: 4,
      suppressed: 2,
      replayed: 1,
      outOfOrder: 1,
      evicted: 0,
      evictedOverflow: 0,
      series: 2,
    });
    expect(dedup.outOfOrder).toBe(1);
  });

  it('counts with dedup disabled and keeps no series', () => {
    const dedup = new Dedup({ dedupInterval: 0 });
    run(dedup, [p('a', 0, 1), p('a', 10, 1)]);
    expect(dedup.stats()).toMatchObject({ in: 2, out: 2, suppressed: 0, series: 0 });
    expect(dedup.evict(() => {})).toBe(0);
    expect(dedup.flush(() => {})).toBe(0);
  });
});

describe('timestamps: protocol toMillis, OpenTSDB rule (anything that fits in 32 bits is seconds)', () => {
  it.each([
    [0, 0],
    [1_700_000_000, 1_700_000_000_000],
    [4_294_967_295, 4_294_967_295_000], // largest value that fits in 32 bits: seconds
    [4_294_967_296, 4_294_967_296], // any higher bit set: milliseconds
    [1_700_000_000_123, 1_700_000_000_123],
  ])('%d -> %d', (input, expected) => {
    expect(toMillis(input)).toBe(expected);
  });

  it('judges the dedup interval in those units', () => {
    const dedup = new Dedup({ dedupInterval: 1 });
    const out = run(dedup, [
      p('a', 4_294_967_295, 1), // seconds: 4294967295000 ms
      p('a', 4_294_967_295_999, 1), // milliseconds, 999 ms later: within 1 s, held back
      p('a', 4_294_967_296_001, 1), // 1001 ms after the sent one: sent
    ]);
    expect(out.map((q) => q.timestamp)).toEqual([4_294_967_295, 4_294_967_296_001]);
  });
});

describe('tag keys named like Object.prototype members', () => {
  const KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
  const tagged = (k: string, v: string, timestamp: number, value: number): DataPoint => ({
    metric: 'm',
    timestamp,
    value,
    tags: JSON.parse(JSON.stringify({ [k]: v })),
  });

  it.each(KEYS)('%s is an ordinary key: its values make distinct series', (k) => {
    const dedup = new Dedup({ dedupInterval: 600 });
    const out = run(dedup, [
      tagged(k, 'a', 1_700_000_000, 1),
      tagged(k, 'b', 1_700_000_001, 1), // another series: sent
      tagged(k, 'a', 1_700_000_002, 1), // a repeat of the first: held back
    ]);
    expect(out.map((q) => q.tags[k])).toEqual(['a', 'b']);
    expect(dedup.size).toBe(2);
    expect(dedup.has(`m{${k}=a}`)).toBe(true);
    expect(dedup.has('m{}')).toBe(false);
  });
});

describe('flush', () => {
  it('emits every held-back point once and counts it as sent', () => {
    const dedup = new Dedup();
    const input = [p('a', 0, 1), p('a', 10, 1), p('b', 0, 2), p('b', 10, 2), p('b', 20, 2), p('c', 0, 3)];
    run(dedup, input);
    const flushed: DataPoint[] = [];
    expect(dedup.flush((q) => flushed.push(q))).toBe(2);
    expect(flushed).toEqual([input[1], input[4]]);
    expect(dedup.flush(() => {})).toBe(0);
    // The flushed point is now the last sent one: a change replays nothing.
    expect(run(dedup, [p('b', 30, 3)])).toHaveLength(1);
    // And the interval counts from it: 10 + 300 s.
    const [early, due] = [p('a', 309, 1), p('a', 310, 1)];
    expect(run(dedup, [early, due])).toEqual([due]);
    expect(dedup.size).toBe(3);
  });
});

describe('eviction by idle time (injected clock)', () => {
  const options = (clock: FakeClock): DedupOptions => ({
    dedupInterval: 60,
    evictInterval: 600,
    clock: clock.now,
  });

  it('forgets a series idle for evictInterval and emits its held-back point', () => {
    const clock = new FakeClock().at(0);
    const dedup = new Dedup(options(clock));
    const input = [p('a', 0, 1), p('a', 10, 1)];
    run(dedup, input);
    const out: DataPoint[] = [];
    const emit = (q: DataPoint) => out.push(q);
    for (const t of [1, 10, 300, 609]) {
      clock.at(t);
      expect(dedup.evict(emit), `at ${t}s`).toBe(0);
    }
    clock.at(611);
    expect(dedup.evict(emit)).toBe(1);
    expect(out).toEqual([input[1]]);
    expect(dedup.has(key('a'))).toBe(false);
    expect(dedup.stats()).toMatchObject({ evicted: 1, evictedOverflow: 0, series: 0, replayed: 1 });
    // Forgotten: the same value passes again.
    expect(run(dedup, [p('a', 20, 1)])).toHaveLength(1);
  });

  it('keeps series pushed recently and evicts only the idle ones', () => {
    const clock = new FakeClock().at(0);
    const dedup = new Dedup(options(clock));
    run(dedup, [p('a', 0, 1), p('b', 0, 1)]);
    for (let t = 10; t <= 1200; t += 10) {
      clock.at(t);
      if (t <= 1000) run(dedup, [p('b', t, 1)]);
      dedup.evict(() => {});
      if (t < 600) expect(dedup.has(key('a')), `a at ${t}s`).toBe(true);
      if (t >= 620) expect(dedup.has(key('a')), `a at ${t}s`).toBe(false);
      if (t < 1600) expect(dedup.has(key('b')), `b at ${t}s`).toBe(true);
    }
  });

  it('does not evict a fresh series when evict is called rarely', () => {
    const clock = new FakeClock().at(0);
    const dedup = new Dedup({ evictInterval: 6000, clock: clock.now });
    dedup.evict(() => {});
    clock.at(5999);
    run(dedup, [p('a', 5999, 1)]);
    clock.at(6000.5);
    expect(dedup.evict(() => {})).toBe(0);
    clock.at(11_998);
    expect(dedup.evict(() => {})).toBe(0);
    clock.at(12_100);
    expect(dedup.evict(() => {})).toBe(1);
  });

  it('survives the clock stepping back', () => {
    const clock = new FakeClock().at(1000);
    const dedup = new Dedup(options(clock));
    run(dedup, [p('a', 0, 1)]);
    dedup.evict(() => {});
    clock.at(0);
    expect(dedup.evict(() => {})).toBe(0);
    expect(dedup.has(key('a'))).toBe(true);
    // No evict ran between 1000 s and 1700 s, so the push is only known to be before 1700 s.
    clock.at(1700);
    expect(dedup.evict(() => {})).toBe(0);
    clock.at(2299);
    expect(dedup.evict(() => {})).toBe(0);
    clock.at(2300);
    expect(dedup.evict(() => {})).toBe(1);
  });

  it('never evicts with evictInterval Infinity', () => {
    const clock = new FakeClock().at(0);
    const dedup = new Dedup({ evictInterval: Number.POSITIVE_INFINITY, clock: clock.now });
    run(dedup, [p('a', 0, 1)]);
    clock.at(1e9);
    expect(dedup.evict(() => {})).toBe(0);
    expect(dedup.size).toBe(1);
  });
});

describe('maxSeries (LRU)', () => {
  it('evicts the least recently pushed series and emits its held-back point first', () => {
    const dedup = new Dedup({ maxSeries: 2 });
    const input = [p('a', 0, 1), p('b', 0, 1), p('b', 10, 1), p('a', 20, 1), p('c', 0, 1)];
    const out = run(dedup, input);
    // b was pushed less recently than a, so c pushes b out, replaying b's held-back point.
    expect(out).toEqual([input[0], input[1], input[2], input[4]]);
    expect(dedup.has(key('b'))).toBe(false);
    expect(dedup.has(key('a'))).toBe(true);
    expect(dedup.stats()).toMatchObject({ evicted: 1, evictedOverflow: 1, series: 2 });
    // a is now the least recent: b coming back pushes a out (a's held-back point at 20 s).
    const again = run(dedup, [p('b', 30, 1)]);
    expect(again).toEqual([input[3], expect.objectContaining({ timestamp: 30 })]);
    expect(dedup.has(key('a'))).toBe(false);
  });

  it('holds a bounded number of series while growing past the initial capacity', () => {
    const dedup = new Dedup({ maxSeries: 3000 });
    const names = Array.from({ length: 5000 }, (_, i) => `s${i}`);
    for (let round = 0; round < 3; round++) {
      const out = run(
        dedup,
        names.map((n) => p(n, round * 10, 7)),
      );
      // Cycling 5000 series through 3000 slots: every series is always new again.
      expect(out).toHaveLength(5000);
    }
    expect(dedup.size).toBe(3000);
    expect(dedup.stats().evictedOverflow).toBe(15_000 - 3000);
    // The 3000 most recent are remembered and deduplicate.
    const recent = names.slice(2000).map((n) => p(n, 100, 7));
    expect(run(dedup, recent)).toHaveLength(0);
  });
});
