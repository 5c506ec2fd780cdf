import { parseSeriesKey } from './record-codec.js';

/**
 * The in-memory side of the store: one columnar series per metric+tags and the indexes queries
 * need. Each series keeps three parallel typed arrays sorted by time:
 *
 *   ts     Float64Array  timestamp in ms (exact up to 2^53)
 *   vals   Float64Array  value; integers are exact within +-2^53, larger ones are rounded
 *   ints   Uint8Array    1 when the value was written as an integer (OpenTSDB's long), 0 for a float
 *
 * so a live point costs 17 bytes plus the arrays' spare capacity (at most 2x after growth;
 * retention trims by moving a head index, compacting once half of the capacity is dead).
 */

export interface SeriesTags {
  readonly [key: string]: string;
}

const INITIAL_CAPACITY = 16;

export class Series {
  readonly id: number;
  readonly metric: string;
  readonly tags: SeriesTags;
  /** Tag keys, sorted. */
  readonly tagKeys: readonly string[];
  readonly key: string;
  readonly tsuid: string;
  ts: Float64Array;
  vals: Float64Array;
  ints: Uint8Array;
  /** Live points are [head, end). */
  head = 0;
  end = 0;

  constructor(id: number, metric: string, tags: SeriesTags, key: string, tsuid: string) {
    this.id = id;
    this.metric = metric;
    // Null prototype: a tag key such as "constructor" must read as absent, not as Object's.
    const own: Record<string, string> = Object.create(null);
    for (const k of Object.keys(tags)) own[k] = tags[k]!;
    this.tags = Object.freeze(own);
    this.tagKeys = Object.keys(own).sort();
    this.key = key;
    this.tsuid = tsuid;
    this.ts = new Float64Array(INITIAL_CAPACITY);
    this.vals = new Float64Array(INITIAL_CAPACITY);
    this.ints = new Uint8Array(INITIAL_CAPACITY);
  }

  get size(): number {
    return this.end - this.head;
  }

  get lastTimestamp(): number {
    return this.end > this.head ? this.ts[this.end - 1]! : Number.NEGATIVE_INFINITY;
  }

  /**
   * Adds a point; a later write for the same timestamp replaces the earlier one (the value a
   * TSD returns for a cell written twice). Returns 1 when the series grew, 0 when it replaced.
   */
  put(t: number, v: number, isInt: boolean): number {
    const end = this.end;
    if (end === this.head || t > this.ts[end - 1]!) {
      if (end === this.ts.length) this.grow();
      this.ts[this.end] = t;
      this.vals[this.end] = v;
      this.ints[this.end] = isInt ? 1 : 0;
      this.end++;
      return 1;
    }
    let idx = lowerBound(this.ts, this.head, end, t);
    if (idx < end && this.ts[idx] === t) {
      this.vals[idx] = v;
      this.ints[idx] = isInt ? 1 : 0;
      return 0;
    }
    if (end === this.ts.length) {
      this.grow();
      idx = lowerBound(this.ts, this.head, this.end, t);
    }
    // Out-of-order write: shift the tail right by one (rare; collectors write in order).
    this.ts.copyWithin(idx + 1, idx, this.end);
    this.vals.copyWithin(idx + 1, idx, this.end);
    this.ints.copyWithin(idx + 1, idx, this.end);
    this.ts[idx] = t;
    this.vals[idx] = v;
    this.ints[idx] = isInt ? 1 : 0;
    this.end++;
    return 1;
  }

  /** Drops points older than `cutoff`; returns how many were dropped. */
  dropBefore(cutoff: number): number {
    const idx = lowerBound(this.ts, this.head, this.end, cutoff);
    const dropped = idx - this.head;
    this.head = idx;
    if (this.head === this.end) {
      this.head = 0;
      this.end = 0;
    } else if (this.head > this.ts.length >> 1) {
      this.compact(this.ts.length);
    }
    return dropped;
  }

  /** Bytes held by the arrays (capacity, not just live points). */
  get bytes(): number {
    return this.ts.length * 17;
  }

  private grow(): void {
    const live = this.end - this.head;
    // Reclaim the dead head instead of growing when it is at least half the array.
    const capacity = this.head >= this.ts.length >> 1 ? this.ts.length : Math.max(INITIAL_CAPACITY, live * 2);
    this.compact(capacity);
  }

  private compact(capacity: number): void {
    const live = this.end - this.head;
    if (capacity === this.ts.length) {
      this.ts.copyWithin(0, this.head, this.end);
      this.vals.copyWithin(0, this.head, this.end);
      this.ints.copyWithin(0, this.head, this.end);
    } else {
      const ts = new Float64Array(capacity);
      const vals = new Float64Array(capacity);
      const ints = new Uint8Array(capacity);
      ts.set(this.ts.subarray(this.head, this.end));
      vals.set(this.vals.subarray(this.head, this.end));
      ints.set(this.ints.subarray(this.head, this.end));
      this.ts = ts;
      this.vals = vals;
      this.ints = ints;
    }
    this.head = 0;
    this.end = live;
  }
}

/** First index in [lo, hi) whose value is >= t (hi when none). */
export function lowerBound(a: Float64Array, lo: number, hi: number, t: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Synthetic UIDs in OpenTSDB's shape (3 bytes per metric, tag key and tag value, hex upper case),
 * handed out in first-seen order. They are stable for as long as the process runs and, because
 * segments replay in order, across restarts until retention removes the segments that first
 * named them.
 */
class UidTable {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  uid(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length + 1;
      this.ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }

  has(name: string): boolean {
    return this.ids.has(name);
  }

  lookup(name: string): number | undefined {
    return this.ids.get(name);
  }

  all(): readonly string[] {
    return this.names;
  }
}

export function uidHex(id: number): string {
  return id.toString(16).toUpperCase().padStart(6, '0');
}

export class SeriesStore {
  private readonly byKey = new Map<string, Series>();
  private readonly byTsuid = new Map<string, Series>();
  private readonly byMetric = new Map<string, Set<Series>>();
  /** tag key -> tag value -> series */
  private readonly byTag = new Map<string, Map<string, Set<Series>>>();
  readonly metricUids = new UidTable();
  readonly tagkUids = new UidTable();
  readonly tagvUids = new UidTable();
  private nextId = 1;
  private points = 0;

  get seriesCount(): number {
    return this.byKey.size;
  }

  get pointCount(): number {
    return this.points;
  }

  get bytes(): number {
    let b = 0;
    for (const s of this.byKey.values()) b += s.bytes;
    return b;
  }

  get(key: string): Series | undefined {
    return this.byKey.get(key);
  }

  byTsuidHex(tsuid: string): Series | undefined {
    return this.byTsuid.get(tsuid.toUpperCase());
  }

  /**
   * The series for a series key (`metric{k=v,...}`), created and indexed on first use.
   * Undefined only for a malformed key, which validated writes never produce.
   */
  getOrCreate(key: string): Series | undefined {
    const existing = this.byKey.get(key);
    if (existing !== undefined) return existing;
    const parsed = parseSeriesKey(key);
    if (parsed === undefined) return undefined;
    const { metric, tags } = parsed;
    const tagKeys = Object.keys(tags);
    let tsuid = uidHex(this.metricUids.uid(metric));
    // TSUIDs order tag pairs by tag key UID, as OpenTSDB's row keys do.
    const pairs = tagKeys.map((k) => [this.tagkUids.uid(k), this.tagvUids.uid(tags[k]!)] as const);
    pairs.sort((a, b) => a[0] - b[0]);
    for (const [k, v] of pairs) tsuid += uidHex(k) + uidHex(v);
    const series = new Series(this.nextId++, metric, tags, key, tsuid);
    this.byKey.set(key, series);
    this.byTsuid.set(tsuid, series);
    let metricSet = this.byMetric.get(metric);
    if (metricSet === undefined) {
      metricSet = new Set();
      this.byMetric.set(metric, metricSet);
    }
    metricSet.add(series);
    for (const k of tagKeys) {
      let values = this.byTag.get(k);
      if (values === undefined) {
        values = new Map();
        this.byTag.set(k, values);
      }
      const v = tags[k]!;
      let set = values.get(v);
      if (set === undefined) {
        set = new Set();
        values.set(v, set);
      }
      set.add(series);
    }
    return series;
  }

  put(series: Series, t: number, v: number, isInt: boolean): void {
    this.points += series.put(t, v, isInt);
  }

  seriesOfMetric(metric: string): ReadonlySet<Series> | undefined {
    return this.byMetric.get(metric);
  }

  seriesWithTag(tagk: string, tagv: string): ReadonlySet<Series> | undefined {
    return this.byTag.get(tagk)?.get(tagv);
  }

  allSeries(): IterableIterator<Series> {
    return this.byKey.values();
  }

  /** Drops every point older than `cutoff` and every series left empty. */
  dropBefore(cutoff: number): { points: number; series: number } {
    let points = 0;
    let removed = 0;
    for (const s of this.byKey.values()) {
      if (s.size === 0 || s.ts[s.head]! < cutoff) {
        points += s.dropBefore(cutoff);
        if (s.size === 0) {
          this.remove(s);
          removed++;
        }
      }
    }
    this.points -= points;
    return { points, series: removed };
  }

  private remove(s: Series): void {
    this.byKey.delete(s.key);
    this.byTsuid.delete(s.tsuid);
    const metricSet = this.byMetric.get(s.metric);
    metricSet?.delete(s);
    if (metricSet !== undefined && metricSet.size === 0) this.byMetric.delete(s.metric);
    for (const k of s.tagKeys) {
      const values = this.byTag.get(k);
      const set = values?.get(s.tags[k]!);
      set?.delete(s);
      if (set !== undefined && set.size === 0) values!.delete(s.tags[k]!);
      if (values !== undefined && values.size === 0) this.byTag.delete(k);
    }
  }
}
