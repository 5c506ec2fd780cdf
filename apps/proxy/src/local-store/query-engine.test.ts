import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getAggregator } from './aggregators.js';
import {
  aggregate,
  type Columns,
  FAST_REDUCERS,
  reduceBuckets,
  reduceBucketsWith,
  scanWindow,
} from './query-engine.js';
import { parseDownsample } from './query-parse.js';

const T0 = 1_700_002_800; // an hour boundary

describe('scanWindow (TsdbQuery.getScanStartTimeSeconds / getScanEndTimeSeconds)', () => {
  it.each([
    // no downsampling: from the hour of the start to the hour after the end (+1 s, always)
    [T0 + 1800, T0 + 1800, undefined, T0, T0 + 3600],
    [T0, T0 + 3598, undefined, T0, T0 + 3600],
    [T0, T0 + 3599, undefined, T0, T0 + 7200], // end + 1 s = T0 + 3600 is already the next hour
    // end exactly on an hour: end + 1 s lies in the next hour, so one more hour is read
    [T0, T0 + 3600, undefined, T0, T0 + 7200],
    // 1h buckets: the end is pushed to the next interval boundary after end + 1 s
    [T0 + 1800, T0 + 3599, '1h-avg', T0, T0 + 7200],
    // 7m buckets: T0 % 420 = 300, so T0+100 aligns down to T0-300, whose hour starts at T0-3600
    [T0 + 100, T0 + 200, '7m-avg', T0 - 3600, T0 + 3600],
    // 0all is not an interval for the scan: plain hour alignment
    [T0 + 100, T0 + 200, '0all-sum', T0, T0 + 3600],
  ])('start %i end %i ds %s', (start, end, ds, scanStart, scanEnd) => {
    const spec = ds === undefined ? undefined : parseDownsample(ds, false);
    expect(scanWindow(start * 1000, end * 1000, spec)).toEqual([scanStart * 1000, scanEnd * 1000]);
  });
});

const sortedTimes = (maxLen: number) =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: 3_600_000 }), { maxLength: maxLen })
    .map((xs) => Float64Array.from(xs.sort((a, b) => a - b).map((x) => T0 * 1000 + x)));

describe('single-pass downsampling agrees with the aggregators', () => {
  it('for every fast reducer, on random data and intervals', () => {
    fc.assert(
      fc.property(
        sortedTimes(200),
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 200, maxLength: 200 }),
        fc.constantFrom(1, 1000, 15_000, 60_000, 420_000, 3_600_000),
        fc.constantFrom(...Object.keys(FAST_REDUCERS)),
        (t, values, interval, name) => {
          const v = Float64Array.from(values.slice(0, t.length));
          const n = t.length;
          const a = [new Float64Array(n), new Float64Array(n)] as const;
          const b = [new Float64Array(n), new Float64Array(n)] as const;
          const na = reduceBuckets(FAST_REDUCERS[name]!, t, v, 0, n, interval, a[0], a[1]);
          const nb = reduceBucketsWith(getAggregator(name)!, t, v, 0, n, interval, b[0], b[1]);
          expect(na).toBe(nb);
          expect(Array.from(a[0].subarray(0, na))).toEqual(Array.from(b[0].subarray(0, nb)));
          expect(Array.from(a[1].subarray(0, na))).toEqual(Array.from(b[1].subarray(0, nb)));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the aligned fast path is the iterator, specialised', () => {
  it('gives what the general iterator gives when all series share timestamps', () => {
    fc.assert(
      fc.property(
        sortedTimes(30),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 150, maxLength: 150 }),
        fc.array(fc.boolean(), { minLength: 150, maxLength: 150 }),
        fc.constantFrom(
          'sum',
          'avg',
          'min',
          'max',
          'dev',
          'count',
          'zimsum',
          'mimmin',
          'first',
          'last',
          'p90',
        ),
        fc.boolean(),
        (t, k, values, floats, name, isRate) => {
          const n = t.length;
          const spans: Columns[] = [];
          for (let s = 0; s < k; s++) {
            const v = new Float64Array(n);
            const ints = new Uint8Array(n);
            for (let j = 0; j < n; j++) {
              const idx = (s * 30 + j) % 150;
              v[j] = floats[idx] ? values[idx]! + 0.25 : values[idx]!;
              ints[j] = floats[idx] ? 0 : 1;
            }
            spans.push({ t, v, ints: isRate ? null : ints, from: 0, to: n });
          }
          const agg = getAggregator(name)!;
          const args = [agg, isRate, T0 * 1000, (T0 + 7200) * 1000, T0 * 1000, (T0 + 7200) * 1000] as const;
          const fast = aggregate(spans, ...args, true);
          const slow = aggregate(spans, ...args, false);
          expect(fast.n).toBe(slow.n);
          for (let j = 0; j < fast.n; j++) {
            expect([fast.t[j], fast.isInt[j], fast.v[j]]).toEqual([slow.t[j], slow.isInt[j], slow.v[j]]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
