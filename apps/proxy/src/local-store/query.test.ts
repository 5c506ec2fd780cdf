/**
 * /api/query semantics, table-driven. Every expectation is derived by hand from OpenTSDB 2.x's
 * documented rules (user_guide/query/aggregators, downsampling, filters, api_http/query) and,
 * where the docs are silent, from the behaviour of its AggregationIterator / RateSpan /
 * Downsampler source; the reasoning is in the comments next to each table.
 *
 * T0 is an hour boundary, so a TSD's scan window for these queries starts exactly at T0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { byOffset, cleanup, type Harness, harness, pt, T0 } from './__fixtures__/store-harness.js';

afterEach(cleanup);

type Result = {
  metric: string;
  tags: Record<string, string>;
  aggregateTags: string[];
  dps: Record<string, unknown>;
};

/** GET /api/query over [T0, T0 + 60] for one `m=`; must answer 200. */
async function get(h: Harness, m: string, extra: string) {
  const r = await h.get('/api/query', `?start=${T0}&end=${T0 + 60}&m=${encodeURIComponent(m)}${extra}`);
  expect(r.status, r.text).toBe(200);
  return r;
}

async function query(h: Harness, m: string, extra = ''): Promise<Result[]> {
  return (await get(h, m, extra)).json as Result[];
}

async function single(h: Harness, m: string, extra = ''): Promise<Record<number, unknown>> {
  const results = await query(h, m, extra);
  expect(results).toHaveLength(1);
  return byOffset(results[0]!.dps);
}

/**
 * The raw dps text of the only result with every key rewritten as "+<seconds after T0>", to
 * check integer vs floating-point formatting exactly.
 */
async function rawDps(h: Harness, m: string, extra = ''): Promise<string> {
  const r = await get(h, m, extra);
  return relativeKeys(/"dps":(\{[^}]*\})/.exec(r.text)![1]!);
}

function relativeKeys(dps: string): string {
  return dps.replace(/"(\d{10})":/g, (_, ts: string) => `"+${Number(ts) - T0}":`);
}

describe('aggregation across series with interpolation', () => {
  // The documentation's example (aggregators.rst, "Interpolation"): two series offset by 10 s.
  //   t:  0   10  20  30  40  50  60
  //   A:  -    5   -  15   -   5   -
  //   B: 10    -  20   -  10   -  20
  // Emission happens at every timestamp of any series. A series contributes only between its
  // first and last point: A is absent at t0 (not started) and at t60 (ended). Where a series has
  // no point it is interpolated linearly: B(10) = 10 + (20-10)*10/20 = 15, A(20) = 10, B(30) = 15,
  // A(40) = 10, B(50) = 15. (The docs' table prints 25 at t30, but its own rule gives 15 + 15.)
  // All inputs are integers, so every result uses integer arithmetic (avg truncates).
  const seed = async (h: Harness): Promise<void> => {
    await h.write([
      pt('m', 10, 5, { host: 'a' }),
      pt('m', 30, 15, { host: 'a' }),
      pt('m', 50, 5, { host: 'a' }),
      pt('m', 0, 10, { host: 'b' }),
      pt('m', 20, 20, { host: 'b' }),
      pt('m', 40, 10, { host: 'b' }),
      pt('m', 60, 20, { host: 'b' }),
    ]);
  };

  it.each([
    // values at t:     0   10  20  30  40  50  60
    ['sum', /*       */ [10, 20, 30, 30, 20, 20, 20]],
    ['avg', /*       */ [10, 10, 15, 15, 10, 10, 20]], // (5+15)/2, (10+20)/2 = 15 (integer), ...
    ['min', /*       */ [10, 5, 10, 15, 10, 5, 20]],
    ['max', /*       */ [10, 15, 20, 15, 10, 15, 20]],
    ['count', /*     */ [1, 2, 2, 2, 2, 2, 1]], // series that have started and not ended
    // OpenTSDB's dev divides by the number of values (population std-dev): |a-b|/2 for two.
    ['dev', /*       */ [0, 5, 5, 0, 0, 5, 0]],
    // zimsum/mimmin/mimmax do not interpolate: a participating series without a point counts as
    // 0 (zimsum), Long.MAX (mimmin: ignored by min) or Long.MIN (mimmax: ignored by max).
    ['zimsum', /*    */ [10, 5, 20, 15, 10, 5, 20]],
    ['mimmin', /*    */ [10, 5, 20, 15, 10, 5, 20]],
    ['mimmax', /*    */ [10, 5, 20, 15, 10, 5, 20]],
  ])('%s', async (agg, values) => {
    const h = await harness();
    await seed(h);
    const expected: Record<number, number> = {};
    values.forEach((v, i) => {
      expected[i * 10] = v;
    });
    expect(await single(h, `${agg}:m`)).toEqual(expected);
  });

  it('integer results are written as integers', async () => {
    const h = await harness();
    await seed(h);
    expect(await rawDps(h, 'sum:m')).toBe('{"+0":10,"+10":20,"+20":30,"+30":30,"+40":20,"+50":20,"+60":20}');
  });

  it('a float anywhere in the iterator window switches to floating point (Java double)', async () => {
    // A: 1.5 @10, 2.5 @30 (floats); B: 1 @0, 3 @20 (integers).
    // t0:  only B has started, but A's upcoming point is a float, so the TSD computes in double:
    //      1 -> "1.0".
    // t10: A = 1.5, B lerp 1 + (3-1)*10/20 = 2      -> 3.5
    // t20: B = 3, A lerp 1.5 + (2.5-1.5)*10/20 = 2  -> 5.0
    // t30: B has ended                              -> 2.5
    const h = await harness();
    await h.write([
      pt('m', 10, 1.5, { host: 'a' }, '1.5'),
      pt('m', 30, 2.5, { host: 'a' }, '2.5'),
      pt('m', 0, 1, { host: 'b' }),
      pt('m', 20, 3, { host: 'b' }),
    ]);
    const r = await h.get('/api/query', `?start=${T0}&end=${T0 + 60}&m=sum:m`);
    expect(r.text).toContain(`"dps":{"${T0}":1.0,"${T0 + 10}":3.5,"${T0 + 20}":5.0,"${T0 + 30}":2.5}`);
  });

  it('integer interpolation truncates like Java long arithmetic', async () => {
    // A: 0 @0, 10 @30; B: 1 @10. At t10, A = 0 + 10*10000/30000 = 3 (3.33 truncated); sum 4.
    // With A written as floats ("0.0", "10.0") the same step is 3.3333333333333335 + 1.
    const ints = await harness();
    await ints.write([
      pt('m', 0, 0, { host: 'a' }),
      pt('m', 30, 10, { host: 'a' }),
      pt('m', 10, 1, { host: 'b' }),
    ]);
    expect(await single(ints, 'sum:m')).toEqual({ 0: 0, 10: 4, 30: 10 });

    const floats = await harness();
    await floats.write([
      pt('m', 0, 0, { host: 'a' }, '0.0'),
      pt('m', 30, 10, { host: 'a' }, '10.0'),
      pt('m', 10, 1, { host: 'b' }),
    ]);
    const r = await floats.get('/api/query', `?start=${T0}&end=${T0 + 60}&m=sum:m`);
    expect(r.text).toContain(`"dps":{"${T0}":0.0,"${T0 + 10}":4.333333333333334,"${T0 + 30}":10.0}`);
  });

  it('avg of integers truncates; of floats it does not', async () => {
    const ints = await harness();
    await ints.write([pt('m', 0, 1, { host: 'a' }), pt('m', 0, 2, { host: 'b' })]);
    expect(await single(ints, 'avg:m')).toEqual({ 0: 1 }); // (1+2)/2 in long arithmetic
    const floats = await harness();
    await floats.write([pt('m', 0, 1, { host: 'a' }, '1.0'), pt('m', 0, 2, { host: 'b' }, '2.0')]);
    expect(await single(floats, 'avg:m')).toEqual({ 0: 1.5 });
  });

  it('none returns every series on its own, without interpolation', async () => {
    const h = await harness();
    await h.write([
      pt('m', 0, 1, { host: 'a' }),
      pt('m', 20, 3, { host: 'a' }),
      pt('m', 10, 2, { host: 'b' }),
    ]);
    const results = (await query(h, 'none:m')).map((r) => [r.tags, byOffset(r.dps), r.aggregateTags]);
    expect(results).toEqual(
      expect.arrayContaining([
        [{ host: 'a' }, { 0: 1, 20: 3 }, []],
        [{ host: 'b' }, { 10: 2 }, []],
      ]),
    );
    expect(results).toHaveLength(2);
  });

  it('percentiles, first, last and mult', async () => {
    // Three aligned series 1, 2, 4 at t0. p50 (Commons Math legacy estimate): pos = 0.5*4 = 2
    // -> the 2nd smallest = 2. first/last follow the series' row-key (TSUID) order, which is the
    // order their tag values were first seen: a, b, c.
    const h = await harness();
    await h.write([pt('m', 0, 1, { host: 'a' }), pt('m', 0, 2, { host: 'b' }), pt('m', 0, 4, { host: 'c' })]);
    expect(await single(h, 'p50:m')).toEqual({ 0: 2 });
    expect(await single(h, 'first:m')).toEqual({ 0: 1 });
    expect(await single(h, 'last:m')).toEqual({ 0: 4 });
    expect(await single(h, 'median:m')).toEqual({ 0: 2 });
    expect(await single(h, 'mult:m')).toEqual({ 0: 8 });
  });
});

describe('downsampling', () => {
  // One integer series: 1 @0, 2 @10, 3 @20, 4 @65. Buckets start at multiples of the interval
  // since the epoch (ts - ts % interval) and cover [start, start+interval). Downsampled values
  // are always doubles. With a fill policy every bucket in range is emitted.
  const seed = async (h: Harness): Promise<void> => {
    await h.write([
      pt('s', 0, 1, { host: 'x' }),
      pt('s', 10, 2, { host: 'x' }),
      pt('s', 20, 3, { host: 'x' }),
      pt('s', 65, 4, { host: 'x' }),
    ]);
  };
  const range = `&end=${T0 + 119}`;

  it.each([
    ['30s-sum', '{"+0":6.0,"+60":4.0}'], // [0,30): 1+2+3; [60,90): 4; [30,60) empty: not emitted
    ['30s-sum-nan', '{"+0":6.0,"+30":"NaN","+60":4.0,"+90":"NaN"}'],
    ['30s-sum-null', '{"+0":6.0,"+30":null,"+60":4.0,"+90":null}'],
    ['30s-sum-zero', '{"+0":6.0,"+30":0.0,"+60":4.0,"+90":0.0}'],
    ['30s-avg', '{"+0":2.0,"+60":4.0}'],
    ['30s-count', '{"+0":3.0,"+60":1.0}'],
    ['30s-min', '{"+0":1.0,"+60":4.0}'],
    ['30s-max', '{"+0":3.0,"+60":4.0}'],
    // population std-dev: sqrt(((1-2)^2 + 0 + (3-2)^2) / 3) = sqrt(2/3); of one value: 0
    ['30s-dev', '{"+0":0.816496580927726,"+60":0.0}'],
    ['30s-first', '{"+0":1.0,"+60":4.0}'],
    ['30s-last', '{"+0":3.0,"+60":4.0}'],
    ['0all-sum', '{"+0":10.0}'], // one bucket for the whole range, stamped with the query start
  ])('%s', async (ds, expected) => {
    const h = await harness();
    await seed(h);
    const r = await h.get('/api/query', `?start=${T0}${range}&m=sum:${ds}:s`);
    expect(r.status, r.text).toBe(200);
    expect(relativeKeys(/"dps":(\{[^}]*\})/.exec(r.text)![1]!)).toBe(expected);
  });

  it('0all covers [start, end) and is stamped with the start', async () => {
    const h = await harness();
    await seed(h);
    const r = await h.get('/api/query', `?start=${T0 + 5}&end=${T0 + 70}&m=sum:0all-sum:s`);
    expect(byOffset((r.json as Result[])[0]!.dps)).toEqual({ 5: 9 }); // 2 + 3 + 4
  });

  it('buckets align to the epoch; a bucket starting before the query start is dropped', async () => {
    // start = T0+20 falls inside the [T0, T0+60) bucket, whose timestamp T0 < start.
    const h = await harness();
    await seed(h);
    const r = await h.get('/api/query', `?start=${T0 + 20}&end=${T0 + 119}&m=sum:1m-sum:s`);
    expect(byOffset((r.json as Result[])[0]!.dps)).toEqual({ 60: 4 });
  });

  it('group-by runs after downsampling (the downsampling docs example)', async () => {
    // A 30s-sum: 20 @0, 40 @30, 1 @60; B: 35 @0, 25 @30, 5 @60; summed: 55, 65, 6.
    const h = await harness();
    const a = [5, 5, 10, 15, 20, 5, 1];
    const b = [10, 5, 20, 15, 10, 0, 5];
    await h.write([
      ...a.map((v, i) => pt('m', i * 10, v, { host: 'a' })),
      ...b.map((v, i) => pt('m', i * 10, v, { host: 'b' })),
    ]);
    expect(await single(h, 'sum:30s-sum:m')).toEqual({ 0: 55, 30: 65, 60: 6 });
  });

  it('fill policies and interpolation (the fill policy docs example)', async () => {
    //        t0  10  20  30  40  50  60
    // A:      -   -   -  15   -   5   -
    // B:     10   -  20   -   -   -  20
    // 10s-sum-nan: every bucket exists; sum skips NaN; all-NaN stays NaN.
    // 10s-sum (no fill): no value at t10/t40; B is interpolated at t30 and t50 (20 between 20
    // and 20), A is absent before t30 and after t50.
    const h = await harness();
    await h.write([
      pt('m', 30, 15, { host: 'a' }),
      pt('m', 50, 5, { host: 'a' }),
      pt('m', 0, 10, { host: 'b' }),
      pt('m', 20, 20, { host: 'b' }),
      pt('m', 60, 20, { host: 'b' }),
    ]);
    expect(await single(h, 'sum:10s-sum-nan:m')).toEqual({
      0: 10,
      10: 'NaN',
      20: 20,
      30: 15,
      40: 'NaN',
      50: 5,
      60: 20,
    });
    expect(await single(h, 'sum:10s-sum:m')).toEqual({ 0: 10, 20: 20, 30: 35, 50: 25, 60: 20 });
  });
});

describe('rate', () => {
  it('per-second rate between consecutive points, stamped at the later one', async () => {
    // 100 @0, 160 @60, 220 @120: 60/60 s = 1.0 twice. The first point has no predecessor.
    const h = await harness();
    await h.write([
      pt('c', 0, 100, { host: 'a' }),
      pt('c', 60, 160, { host: 'a' }),
      pt('c', 120, 220, { host: 'a' }),
    ]);
    const r = await h.get('/api/query', `?start=${T0}&end=${T0 + 120}&m=sum:rate:c`);
    expect(r.text).toContain(`"dps":{"${T0 + 60}":1.0,"${T0 + 120}":1.0}`);
  });

  it('the first in-range rate uses the stored point before the start', async () => {
    // start = T0+60, but a TSD scans whole hours from T0, so the rate at T0+60 is still known.
    const h = await harness();
    await h.write([
      pt('c', 0, 100, { host: 'a' }),
      pt('c', 60, 160, { host: 'a' }),
      pt('c', 120, 220, { host: 'a' }),
    ]);
    const r = await h.get('/api/query', `?start=${T0 + 60}&end=${T0 + 120}&m=sum:rate:c`);
    expect(byOffset((r.json as Result[])[0]!.dps)).toEqual({ 60: 1, 120: 1 });
  });

  it.each([
    // 65530 @0, 4 @10, 14 @20 with a 16-bit counter: (65535 - 65530 + 4)/10 = 0.9, then 1.0.
    ['rate{counter,65535}', { 10: 0.9, 20: 1 }],
    // Without the counter flag a decrease is just a negative rate: (4 - 65530)/10.
    ['rate', { 10: -6552.6, 20: 1 }],
    // Only a wrapped rate above the reset value becomes 0: 0.9 <= 1 is kept.
    ['rate{counter,65535,1}', { 10: 0.9, 20: 1 }],
    // dropResets: the decrease is skipped and the next rate is measured from the reset point.
    ['rate{dropcounter,65535}', { 20: 1 }],
  ])('counter wrap: %s', async (rate, expected) => {
    const h = await harness();
    await h.write([
      pt('c', 0, 65530, { host: 'a' }),
      pt('c', 10, 4, { host: 'a' }),
      pt('c', 20, 14, { host: 'a' }),
    ]);
    expect(await single(h, `sum:${rate}:c`)).toEqual(expected);
  });

  it('resetValue turns an implausible wrap into 0', async () => {
    // 100 @0 then 10 @10 on a 64-bit counter: (Long.MAX - 100 + 10)/10 s ~ 9.2e17 /s, above
    // the reset value 1000, so the rate is 0. Without a reset value the huge rate is returned.
    const h = await harness();
    await h.write([pt('c', 0, 100, { host: 'a' }), pt('c', 10, 10, { host: 'a' })]);
    expect(await rawDps(h, 'sum:rate{counter,,1000}:c')).toBe('{"+10":0.0}');
    expect(await rawDps(h, 'sum:rate{counter}:c')).toBe('{"+10":9.223372036854776E17}');
  });

  it('rateOptions in a JSON query', async () => {
    const h = await harness();
    await h.write([
      pt('c', 0, 65530, { host: 'a' }),
      pt('c', 10, 4, { host: 'a' }),
      pt('c', 20, 14, { host: 'a' }),
    ]);
    const r = await h.post('/api/query', {
      start: T0,
      end: T0 + 60,
      queries: [
        {
          aggregator: 'sum',
          metric: 'c',
          rate: true,
          rateOptions: { counter: true, counterMax: 65535, resetValue: 0, dropResets: false },
        },
      ],
    });
    expect(byOffset((r.json as Result[])[0]!.dps)).toEqual({ 10: 0.9, 20: 1 });
  });

  it('rates of several series are aggregated with the previous rate, not interpolated', async () => {
    // A: 0 @0, 10 @10, 30 @20 -> rates 1.0 @10, 2.0 @20. B: 0 @5, 50 @15 -> 5.0 @15.
    // t10: A 1.0 + B's rate so far (against time 0: 0/T = 0)  = 1.0
    // t15: A 1.0 (its previous rate) + B 5.0                    = 6.0
    // t20: A 2.0; B has ended                                   = 2.0
    const h = await harness();
    await h.write([
      pt('c', 0, 0, { host: 'a' }),
      pt('c', 10, 10, { host: 'a' }),
      pt('c', 20, 30, { host: 'a' }),
      pt('c', 5, 0, { host: 'b' }),
      pt('c', 15, 50, { host: 'b' }),
    ]);
    expect(await single(h, 'sum:rate:c')).toEqual({ 10: 1, 15: 6, 20: 2 });
  });
});

describe('tag filters', () => {
  // One point per series at t0; values are bits, so a sum says exactly which series matched.
  const seed = async (h: Harness): Promise<void> => {
    await h.write([
      pt('f', 0, 1, { host: 'web01', dc: 'lga' }),
      pt('f', 0, 2, { host: 'web02', dc: 'lga' }),
      pt('f', 0, 4, { host: 'Web03', dc: 'sjc' }),
      pt('f', 0, 8, { host: 'db01', dc: 'sjc' }),
      pt('f', 0, 16, { host: 'web04' }),
    ]);
  };
  const post = async (h: Harness, filters: object[], extra: object = {}): Promise<Result[]> => {
    const r = await h.post('/api/query', {
      start: T0,
      end: T0 + 60,
      queries: [{ aggregator: 'sum', metric: 'f', filters, ...extra }],
    });
    expect(r.status, r.text).toBe(200);
    return r.json as Result[];
  };
  const sums = (results: Result[]): number[] =>
    results.map((r) => Object.values(r.dps)[0] as number).sort((a, b) => a - b);

  it.each([
    ['literal_or', 'host', 'web01|web02', 3],
    ['iliteral_or', 'host', 'WEB03', 4],
    ['not_literal_or', 'host', 'web01', 2 + 4 + 8 + 16],
    ['not_iliteral_or', 'host', 'WEB01|web02', 4 + 8 + 16],
    ['wildcard', 'host', 'web*', 1 + 2 + 16], // case-sensitive: Web03 is out
    ['iwildcard', 'host', 'WEB*', 1 + 2 + 4 + 16],
    ['wildcard', 'host', '*0*', 1 + 2 + 4 + 8 + 16],
    ['regexp', 'host', '^web0[12]$', 3],
    ['regexp', 'host', '0[34]', 4 + 16], // a match anywhere in the value (Matcher.find)
    // The scan needs every filtered key to be present: web04 has no dc, so even
    // not_literal_or(lga) - which a missing key would pass - does not select it.
    ['not_literal_or', 'dc', 'lga', 4 + 8],
  ])('%s %s=%s without group-by sums %i', async (type, tagk, filter, expected) => {
    const h = await harness();
    await seed(h);
    expect(sums(await post(h, [{ type, tagk, filter, groupBy: false }]))).toEqual([expected]);
  });

  it('group-by filters split the results by tag value', async () => {
    const h = await harness();
    await seed(h);
    const results = await post(h, [{ type: 'wildcard', tagk: 'dc', filter: '*', groupBy: true }]);
    expect(results.map((r) => [r.tags, r.aggregateTags, Object.values(r.dps)[0]]).sort()).toEqual(
      [
        [{ dc: 'lga' }, ['host'], 3],
        [{ dc: 'sjc' }, ['host'], 12],
      ].sort(),
    );
    expect(
      sums(await post(h, [{ type: 'literal_or', tagk: 'host', filter: 'web01|web02', groupBy: true }])),
    ).toEqual([1, 2]);
  });

  it('filters on the same key are ANDed', async () => {
    const h = await harness();
    await seed(h);
    expect(
      await post(h, [
        { type: 'literal_or', tagk: 'host', filter: 'web01' },
        { type: 'literal_or', tagk: 'host', filter: 'web02' },
      ]),
    ).toEqual([]);
  });

  it.each([
    // the old tags form: a value or a|b is a grouping literal_or, * groups by every value,
    // any other * is a case-insensitive grouping wildcard
    ['sum:f{host=web01|web02}', [1, 2]],
    ['sum:f{host=*}', [1, 2, 4, 8, 16]],
    ['sum:f{dc=lga}', [3]],
    ['sum:f{host=web0*}', [1, 2, 4, 16]],
    // second braces: filters that do not group
    ['sum:f{dc=*}{host=wildcard(web*)}', [3]],
    ['sum:f{}{host=iliteral_or(web03)}', [4]],
    ['sum:f{host=regexp(^db)}', [8]],
    // explicit_tags: only series whose tag keys are exactly the filtered ones
    ['sum:explicit_tags:f{host=*}', [16]],
  ])('%s', async (m, expected) => {
    const h = await harness();
    await seed(h);
    expect(sums(await query(h, m))).toEqual(expected);
  });

  it('tags/aggregateTags: common tags stay, differing keys are aggregated', async () => {
    const h = await harness();
    await seed(h);
    const [r] = await query(h, 'sum:f{dc=lga}');
    expect(r!.tags).toEqual({ dc: 'lga' });
    expect(r!.aggregateTags).toEqual(['host']);
  });

  it('a key only some series carry still counts as common (SpanGroup.computeTags)', async () => {
    // 2.x only moves a key to aggregateTags when two series disagree on its value; a key that
    // one series lacks keeps the value of the series that have it.
    const h = await harness();
    await h.write([pt('r', 0, 1, { host: 'a', rack: 'r1' }), pt('r', 0, 2, { host: 'b' })]);
    const [r] = await query(h, 'sum:r');
    expect(r).toMatchObject({ tags: { rack: 'r1' }, aggregateTags: ['host'] });
  });

  it('the JSON tags map is the old form', async () => {
    const h = await harness();
    await seed(h);
    const r = await h.post('/api/query', {
      start: T0,
      end: T0 + 60,
      queries: [{ aggregator: 'sum', metric: 'f', tags: { dc: 'lga|sjc' } }],
    });
    expect(sums(r.json as Result[])).toEqual([3, 12]);
  });

  it.each([
    ['sum:f{host=nope}', "No such name for 'tagv': 'nope'"],
    ['sum:f{nope=*}', "No such name for 'tagk': 'nope'"],
    ['sum:nope', "No such name for 'metrics': 'nope'"],
  ])('unknown names are a 400: %s', async (m, message) => {
    const h = await harness();
    await seed(h);
    const r = await h.get('/api/query', `?start=${T0}&m=${encodeURIComponent(m)}`);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: { code: 400, message, details: message } });
  });
});

describe('times and resolution', () => {
  it('relative and absolute start/end select the same range', async () => {
    const h = await harness({ clock: () => (T0 + 3600) * 1000 });
    await h.write([pt('m', 0, 1, { host: 'a' }), pt('m', 1800, 2, { host: 'a' })]);
    const forms = [
      `start=1h-ago&end=30m-ago`,
      `start=60m-ago&end=1800s-ago`,
      `start=2023/11/14-23:00:00&end=2023/11/14-23:30:00`,
      `start=2023/11/14 23:00:00&end=2023/11/14 23:30`,
      `start=${T0}&end=${T0 + 1800}`,
      `start=${T0 * 1000}&end=${(T0 + 1800) * 1000}`,
      `start=${T0}.000&end=${T0 + 1800}.000`,
    ];
    for (const f of forms) {
      const r = await h.get('/api/query', `?${f.replaceAll(' ', '%20')}&m=sum:m`);
      expect(r.status, `${f}: ${r.text}`).toBe(200);
      expect(byOffset((r.json as Result[])[0]!.dps), f).toEqual({ 0: 1, 1800: 2 });
    }
    const day = await h.get('/api/query', `?start=2023/11/14&m=sum:m`);
    expect(byOffset((day.json as Result[])[0]!.dps)).toEqual({ 0: 1, 1800: 2 });
  });

  it('ms resolution keeps milliseconds; second resolution writes every point under its second', async () => {
    // Two points 500 ms apart inside one second. A TSD's serializer writes each as
    // "<seconds>":value, so the second-resolution JSON repeats the key (JSON readers keep
    // the last value).
    const h = await harness();
    await h.write([
      { metric: 'm', timestamp: T0 * 1000 + 100, value: 1, tags: { host: 'a' } },
      { metric: 'm', timestamp: T0 * 1000 + 600, value: 2, tags: { host: 'a' } },
    ]);
    const ms = await h.get('/api/query', `?start=${T0}&end=${T0 + 60}&m=sum:m&ms=true`);
    expect(ms.text).toContain(`"dps":{"${T0 * 1000 + 100}":1,"${T0 * 1000 + 600}":2}`);
    const s = await h.get('/api/query', `?start=${T0}&end=${T0 + 60}&m=sum:m`);
    expect(s.text).toContain(`"dps":{"${T0}":1,"${T0}":2}`);
    expect((s.json as Result[])[0]!.dps).toEqual({ [T0]: 2 });
    const post = await h.post('/api/query', {
      start: T0,
      msResolution: true,
      queries: [{ aggregator: 'sum', metric: 'm' }],
    });
    expect(Object.keys((post.json as Result[])[0]!.dps)).toEqual([
      String(T0 * 1000 + 100),
      String(T0 * 1000 + 600),
    ]);
  });

  it('output is cut to [start, end] while the points around it still shape the result', async () => {
    // B is interpolated at t30 from its points at t0 and t60, both outside [20, 40].
    const h = await harness();
    await h.write([
      pt('m', 30, 5, { host: 'a' }),
      pt('m', 0, 0, { host: 'b' }),
      pt('m', 60, 60, { host: 'b' }),
    ]);
    const r = await h.get('/api/query', `?start=${T0 + 20}&end=${T0 + 40}&m=sum:m`);
    expect(byOffset((r.json as Result[])[0]!.dps)).toEqual({ 30: 35 });
  });
});

describe('response shape', () => {
  it('is exactly OpenTSDB: metric, tags, aggregateTags, dps', async () => {
    const h = await harness();
    await h.write([pt('m', 0, 1, { host: 'a' })]);
    const r = await h.get('/api/query', `?start=${T0}&end=${T0 + 60}&m=sum:m`);
    expect(r.text).toBe(`[{"metric":"m","tags":{"host":"a"},"aggregateTags":[],"dps":{"${T0}":1}}]`);
  });

  it('an empty result is []', async () => {
    const h = await harness();
    await h.write([pt('m', 0, 1, { host: 'a' })]);
    const r = await h.get('/api/query', `?start=${T0 + 7200}&end=${T0 + 7300}&m=sum:m`);
    expect(r).toMatchObject({ status: 200, text: '[]' });
  });

  it('showQuery, showTSUIDs and arrays', async () => {
    const h = await harness();
    await h.write([pt('m', 0, 1, { host: 'a' })]);
    const r = await h.get(
      '/api/query',
      `?start=${T0}&end=${T0 + 60}&m=sum:m{host=*}&show_query&show_tsuids&arrays`,
    );
    const [res] = r.json as (Result & { query: Record<string, unknown>; tsuids: string[]; dps: unknown })[];
    expect(res!.query).toMatchObject({ aggregator: 'sum', metric: 'm', rate: false, index: 0 });
    expect(res!.query.filters).toEqual([{ tagk: 'host', filter: '*', group_by: true, type: 'wildcard' }]);
    expect(res!.tsuids).toEqual(['000001000001000001']);
    expect(res!.dps).toEqual([[T0, 1]]);
  });

  it('identical sub queries are answered once', async () => {
    const h = await harness();
    await h.write([pt('m', 0, 1, { host: 'a' })]);
    const r = await h.get('/api/query', `?start=${T0}&m=sum:m&m=sum:m&m=max:m`);
    expect(r.json).toHaveLength(2);
  });
});

describe('errors', () => {
  it.each([
    ['?m=sum:m', 'Missing parameter <code>start</code>'],
    [`?start=${T0}`, 'Missing sub queries'],
    [`?start=${T0}&m=foo:m`, 'No such aggregation function: foo'],
    [`?start=${T0}&m=sum:1x-avg:m`, 'Invalid duration (suffix): 1x'],
    [`?start=${T0}&m=sum:1m-foo:m`, 'No such downsampling function: foo'],
    [`?start=${T0}&m=sum:1m-avg-bogus:m`, 'Unrecognized fill policy: bogus'],
    [
      `?start=${T0}&m=sum:1m:m`,
      "Invalid downsampling specifier '1m': must provide at least interval and function",
    ],
    [`?start=${T0}&m=sum:1m-none:m`, 'cannot use the NONE aggregator for downsampling'],
    [
      `?start=${T0}&end=${T0 - 10}&m=sum:m`,
      `End time [${(T0 - 10) * 1000}] must be greater than or equal to the start time [${T0 * 1000}]`,
    ],
    [`?start=1x-ago&m=sum:m`, 'Invalid duration (suffix): 1x'],
    [`?start=abc&m=sum:m`, "Invalid time: abc. Invalid character 'a' in abc"],
    [`?start=${T0}&m=sum`, 'Invalid parameter m=sum (not enough :-separated parts)'],
    [`?start=${T0}&m=sum:m{host`, "Missing '}' at the end of: m{host"],
    [
      `?start=${T0}&m=sum:m{host=foo(x)}`,
      "When parsing tag 'host=foo(x)': Could not find a tag value filter of the type: foo",
    ],
  ])('GET %s -> 400 %s', async (search, message) => {
    const h = await harness();
    await h.write([pt('m', 0, 1, { host: 'a' })]);
    const r = await h.get('/api/query', search.replaceAll('{', '%7B').replaceAll('}', '%7D'));
    expect(r.status, r.text).toBe(400);
    expect((r.json as { error: { code: number; message: string } }).error).toMatchObject({
      code: 400,
      message,
    });
  });

  it.each([
    ['', 'Missing message content'],
    ['{not json', 'Unable to parse the given JSON'],
    ['[]', 'Unable to parse the given JSON'],
    [JSON.stringify({ queries: [{ aggregator: 'sum', metric: 'm' }] }), 'Missing start time'],
    [JSON.stringify({ start: T0 }), 'Missing queries'],
    [JSON.stringify({ start: T0, queries: [{ metric: 'm' }] }), 'Missing the aggregation function'],
    [
      JSON.stringify({ start: T0, queries: [{ aggregator: 'sum' }] }),
      'Missing the metric or tsuids, provide at least one',
    ],
    [
      JSON.stringify({
        start: T0,
        queries: [{ aggregator: 'sum', metric: 'm', filters: [{ type: 'x', tagk: 'h', filter: 'a' }] }],
      }),
      'Unable to parse the given JSON',
    ],
  ])('POST %s -> 400 %s', async (body, message) => {
    const h = await harness();
    await h.write([pt('m', 0, 1, { host: 'a' })]);
    const r = await h.post('/api/query', body);
    expect(r.status, r.text).toBe(400);
    expect((r.json as { error: { message: string } }).error.message).toBe(message);
  });
});

describe('work limits', () => {
  it('refuses to interpolate more than maxInterpolationSteps, and says how to fix it', async () => {
    // Three series at different offsets: 6 points x 3 series = 18 interpolation steps.
    const h = await harness({ maxInterpolationSteps: 10 });
    await h.write([
      pt('m', 0, 1, { host: 'a' }),
      pt('m', 10, 1, { host: 'a' }),
      pt('m', 1, 1, { host: 'b' }),
      pt('m', 11, 1, { host: 'b' }),
      pt('m', 2, 1, { host: 'c' }),
      pt('m', 12, 1, { host: 'c' }),
    ]);
    const r = await h.get('/api/query', `?start=${T0}&end=${T0 + 60}&m=sum:m`);
    expect(r.status).toBe(400);
    expect((r.json as { error: { message: string } }).error.message).toMatch(
      /18 interpolation steps.*downsampler/,
    );
    // Downsampled onto shared buckets the same data costs nothing to align.
    expect(await single(h, 'sum:1m-sum:m')).toEqual({ 0: 6 });
  });
});

describe("cases ported from OpenTSDB's own unit tests (TestTsdbQueryQueries)", () => {
  const BASE = 1_356_998_400;
  const clock = (): number => 1_357_041_600_000;
  const run = async (h: Harness, m: string): Promise<[number, unknown][]> => {
    const r = await h.get('/api/query', `?start=${BASE}&end=1357041600&ms&m=${encodeURIComponent(m)}`);
    expect(r.status, r.text).toBe(200);
    return Object.entries((r.json as Result[])[0]!.dps).map(([k, v]) => [Number(k), v]);
  };
  const series = (values: number[]) =>
    values.map((v, i) => ({
      metric: 'm',
      timestamp: BASE + 30 * (i + 1),
      value: v,
      tags: { host: 'web01' },
    }));

  it('runRateCounterMaxSet: 45, 75, 5 with counterMax 100 -> 1.0, 1.0', async () => {
    const h = await harness({ clock });
    await h.write(series([45, 75, 5]));
    expect(await run(h, 'sum:rate{counter,100}:m')).toEqual([
      [1356998460000, 1],
      [1356998490000, 1],
    ]);
  });

  it('runRateCounterAnomally: a wrap above resetValue 35 becomes 0', async () => {
    const h = await harness({ clock });
    await h.write(series([45, 75, 25]));
    expect(await run(h, 'sum:rate{counter,10000,35}:m')).toEqual([
      [1356998460000, 1],
      [1356998490000, 0],
    ]);
  });

  it('runRateCounterAnomallyDrop: the reset point is dropped', async () => {
    const h = await harness({ clock });
    await h.write(series([45, 75, 25, 55]));
    expect(await run(h, 'sum:rate{dropcounter,10000,35}:m')).toEqual([
      [1356998460000, 1],
      [1356998520000, 1],
    ]);
  });

  it('runInterpolationSeconds: 1..300 against 300..1 offset by 15 s sums to 1, 301, 302, 301, ..., 1', async () => {
    const h = await harness({ clock });
    const points = [];
    for (let i = 1; i <= 300; i++)
      points.push({ metric: 'm', timestamp: BASE + 30 * i, value: i, tags: { host: 'web01' } });
    for (let i = 300; i > 0; i--) {
      points.push({ metric: 'm', timestamp: BASE + 15 + 30 * (301 - i), value: i, tags: { host: 'web02' } });
    }
    await h.write(points);
    const dps = await run(h, 'sum:m');
    expect(dps).toHaveLength(600);
    // The expectation loop of the Java test, verbatim in spirit.
    let v = 1;
    let ts = 1356998430000;
    for (const [t, value] of dps) {
      expect([t, value]).toEqual([ts, v]);
      ts += 15000;
      if (t === 1357007400000) v = 1;
      else if (v === 1 || v === 302) v = 301;
      else v = 302;
    }
  });
});

describe("cases ported from OpenTSDB's own unit tests (TestTsdbQueryDownsample)", () => {
  const BASE = 1_356_998_400;
  const clock = (): number => 1_357_041_600_000;
  // storeLongTimeSeriesSeconds(true, false): web01 = 1..300 and web02 = 300..1, every 30 s.
  const seed = async (h: Harness): Promise<void> => {
    const points = [];
    for (let i = 1; i <= 300; i++) {
      points.push({ metric: 'sys.cpu.user', timestamp: BASE + 30 * i, value: i, tags: { host: 'web01' } });
      points.push({
        metric: 'sys.cpu.user',
        timestamp: BASE + 30 * i,
        value: 301 - i,
        tags: { host: 'web02' },
      });
    }
    await h.write(points);
  };
  const run = async (h: Harness, m: string, start = BASE, end = 1357041600): Promise<[number, number][]> => {
    const r = await h.get('/api/query', `?start=${start}&end=${end}&ms&m=${encodeURIComponent(m)}`);
    expect(r.status, r.text).toBe(200);
    return Object.entries((r.json as Result[])[0]!.dps).map(([k, v]) => [Number(k), v as number]);
  };

  it('runLongSingleTSDownsample: 1m-avg gives 1, 2.5, 4.5, ..., 298.5, 300', async () => {
    const h = await harness({ clock });
    await seed(h);
    const dps = await run(h, 'sum:1m-avg:sys.cpu.user{host=web01}');
    expect(dps).toHaveLength(151);
    dps.forEach(([ts, v], i) => {
      expect(ts % 60000).toBe(0);
      expect(v).toBeCloseTo(i === 0 ? 1 : i >= 150 ? 300 : i * 2 + 0.5, 5);
    });
  });

  it('runLongSingleTSDownsampleAndRate: 0.025, 0.033..., 0.025 from the minute after the start', async () => {
    const h = await harness({ clock });
    await seed(h);
    const dps = await run(h, 'sum:1m-avg:rate:sys.cpu.user{host=web01}');
    expect(dps).toHaveLength(150);
    dps.forEach(([ts, v], i) => {
      expect(ts).toBe(1356998460000 + i * 60000);
      expect(v).toBeCloseTo(i === 0 || i >= 149 ? 0.025 : 2 / 60, 3);
    });
  });

  it('runLongSingleTSDownsampleAll and AllSubSet: 0all-sum', async () => {
    const h = await harness({ clock });
    await seed(h);
    expect(await run(h, 'sum:0all-sum:sys.cpu.user{host=web01}')).toEqual([[1356998400000, 45150]]);
    // [1356998500, 1356998600) holds the points at +120, +150, +180: 4 + 5 + 6
    expect(await run(h, 'sum:0all-sum:sys.cpu.user{host=web01}', 1356998500, 1356998600)).toEqual([
      [1356998500000, 15],
    ]);
  });
});
