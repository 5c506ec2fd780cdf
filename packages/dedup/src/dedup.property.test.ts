import type { DataPoint, MetricValue } from '@otsdb/protocol';
import { seriesKey } from '@otsdb/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dedup } from './dedup.js';

const SERIES = ['a', 'b', 'c', 'd'];

interface ModelOptions {
  dedupInterval: number;
  maxSeries: number;
  outOfOrder: 'drop' | 'pass';
  onlyZero: boolean;
}

interface ModelSeries {
  value: MetricValue;
  sentAt: number;
  seenAt: number;
  pending: DataPoint | undefined;
}

/**
 * The semantics written as plainly as possible (a Map in recency order, no typed arrays), to
 * check the optimised transform against. Eviction by idle time is checked separately.
 */
class Model {
  private readonly series = new Map<string, ModelSeries>();
  constructor(private readonly o: ModelOptions) {}

  push(point: DataPoint): DataPoint[] {
    if (this.o.dedupInterval === 0) return [point];
    const key = seriesKey(point.metric, point.tags);
    const ts = point.timestamp >= 2 ** 32 ? point.timestamp : point.timestamp * 1000;
    const s = this.series.get(key);
    if (s === undefined) {
      const out: DataPoint[] = [];
      if (this.series.size >= this.o.maxSeries) {
        const [oldestKey, oldest] = this.series.entries().next().value!;
        this.series.delete(oldestKey);
        if (oldest.pending) out.push(oldest.pending);
      }
      this.series.set(key, { value: point.value, sentAt: ts, seenAt: ts, pending: undefined });
      out.push(point);
      return out;
    }
    this.series.delete(key);
    this.series.set(key, s);
    if (ts <= s.seenAt) return this.o.outOfOrder === 'drop' ? [] : [point];
    const same = numericEqual(point.value, s.value);
    const zero = Number(point.value) === 0;
    if (same && ts - s.sentAt < this.o.dedupInterval * 1000 && (!this.o.onlyZero || zero)) {
      s.pending = point;
      s.seenAt = ts;
      return [];
    }
    const out = s.pending && !same ? [s.pending, point] : [point];
    s.pending = undefined;
    s.value = point.value;
    s.sentAt = ts;
    s.seenAt = ts;
    return out;
  }

  flush(): DataPoint[] {
    const out: DataPoint[] = [];
    for (const s of this.series.values()) {
      if (s.pending) {
        out.push(s.pending);
        s.sentAt = s.seenAt;
        s.pending = undefined;
      }
    }
    return out;
  }
}

function numericEqual(a: MetricValue, b: MetricValue): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  try {
    return BigInt(a) === BigInt(b);
  } catch {
    return false; // a non-integer number never equals a bigint
  }
}

const valueArb: fc.Arbitrary<MetricValue> = fc.constantFrom<MetricValue>(
  0,
  -0,
  1,
  2,
  1.5,
  0n,
  1n,
  2n,
  Number.NaN,
  2 ** 53,
  2n ** 53n,
  2n ** 53n + 1n,
  2n ** 63n - 1n,
);

// Seconds and milliseconds around the same instant, so the two units interleave.
const timestampArb = fc.oneof(
  fc.integer({ min: 0, max: 700 }).map((s) => 1_700_000_000 + s),
  fc.integer({ min: 0, max: 700_000 }).map((ms) => 1_700_000_000_000 + ms),
);

type Op = { kind: 'push'; point: DataPoint } | { kind: 'flush' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 20,
    arbitrary: fc
      .record({ series: fc.constantFrom(...SERIES), timestamp: timestampArb, value: valueArb })
      .map(({ series, timestamp, value }) => ({
        kind: 'push' as const,
        point: { metric: 'm', timestamp, value, tags: { s: series } },
      })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
);

const optionsArb: fc.Arbitrary<ModelOptions> = fc.record({
  dedupInterval: fc.constantFrom(0, 1, 30, 300),
  maxSeries: fc.integer({ min: 1, max: 5 }),
  outOfOrder: fc.constantFrom('drop' as const, 'pass' as const),
  onlyZero: fc.boolean(),
});

/** Pushes each op; returns the points each op emitted, plus which pushes were dropped late. */
function drive(dedup: Dedup, ops: Op[]): { emitted: DataPoint[][]; droppedLate: Set<DataPoint> } {
  const emitted: DataPoint[][] = [];
  const droppedLate = new Set<DataPoint>();
  for (const op of ops) {
    const out: DataPoint[] = [];
    if (op.kind === 'push') {
      const late = dedup.stats().outOfOrder;
      const n = dedup.push(op.point, (q) => out.push(q));
      expect(n).toBe(out.length);
      expect(n).toBeLessThanOrEqual(2);
      if (dedup.stats().outOfOrder > late && n === 0) droppedLate.add(op.point);
    } else {
      dedup.flush((q) => out.push(q));
    }
    emitted.push(out);
  }
  return { emitted, droppedLate };
}

const seriesOf = (p: DataPoint): string => p.tags['s']!;

describe('Dedup properties', () => {
  it('matches the plain model point for point', () => {
    fc.assert(
      fc.property(optionsArb, fc.array(opArb, { maxLength: 120 }), (options, ops) => {
        const dedup = new Dedup({ ...options, evictInterval: Number.POSITIVE_INFINITY });
        const model = new Model(options);
        const { emitted } = drive(dedup, ops);
        ops.forEach((op, i) => {
          const expected = op.kind === 'push' ? model.push(op.point) : model.flush();
          expect(emitted[i]!.length).toBe(expected.length);
          expected.forEach((point, j) => {
            expect(emitted[i]![j]).toBe(point);
          });
        });
      }),
      { numRuns: 400 },
    );
  });

  it('emits, per series, a subsequence of its input in order, each point at most once', () => {
    fc.assert(
      fc.property(optionsArb, fc.array(opArb, { maxLength: 120 }), (options, ops) => {
        const dedup = new Dedup({ ...options, outOfOrder: 'drop', evictInterval: Number.POSITIVE_INFINITY });
        const all = drive(dedup, ops).emitted.flat();
        expect(new Set(all).size).toBe(all.length);
        const position = new Map<DataPoint, number>();
        ops.forEach((op, i) => {
          if (op.kind === 'push') position.set(op.point, i);
        });
        for (const name of SERIES) {
          const indices = all.filter((q) => seriesOf(q) === name).map((q) => position.get(q)!);
          expect(indices.every((v) => v !== undefined)).toBe(true);
          expect(indices).toEqual([...indices].sort((x, y) => x - y));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('passes everything through unchanged when dedupInterval is 0', () => {
    fc.assert(
      fc.property(optionsArb, fc.array(opArb, { maxLength: 80 }), (options, ops) => {
        const dedup = new Dedup({ ...options, dedupInterval: 0 });
        const all = drive(dedup, ops).emitted.flat();
        const pushed = ops.flatMap((op) => (op.kind === 'push' ? [op.point] : []));
        expect(all).toHaveLength(pushed.length);
        all.forEach((q, i) => {
          expect(q).toBe(pushed[i]);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('loses no series its last point: after flush it has been emitted (unless dropped as late)', () => {
    fc.assert(
      fc.property(optionsArb, fc.array(opArb, { maxLength: 120 }), (options, ops) => {
        const dedup = new Dedup({ ...options, evictInterval: Number.POSITIVE_INFINITY });
        const { emitted, droppedLate } = drive(dedup, ops);
        const all = new Set(emitted.flat());
        dedup.flush((q) => all.add(q));
        const last = new Map<string, DataPoint>();
        for (const op of ops) {
          if (op.kind === 'push' && !droppedLate.has(op.point)) last.set(seriesOf(op.point), op.point);
        }
        for (const point of last.values()) expect(all.has(point)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps its counters consistent', () => {
    fc.assert(
      fc.property(optionsArb, fc.array(opArb, { maxLength: 120 }), (options, ops) => {
        const dedup = new Dedup({ ...options, evictInterval: Number.POSITIVE_INFINITY });
        const all = drive(dedup, ops).emitted.flat();
        const s = dedup.stats();
        const dropped = options.outOfOrder === 'drop' ? s.outOfOrder : 0;
        expect(s.out).toBe(all.length);
        expect(s.out).toBe(s.in - s.suppressed - (options.dedupInterval === 0 ? 0 : dropped) + s.replayed);
        expect(s.series).toBeLessThanOrEqual(options.maxSeries);
        expect(s.evictedOverflow).toBe(s.evicted);
      }),
      { numRuns: 200 },
    );
  });

  it('never throws and emits at most 2 per push on any numbers', () => {
    const anyNumber = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-1, 0, 2 ** 32, 2 ** 64));
    const anyValue = fc.oneof(fc.double(), fc.bigInt()) as fc.Arbitrary<MetricValue>;
    fc.assert(
      fc.property(
        fc.array(fc.record({ s: fc.constantFrom('a', 'b'), t: anyNumber, v: anyValue }), { maxLength: 60 }),
        (rows) => {
          const dedup = new Dedup({ maxSeries: 1, clock: () => 0 });
          for (const { s, t, v } of rows) {
            const out: DataPoint[] = [];
            const n = dedup.push({ metric: 'm', timestamp: t, value: v, tags: { s } }, (q) => out.push(q));
            expect(n).toBe(out.length);
            expect(n).toBeLessThanOrEqual(2);
          }
          dedup.evict(() => {});
          dedup.flush(() => {});
        },
      ),
      { numRuns: 300 },
    );
  });

  it('evicts a series only after evictInterval of silence, and soon after it', () => {
    const evictSeconds = 640; // generations 10 s long
    const step = fc.record({
      advance: fc.integer({ min: 0, max: 120 }),
      push: fc.option(fc.constantFrom(...SERIES), { nil: undefined }),
      evict: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 150 }), (steps) => {
        let now = 5_000_000;
        const dedup = new Dedup({ dedupInterval: 60, evictInterval: evictSeconds, clock: () => now });
        const lastPush = new Map<string, number>();
        let lastEvictCall = now;
        let maxGap = 0;
        let ts = 1_700_000_000;
        for (const { advance, push, evict } of steps) {
          now += advance * 1000;
          ts += 1;
          if (push !== undefined) {
            dedup.push({ metric: 'm', timestamp: ts, value: 1, tags: { s: push } }, () => {});
            lastPush.set(push, now);
          }
          if (!evict) continue;
          maxGap = Math.max(maxGap, now - lastEvictCall);
          lastEvictCall = now;
          dedup.evict(() => {});
          for (const [name, at] of lastPush) {
            const idle = now - at;
            const remembered = dedup.has(seriesKey('m', { s: name }));
            if (idle < evictSeconds * 1000) expect(remembered).toBe(true);
            if (idle > evictSeconds * 1000 + 10_000 + 2 * maxGap) expect(remembered).toBe(false);
            if (!remembered) lastPush.delete(name);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
