/**
 * Executes a validated /api/query against the in-memory series, reproducing OpenTSDB 2.x's
 * pipeline (TsdbQuery -> SpanGroup -> AggregationIterator):
 *
 *  1. Scan window. A TSD reads whole one-hour rows: from the start (aligned down to the
 *     downsampling interval, then to the hour) to past the end (aligned up to the next interval,
 *     then to the hour). Every step below sees all points in that window; only the final output
 *     is cut to [start, end]. So rates and interpolation use neighbours just outside the range.
 *  2. Series selection: the metric, every filter's tag key present, every filter matching
 *     (filters on one key are ANDed), `explicitTags` = no other keys; series without points in
 *     the window do not exist for the query.
 *  3. Grouping by the values of the group-by filters' keys (`none`: every series alone).
 *  4. Per series: downsample (Downsampler / FillingDownsampler), then rate (RateSpan).
 *  5. Per group: AggregationIterator - emit at every timestamp of any series; series that have
 *     started and not ended contribute their value there, interpolated when they have no point
 *     (lerp / zero / max / min / previous, per aggregator); integer arithmetic when every input
 *     is an integer.
 *
 * Hot loops run over typed arrays with index ranges (binary search for the window); no
 * per-point objects are created.
 */
import type { Aggregator } from './aggregators.js';
import { type ApiError, apiError, noSuchName } from './api-error.js';
import {
  DEFAULT_RATE_OPTIONS,
  type DownsampleSpec,
  type RateOptions,
  type SubQuery,
  type TimeSeriesQuery,
} from './query-spec.js';
import { lowerBound, type Series, type SeriesStore, uidHex } from './series-store.js';

/** Largest number of filled buckets one series may produce (guards `1ms-sum-zero` over years). */
export const MAX_FILLED_BUCKETS = 5_000_000;

/** One output series of a sub query. */
export interface ResultGroup {
  readonly sub: SubQuery;
  readonly metric: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly aggregateTags: readonly string[];
  readonly tsuids: readonly string[];
  readonly points: PointColumns;
}

/** Columnar points: timestamps (ms), values, integer flags; the first `n` entries are used. */
export interface PointColumns {
  t: Float64Array;
  v: Float64Array;
  isInt: Uint8Array;
  n: number;
}

export type QueryOutcome = { ok: true; groups: ResultGroup[] } | { ok: false; error: ApiError };

const SECONDS_LIMIT = 0xffffffff;
const MAX_TIMESPAN = 3600;

/**
 * TsdbQuery.getScanStartTimeSeconds/getScanEndTimeSeconds, in ms: the half-open window of
 * stored points a TSD would read for this query.
 */
export function scanWindow(startMs: number, endMs: number, ds: DownsampleSpec | undefined): [number, number] {
  const interval = ds !== undefined && !ds.runAll ? ds.intervalMs : 0;
  // A TSD only treats values above 32 bits as milliseconds.
  const start = startMs > SECONDS_LIMIT ? Math.trunc(startMs / 1000) : startMs;
  let aligned = start;
  if (interval > 0) aligned -= Math.trunc(((1000 * start) % interval) / 1000);
  const scanStart = Math.max(0, aligned - (aligned % MAX_TIMESPAN));
  let end = endMs;
  if (end > SECONDS_LIMIT) end = Math.trunc(end / 1000) + 1;
  let scanEnd: number;
  if (interval > 0) {
    const offset = (1000 * end) % interval;
    const next = end + Math.trunc((interval - offset) / 1000);
    const spanOffset = next % MAX_TIMESPAN;
    scanEnd = spanOffset === 0 ? next : next + (MAX_TIMESPAN - spanOffset);
  } else {
    scanEnd = end + (MAX_TIMESPAN - (end % MAX_TIMESPAN));
  }
  return [scanStart * 1000, scanEnd * 1000];
}

/** Work bounds that keep one query from monopolising the event loop. */
export interface QueryLimits {
  /**
   * Interpolation steps (points x series) allowed for one group whose series do not share
   * timestamps: every output point there costs one step per series, so 1,000 unaligned raw
   * series over a day of 15 s data would be 5.8e9 steps. Above it the query is refused with a
   * hint to downsample. Aligned groups (any downsampled query, series written in step) never
   * count against it.
   */
  readonly maxInterpolationSteps: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxInterpolationSteps: 200_000_000 };

export function executeQuery(
  store: SeriesStore,
  query: TimeSeriesQuery,
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
): QueryOutcome {
  const groups: ResultGroup[] = [];
  for (const sub of query.queries) {
    const r = executeSubQuery(store, query, sub, limits);
    if (!r.ok) return r;
    for (const g of r.groups) groups.push(g);
  }
  return { ok: true, groups };
}

interface Span {
  readonly series: Series;
  readonly from: number;
  readonly to: number;
}

function executeSubQuery(
  store: SeriesStore,
  query: TimeSeriesQuery,
  sub: SubQuery,
  limits: QueryLimits,
): QueryOutcome {
  const [scanStart, scanEnd] = scanWindow(query.startMs, query.endMs, sub.downsample);
  const selected = selectSeries(store, sub, scanStart, scanEnd);
  if (!selected.ok) return selected;
  const spans = selected.spans;
  if (spans.length === 0) return { ok: true, groups: [] };
  const groupSpans = groupBy(store, sub, spans);
  const groups: ResultGroup[] = [];
  const arena = new ColumnArena();
  for (const members of groupSpans) {
    arena.reset();
    const points = aggregateGroup(
      members,
      sub,
      scanStart,
      scanEnd,
      query.startMs,
      query.endMs,
      limits,
      arena,
    );
    if (!points.ok) return points;
    const { tags, aggregateTags } = groupTags(members);
    groups.push({
      sub,
      metric: members[0]!.series.metric,
      tags,
      aggregateTags,
      tsuids: members.map((s) => s.series.tsuid).sort(),
      points: points.points,
    });
  }
  return { ok: true, groups };
}

type Selection = { ok: true; spans: Span[] } | { ok: false; error: ApiError };

function selectSeries(store: SeriesStore, sub: SubQuery, scanStart: number, scanEnd: number): Selection {
  const spans: Span[] = [];
  const addIfInWindow = (s: Series): void => {
    const from = lowerBound(s.ts, s.head, s.end, scanStart);
    if (from >= s.end || s.ts[from]! >= scanEnd) return;
    spans.push({ series: s, from, to: lowerBound(s.ts, from, s.end, scanEnd) });
  };
  if (sub.tsuids !== undefined) {
    const first = sub.tsuids[0]!.slice(0, 6).toUpperCase();
    for (const tsuid of sub.tsuids) {
      const metricUid = tsuid.slice(0, 6).toUpperCase();
      if (metricUid !== first) {
        return {
          ok: false,
          error: apiError(
            400,
            'One or more TSUIDs did not share the same metric [' + first + '] [' + metricUid + ']',
          ),
        };
      }
      const s = store.byTsuidHex(tsuid);
      if (s !== undefined) addIfInWindow(s);
    }
    return { ok: true, spans };
  }
  const metric = sub.metric!;
  if (!store.metricUids.has(metric)) return { ok: false, error: noSuchName('metrics', metric) };
  for (const f of sub.filters) {
    if (!store.tagkUids.has(f.tagk)) return { ok: false, error: noSuchName('tagk', f.tagk) };
    if (f.literals !== undefined) {
      for (const v of f.literals)
        if (!store.tagvUids.has(v)) return { ok: false, error: noSuchName('tagv', v) };
    }
  }
  const ofMetric = store.seriesOfMetric(metric);
  if (ofMetric === undefined) return { ok: true, spans };
  // A literal_or filter names its values: start from the smallest such set of series (values of
  // one key never share a series, so the union has no duplicates).
  let candidates: Iterable<Series> = ofMetric;
  let size = ofMetric.size;
  for (const f of sub.filters) {
    if (f.type !== 'literal_or' || f.literals === undefined) continue;
    const sets = f.literals.map((v) => store.seriesWithTag(f.tagk, v));
    const total = sets.reduce((n, set) => n + (set?.size ?? 0), 0);
    if (total < size) {
      size = total;
      candidates = sets.flatMap((set) => (set === undefined ? [] : [...set]));
    }
  }
  const filterKeys = new Set(sub.filters.map((f) => f.tagk));
  for (const s of candidates) {
    if (s.metric !== metric) continue;
    if (sub.explicitTags) {
      if (s.tagKeys.length !== filterKeys.size) continue;
      if (!s.tagKeys.every((k) => filterKeys.has(k))) continue;
    }
    let ok = true;
    for (const f of sub.filters) {
      // The row-key scan requires every filtered key to be present, whatever the filter.
      const v = s.tags[f.tagk];
      if (v === undefined || !f.match(v)) {
        ok = false;
        break;
      }
    }
    if (ok) addIfInWindow(s);
  }
  return { ok: true, spans };
}

/**
 * Groups in a TSD's order: by the group-by keys' value UIDs (keys in UID order), series inside
 * a group in row-key (TSUID) order. `none` puts every series in a group of its own.
 */
function groupBy(store: SeriesStore, sub: SubQuery, spans: Span[]): Span[][] {
  spans.sort((a, b) => (a.series.tsuid < b.series.tsuid ? -1 : a.series.tsuid > b.series.tsuid ? 1 : 0));
  if (sub.aggregator.name === 'none') return spans.map((s) => [s]);
  const keys = [...new Set(sub.filters.filter((f) => f.groupBy).map((f) => f.tagk))];
  if (keys.length === 0) return [spans];
  keys.sort((a, b) => (store.tagkUids.lookup(a) ?? 0) - (store.tagkUids.lookup(b) ?? 0));
  const groups = new Map<string, Span[]>();
  for (const span of spans) {
    let id = '';
    for (const k of keys) id += uidHex(store.tagvUids.lookup(span.series.tags[k]!) ?? 0);
    let list = groups.get(id);
    if (list === undefined) {
      list = [];
      groups.set(id, list);
    }
    list.push(span);
  }
  return [...groups.keys()].sort().map((id) => groups.get(id)!);
}

/**
 * SpanGroup.computeTags: a key whose values all agree (among the series that have it) is a tag;
 * a key with two different values is an aggregated tag.
 */
function groupTags(members: Span[]): { tags: Record<string, string>; aggregateTags: string[] } {
  const tags = new Map<string, string>();
  const aggregated = new Set<string>();
  for (const { series } of members) {
    for (const k of series.tagKeys) {
      if (aggregated.has(k)) continue;
      const v = series.tags[k]!;
      const seen = tags.get(k);
      if (seen === undefined) tags.set(k, v);
      else if (seen !== v) {
        aggregated.add(k);
        tags.delete(k);
      }
    }
  }
  const out: Record<string, string> = Object.create(null);
  for (const k of [...tags.keys()].sort()) out[k] = tags.get(k)!;
  return { tags: out, aggregateTags: [...aggregated].sort() };
}

/**
 * Scratch space for one group's downsampled/rated columns, handed out as views and reused group
 * after group: a query allocates a few large buffers instead of two arrays per series.
 */
class ColumnArena {
  private buf = new Float64Array(1 << 15);
  private used = 0;

  reset(): void {
    this.used = 0;
  }

  take(n: number): Float64Array {
    if (this.used + n > this.buf.length) {
      // Views already handed out keep the old buffer alive; new ones come from a bigger one.
      this.buf = new Float64Array(Math.max(this.buf.length * 2, n * 2));
      this.used = 0;
    }
    const view = this.buf.subarray(this.used, this.used + n);
    this.used += n;
    return view;
  }
}

/** A span as the aggregation sees it: a range of columns; `ints` null means all floats. */
export interface Columns {
  t: Float64Array;
  v: Float64Array;
  ints: Uint8Array | null;
  from: number;
  to: number;
}

type GroupOutcome = { ok: true; points: PointColumns } | { ok: false; error: ApiError };

function aggregateGroup(
  members: Span[],
  sub: SubQuery,
  scanStart: number,
  scanEnd: number,
  queryStart: number,
  queryEnd: number,
  limits: QueryLimits,
  arena: ColumnArena,
): GroupOutcome {
  const inputs: Columns[] = [];
  for (const span of members) {
    let cols: Columns = {
      t: span.series.ts,
      v: span.series.vals,
      ints: span.series.ints,
      from: span.from,
      to: span.to,
    };
    if (sub.downsample !== undefined) {
      const ds = downsample(cols, sub.downsample, scanStart, scanEnd, queryStart, queryEnd, arena);
      if (!ds.ok) return ds;
      cols = ds.cols;
    }
    if (sub.rate) cols = rate(cols, sub.rateOptions ?? DEFAULT_RATE_OPTIONS, arena);
    inputs.push(cols);
  }
  const aligned = alignedStarts(inputs, scanStart);
  if (aligned !== undefined) {
    return {
      ok: true,
      points: aggregateAligned(inputs, aligned, sub.aggregator, sub.rate, scanEnd, queryStart, queryEnd),
    };
  }
  let points = 0;
  for (const c of inputs) points += c.to - c.from;
  const steps = points * inputs.length;
  if (steps > limits.maxInterpolationSteps) {
    return {
      ok: false,
      error: apiError(
        400,
        `Query too expensive: ${inputs.length} series with ${points} points that do not share timestamps ` +
          `would need ${steps} interpolation steps (limit ${limits.maxInterpolationSteps}); ` +
          'add a downsampler such as 1m-avg, or narrow the filters',
      ),
    };
  }
  return {
    ok: true,
    points: aggregate(inputs, sub.aggregator, sub.rate, scanStart, scanEnd, queryStart, queryEnd, false),
  };
}

type DownsampleOutcome = { ok: true; cols: Columns } | { ok: false; error: ApiError };

/**
 * Downsampler / FillingDownsampler. Buckets start at multiples of the interval since the epoch
 * (`ts - ts % interval`) and hold [start, start + interval); the value is the downsampling
 * function over the bucket's values as doubles. With a fill policy every bucket of the scan
 * window is emitted, empty ones as NaN (nan, null) or 0 (zero). `0all` makes one bucket of
 * [query start, query end) stamped with the query start.
 */
function downsample(
  cols: Columns,
  spec: DownsampleSpec,
  startTime: number,
  endTime: number,
  queryStart: number,
  queryEnd: number,
  arena: ColumnArena,
): DownsampleOutcome {
  const { t, v, to } = cols;
  const agg = spec.aggregator;
  if (spec.runAll) {
    const i = lowerBound(t, cols.from, to, queryStart);
    const j = lowerBound(t, i, to, queryEnd);
    if (i >= j)
      return {
        ok: true,
        cols: { t: new Float64Array(0), v: new Float64Array(0), ints: null, from: 0, to: 0 },
      };
    return {
      ok: true,
      cols: {
        t: Float64Array.of(queryStart),
        v: Float64Array.of(agg.runDouble(v, i, j)),
        ints: null,
        from: 0,
        to: 1,
      },
    };
  }
  const interval = spec.intervalMs;
  // Seeking a downsampler skips to the first bucket boundary at or after the start.
  const firstBucket = alignUp(startTime, interval);
  let i = lowerBound(t, cols.from, to, firstBucket);
  if (spec.fill === 'none') {
    // At most one bucket per point, and at most one per interval of the covered time.
    const size = i < to ? Math.min(to - i, Math.floor((t[to - 1]! - t[i]!) / interval) + 2) : 0;
    const outT = arena.take(size);
    const outV = arena.take(size);
    const fast = FAST_REDUCERS[agg.name];
    const n =
      fast !== undefined
        ? reduceBuckets(fast, t, v, i, to, interval, outT, outV)
        : reduceBucketsWith(agg, t, v, i, to, interval, outT, outV);
    return { ok: true, cols: { t: outT, v: outV, ints: null, from: 0, to: n } };
  }
  const lastBucket = endTime - (endTime % interval); // exclusive
  const count = lastBucket > firstBucket ? Math.ceil((lastBucket - firstBucket) / interval) : 0;
  if (count > MAX_FILLED_BUCKETS) {
    return {
      ok: false,
      error: apiError(
        400,
        'Downsampling with ' +
          spec.text +
          ' would fill ' +
          count +
          ' buckets per series; the local store allows at most ' +
          MAX_FILLED_BUCKETS,
      ),
    };
  }
  const fillValue = spec.fill === 'zero' ? 0 : Number.NaN;
  const outT = arena.take(count);
  const outV = arena.take(count);
  let n = 0;
  for (let bucket = firstBucket; bucket < lastBucket; bucket += interval) {
    const bucketEnd = bucket + interval;
    outT[n] = bucket;
    if (i < to && t[i]! < bucketEnd) {
      let j = i + 1;
      while (j < to && t[j]! < bucketEnd) j++;
      outV[n] = agg.runDouble(v, i, j);
      i = j;
    } else {
      outV[n] = fillValue;
    }
    n++;
  }
  return { ok: true, cols: { t: outT, v: outV, ints: null, from: 0, to: n } };
}

/**
 * Single-pass bucket reducers for the common downsamplers. Stored values are never NaN (writes
 * refuse non-finite values), so these agree with the aggregators' runDouble exactly, including
 * the order of additions.
 */
const Reducer = { Sum: 0, Avg: 1, Count: 2, Min: 3, Max: 4, First: 5, Last: 6 } as const;
type Reducer = (typeof Reducer)[keyof typeof Reducer];

export const FAST_REDUCERS: Readonly<Record<string, Reducer | undefined>> = {
  sum: Reducer.Sum,
  zimsum: Reducer.Sum,
  pfsum: Reducer.Sum,
  avg: Reducer.Avg,
  count: Reducer.Count,
  min: Reducer.Min,
  mimmin: Reducer.Min,
  max: Reducer.Max,
  mimmax: Reducer.Max,
  first: Reducer.First,
  last: Reducer.Last,
};

export function reduceBuckets(
  kind: Reducer,
  t: Float64Array,
  v: Float64Array,
  from: number,
  to: number,
  interval: number,
  outT: Float64Array,
  outV: Float64Array,
): number {
  if (from >= to) return 0;
  let n = 0;
  let ts = t[from]!;
  let bucket = ts - (ts % interval);
  let end = bucket + interval;
  // Sum and Avg start from 0 like runDouble, so a lone -0 comes out as 0.
  const zero = kind === Reducer.Sum || kind === Reducer.Avg ? 0 : -0;
  let acc = zero + v[from]!;
  let count = 1;
  for (let i = from + 1; i < to; i++) {
    ts = t[i]!;
    const x = v[i]!;
    if (ts >= end) {
      outT[n] = bucket;
      outV[n] = finishBucket(kind, acc, count);
      n++;
      // Usually the next bucket follows directly; `%` on doubles (fmod) is slow enough to matter.
      bucket = ts < end + interval ? end : ts - (ts % interval);
      end = bucket + interval;
      acc = zero + x;
      count = 1;
      continue;
    }
    count++;
    switch (kind) {
      case Reducer.Sum:
      case Reducer.Avg:
        acc += x;
        break;
      case Reducer.Min:
        if (x < acc) acc = x;
        break;
      case Reducer.Max:
        if (x > acc) acc = x;
        break;
      case Reducer.Last:
        acc = x;
        break;
      default:
        break; // Count and First keep their accumulator
    }
  }
  outT[n] = bucket;
  outV[n] = finishBucket(kind, acc, count);
  return n + 1;
}

function finishBucket(kind: Reducer, acc: number, count: number): number {
  if (kind === Reducer.Avg) return acc / count;
  if (kind === Reducer.Count) return count;
  return acc;
}

export function reduceBucketsWith(
  agg: Aggregator,
  t: Float64Array,
  v: Float64Array,
  from: number,
  to: number,
  interval: number,
  outT: Float64Array,
  outV: Float64Array,
): number {
  let n = 0;
  let i = from;
  while (i < to) {
    const ts = t[i]!;
    const bucket = ts - (ts % interval);
    const bucketEnd = bucket + interval;
    let j = i + 1;
    while (j < to && t[j]! < bucketEnd) j++;
    outT[n] = bucket;
    outV[n] = agg.runDouble(v, i, j);
    n++;
    i = j;
  }
  return n;
}

function alignUp(ts: number, interval: number): number {
  const down = ts - (ts % interval);
  return down < ts ? down + interval : down;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Java `long` subtraction for integer values held in doubles. */
function longSub(a: number, b: number): number {
  const d = a - b;
  if (d <= MAX_SAFE && d >= -MAX_SAFE && Math.abs(a) <= MAX_SAFE && Math.abs(b) <= MAX_SAFE) return d;
  return Number(BigInt.asIntN(64, BigInt(a) - BigInt(b)));
}

/**
 * RateSpan: per-second rate between consecutive points, stamped at the later point. Like 2.x,
 * the first rate is taken against (time 0, value 0); the aggregation holds it as the series'
 * "previous" rate without emitting it. Counters: a decrease means a wrap, so the delta becomes
 * `counterMax - previous + current`; a rate above `resetValue` (when > 0) becomes 0;
 * `dropResets` skips the point instead. Integer pairs subtract in 64-bit integer arithmetic.
 */
function rate(cols: Columns, options: RateOptions, arena: ColumnArena): Columns {
  const { t, v, ints, from, to } = cols;
  const outT = arena.take(to - from);
  const outV = arena.take(to - from);
  const counterMax = Number(options.counterMax);
  const resetValue = Number(options.resetValue);
  let prevT = 0;
  let prevV = 0;
  let prevInt = true;
  let n = 0;
  for (let i = from; i < to; i++) {
    const t1 = t[i]!;
    const v1 = v[i]!;
    const int1 = ints !== null && ints[i] === 1;
    const seconds = (t1 - prevT) / 1000;
    const bothInt = prevInt && int1;
    let diff = bothInt ? longSub(v1, prevV) : v1 - prevV;
    let r: number;
    if (options.counter && diff < 0) {
      if (options.dropResets) {
        prevT = t1;
        prevV = v1;
        prevInt = int1;
        continue;
      }
      diff = bothInt
        ? Number(BigInt.asIntN(64, options.counterMax - BigInt(prevV) + BigInt(v1)))
        : counterMax - prevV + v1;
      r = diff / seconds;
      if (options.resetValue > 0n && r > resetValue) r = 0;
    } else {
      r = diff / seconds;
    }
    outT[n] = t1;
    outV[n] = r;
    n++;
    prevT = t1;
    prevV = v1;
    prevInt = int1;
  }
  return { t: outT, v: outV, ints: null, from: 0, to: n };
}

const LONG_MAX_AS_DOUBLE = 2 ** 63; // Long.MAX_VALUE as a double
const LONG_MIN_AS_DOUBLE = -(2 ** 63);
const ENDED = Number.POSITIVE_INFINITY;

/** Growable output columns. */
class PointBuilder implements PointColumns {
  t: Float64Array;
  v: Float64Array;
  isInt: Uint8Array;
  n = 0;
  constructor(capacity: number) {
    const c = Math.max(16, capacity);
    this.t = new Float64Array(c);
    this.v = new Float64Array(c);
    this.isInt = new Uint8Array(c);
  }
  push(t: number, v: number, isInt: boolean): void {
    if (this.n === this.t.length) {
      const c = this.n * 2;
      const nt = new Float64Array(c);
      const nv = new Float64Array(c);
      const ni = new Uint8Array(c);
      nt.set(this.t);
      nv.set(this.v);
      ni.set(this.isInt);
      this.t = nt;
      this.v = nv;
      this.isInt = ni;
    }
    this.t[this.n] = t;
    this.v[this.n] = v;
    this.isInt[this.n] = isInt ? 1 : 0;
    this.n++;
  }
}

/**
 * AggregationIterator, slot for slot. Each span has a "current" point (timestamp 0 = none yet,
 * or expired) and a "next" point (ENDED when exhausted). Each step takes the smallest "next"
 * timestamp (all spans sharing it advance together), makes it current and emits one value at
 * it, gathered from every span that has a current point.
 */
export function aggregate(
  spans: Columns[],
  agg: Aggregator,
  isRate: boolean,
  startTime: number,
  endTime: number,
  outStart: number,
  outEnd: number,
  allowAlignedPath = true,
): PointColumns {
  const k = spans.length;
  const aligned = allowAlignedPath ? alignedStarts(spans, startTime) : undefined;
  if (aligned !== undefined) return aggregateAligned(spans, aligned, agg, isRate, endTime, outStart, outEnd);
  const pos = new Int32Array(k); // next index to load
  const curT = new Float64Array(k);
  const curV = new Float64Array(k);
  const curF = new Uint8Array(k); // 1 = float
  const nxtT = new Float64Array(k);
  const nxtV = new Float64Array(k);
  const nxtF = new Uint8Array(k);
  const scratch = new Float64Array(k);
  const method = agg.interpolation;
  let estimate = 0;
  for (const s of spans) estimate = Math.max(estimate, s.to - s.from);
  const out = new PointBuilder(estimate);

  const load = (i: number): void => {
    const s = spans[i]!;
    const p = pos[i]!;
    if (p < s.to) {
      nxtT[i] = s.t[p]!;
      nxtV[i] = s.v[p]!;
      nxtF[i] = s.ints === null || s.ints[p] !== 1 ? 1 : 0;
      pos[i] = p + 1;
    } else {
      nxtT[i] = ENDED;
      nxtF[i] = 0;
    }
  };
  const moveToNext = (i: number): void => {
    curT[i] = nxtT[i]!;
    curV[i] = nxtV[i]!;
    curF[i] = nxtF[i]!;
    load(i);
  };

  for (let i = 0; i < k; i++) {
    const s = spans[i]!;
    pos[i] = lowerBound(s.t, s.from, s.to, startTime);
    load(i);
    // A rate series' first value (against time 0) becomes its current point straight away.
    if (isRate && nxtT[i] !== ENDED) {
      if (pos[i]! < s.to) moveToNext(i);
      else nxtT[i] = ENDED;
    }
  }

  let current = 0;
  for (;;) {
    for (let i = current; i < k; i++) {
      if (nxtT[i] === ENDED) {
        curT[i] = 0;
        curF[i] = 0;
      }
    }
    current = -1;
    let minT = Number.POSITIVE_INFINITY;
    let multiple = false;
    for (let i = 0; i < k; i++) {
      const ts = nxtT[i]!;
      if (ts <= endTime) {
        if (ts < minT) {
          minT = ts;
          current = i;
          multiple = false;
        } else if (ts === minT) {
          multiple = true;
        }
      }
    }
    if (current < 0) break;
    moveToNext(current);
    if (multiple) {
      for (let i = current + 1; i < k; i++) if (nxtT[i] === minT) moveToNext(i);
    }

    const x = curT[current]!;
    // Points outside [start, end] still moved the state above; only the output is cut.
    if (x < outStart || x > outEnd) continue;
    let isInt = !isRate;
    if (isInt) {
      for (let i = 0; i < k; i++) {
        if (curF[i] === 1 || nxtF[i] === 1) {
          isInt = false;
          break;
        }
      }
    }
    let n = 0;
    for (let i = 0; i < k; i++) {
      const x0 = curT[i]!;
      if (x0 === 0) continue;
      const y0 = curV[i]!;
      if (i === current || isRate || x0 === x) {
        scratch[n++] = y0;
        continue;
      }
      const x1 = nxtT[i]!;
      if (x1 === x) {
        scratch[n++] = nxtV[i]!;
        continue;
      }
      const y1 = nxtV[i]!;
      let r: number;
      switch (method) {
        case 'lerp':
          r = isInt ? y0 + longLerp(x - x0, y1 - y0, x1 - x0) : y0 + ((x - x0) * (y1 - y0)) / (x1 - x0);
          break;
        case 'zim':
          r = 0;
          break;
        case 'max':
          r = isInt ? LONG_MAX_AS_DOUBLE : Number.MAX_VALUE;
          break;
        case 'min':
          r = isInt ? LONG_MIN_AS_DOUBLE : -Number.MAX_VALUE;
          break;
        default:
          r = y0;
      }
      scratch[n++] = r;
    }
    out.push(x, isInt ? agg.runLong(scratch, 0, n) : agg.runDouble(scratch, 0, n), isInt);
  }
  return out;
}

/**
 * When every span has exactly the same timestamps (one series, series written in step, or
 * downsampled onto the same buckets) the iterator's state machine reduces to: every span
 * contributes its own value at every timestamp. Returns each span's first index at or after
 * `startTime`, or undefined when the spans are not aligned.
 */
function alignedStarts(spans: Columns[], startTime: number): Int32Array | undefined {
  const k = spans.length;
  const starts = new Int32Array(k);
  const s0 = spans[0]!;
  starts[0] = lowerBound(s0.t, s0.from, s0.to, startTime);
  const m = s0.to - starts[0]!;
  for (let i = 1; i < k; i++) {
    const s = spans[i]!;
    const p = lowerBound(s.t, s.from, s.to, startTime);
    if (s.to - p !== m) return undefined;
    starts[i] = p;
  }
  const t0 = s0.t;
  const p0 = starts[0]!;
  for (let i = 1; i < k; i++) {
    const s = spans[i]!;
    const t = s.t;
    const p = starts[i]!;
    for (let j = 0; j < m; j++) if (t[p + j] !== t0[p0 + j]) return undefined;
  }
  return starts;
}

function aggregateAligned(
  spans: Columns[],
  starts: Int32Array,
  agg: Aggregator,
  isRate: boolean,
  endTime: number,
  outStart: number,
  outEnd: number,
): PointColumns {
  const k = spans.length;
  const s0 = spans[0]!;
  const m = s0.to - starts[0]!;
  const out = new PointBuilder(m);
  const scratch = new Float64Array(k);
  // A rate span's first value (against time 0) is never emitted on its own.
  for (let j = isRate ? 1 : 0; j < m; j++) {
    const x = s0.t[starts[0]! + j]!;
    if (x > endTime) break;
    if (x < outStart || x > outEnd) continue;
    let isInt = !isRate;
    for (let i = 0; i < k; i++) {
      const s = spans[i]!;
      const p = starts[i]! + j;
      scratch[i] = s.v[p]!;
      // The iterator looks at each span's current and next point to decide integer arithmetic.
      if (isInt && (s.ints === null || s.ints[p] !== 1 || (j + 1 < m && s.ints[p + 1] !== 1))) isInt = false;
    }
    out.push(x, isInt ? agg.runLong(scratch, 0, k) : agg.runDouble(scratch, 0, k), isInt);
  }
  return out;
}

/** `(dx * dy) / span` in Java long arithmetic (truncating division). */
function longLerp(dx: number, dy: number, span: number): number {
  const product = dx * dy;
  if (Number.isSafeInteger(product)) return Math.trunc(product / span);
  return Number((BigInt(dx) * BigInt(Math.trunc(dy))) / BigInt(span));
}
