import type { DataPoint, MetricValue } from '@otsdb/protocol';
import { seriesKey, toMillis } from '@otsdb/protocol';
import { type DedupOptions, resolveOptions } from './options.js';
import { isZero, sameValue } from './same-value.js';

/** Receives every point the transform lets through, in order. It should not throw. */
export type Emit = (point: DataPoint) => void;

export interface DedupStats {
  /** Points pushed. */
  in: number;
  /** Points emitted by push, evict and flush together. */
  out: number;
  /** Points held back because their value repeated (some are emitted later, see `replayed`). */
  suppressed: number;
  /** Held-back points emitted later: before a change, on eviction or on flush. */
  replayed: number;
  /** Points whose timestamp was not after their series' last one (dropped or passed per policy). */
  outOfOrder: number;
  /** Series forgotten, idle or pushed out by `maxSeries`. */
  evicted: number;
  /** The part of `evicted` caused by `maxSeries`. */
  evictedOverflow: number;
  /** Series remembered now. */
  series: number;
}

/** Slot 0 is the head and tail of the circular recency list; real series use slots 1..capacity. */
const SENTINEL = 0;
const INITIAL_CAPACITY = 1024;
/**
 * Idle time is measured in generations: `evict` opens a new one at most this many times per
 * evict interval, so a series is forgotten after between 1 and 1 + 1/64 evict intervals of
 * silence (plus the period at which the caller runs `evict`), never before.
 */
const GENERATIONS_PER_EVICT_INTERVAL = 64;

/**
 * tcollector's deduplication as a pure, synchronous transform: 0, 1 or 2 points out per point
 * in. State lives in parallel typed arrays indexed by a per-series slot, so the hot path
 * allocates nothing and a series costs a few dozen bytes plus its key.
 */
export class Dedup {
  private readonly dedupMs: number;
  private readonly evictMs: number;
  private readonly maxSeries: number;
  private readonly dropOutOfOrder: boolean;
  private readonly onlyZero: boolean;
  private readonly clock: () => number;

  private readonly index = new Map<string, number>();
  private keys: (string | undefined)[] = [undefined];
  /** The last held-back point of each series; always the series' latest point when defined. */
  private pending: (DataPoint | undefined)[] = [undefined];
  /** Last sent value when it is a number; bigint values live in `bigValues` (rare). */
  private numValue: Float64Array;
  private isBig: Uint8Array;
  private readonly bigValues = new Map<number, bigint>();
  /** Milliseconds of the last sent point; the dedup interval counts from here. */
  private sentAt: Float64Array;
  /** Milliseconds of the last accepted point (sent or held back); out-of-order is judged here. */
  private seenAt: Float64Array;
  private prev: Int32Array;
  private next: Int32Array;
  /** Generation in which each series was last pushed. */
  private touchedIn: Uint32Array;
  private capacity: number;
  private used = 0;
  private readonly free: number[] = [];

  private generation = 0;
  private generationStart: number;
  /** End time of each closed generation still referenced, `generationEnds[g - firstGeneration]`. */
  private generationEnds: number[] = [];
  private firstGeneration = 0;
  private lastNow: number;

  private nIn = 0;
  private nOut = 0;
  private nSuppressed = 0;
  private nReplayed = 0;
  private nOutOfOrder = 0;
  private nEvicted = 0;
  private nEvictedOverflow = 0;

  constructor(options?: DedupOptions) {
    const resolved = resolveOptions(options);
    this.dedupMs = resolved.dedupMs;
    this.evictMs = resolved.evictMs;
    this.maxSeries = resolved.maxSeries;
    this.dropOutOfOrder = resolved.outOfOrder === 'drop';
    this.onlyZero = resolved.onlyZero;
    this.clock = resolved.clock;
    this.lastNow = this.clock();
    this.generationStart = this.lastNow;
    this.capacity = this.dedupMs === 0 ? 0 : Math.min(INITIAL_CAPACITY, this.maxSeries);
    const slots = this.capacity + 1;
    this.numValue = new Float64Array(slots);
    this.isBig = new Uint8Array(slots);
    this.sentAt = new Float64Array(slots);
    this.seenAt = new Float64Array(slots);
    this.prev = new Int32Array(slots);
    this.next = new Int32Array(slots);
    this.touchedIn = new Uint32Array(slots);
    for (let i = 1; i < slots; i++) {
      this.keys.push(undefined);
      this.pending.push(undefined);
    }
  }

  /** Series remembered now. */
  get size(): number {
    return this.index.size;
  }

  /** Points refused so far for a timestamp not after their series' last (`stats().outOfOrder`, without the object). */
  get outOfOrder(): number {
    return this.nOutOfOrder;
  }

  /** Whether the series with this key is remembered. */
  has(key: string): boolean {
    return this.index.has(key);
  }

  /** Pushes one point; returns how many points were emitted (0, 1 or 2). */
  push(point: DataPoint, emit: Emit): number {
    if (this.dedupMs === 0) return this.passThrough(point, emit);
    return this.pushKeyed(seriesKey(point.metric, point.tags), point, emit);
  }

  /**
   * Same as `push` with the series key computed by the caller, who can keep it across pushes.
   * `key` must identify the series exactly (e.g. `seriesKey(metric, tags)`); passing the same
   * string object each time makes the lookup cheapest.
   */
  pushKeyed(key: string, point: DataPoint, emit: Emit): number {
    if (this.dedupMs === 0) return this.passThrough(point, emit);
    this.nIn++;
    const slot = this.index.get(key);
    if (slot === undefined) return this.admit(key, point, emit);

    this.touch(slot);
    const ts = toMillis(point.timestamp);
    if (ts <= this.seenAt[slot]!) {
      this.nOutOfOrder++;
      if (this.dropOutOfOrder) return 0;
      // Passed through without becoming part of the series' dedup history.
      this.nOut++;
      emit(point);
      return 1;
    }

    const value = point.value;
    let same: boolean;
    if (typeof value === 'number' && this.isBig[slot] === 0) {
      const last = this.numValue[slot]!;
      same = value === last || (Number.isNaN(value) && Number.isNaN(last));
    } else {
      same = sameValue(value, this.lastValue(slot));
    }

    if (same && ts - this.sentAt[slot]! < this.dedupMs && (!this.onlyZero || isZero(value))) {
      this.pending[slot] = point;
      this.seenAt[slot] = ts;
      this.nSuppressed++;
      return 0;
    }

    // A change: replay the last held-back point first so the graph keeps its true slope. An
    // unchanged value sent because the interval ran out makes the held-back one redundant.
    const held = this.pending[slot];
    this.pending[slot] = undefined;
    if (!same) this.setValue(slot, value);
    this.sentAt[slot] = ts;
    this.seenAt[slot] = ts;
    if (held !== undefined && !same) {
      this.nReplayed++;
      this.nOut += 2;
      emit(held);
      emit(point);
      return 2;
    }
    this.nOut++;
    emit(point);
    return 1;
  }

  /**
   * Forgets series not pushed for `evictInterval`, emitting their held-back points so no
   * series loses its last point. Reads the clock; call it every few seconds (cheap when there
   * is nothing to evict: it stops at the first recently used series). Returns how many series
   * were evicted.
   */
  evict(emit: Emit): number {
    if (this.dedupMs === 0 || this.evictMs === Number.POSITIVE_INFINITY) return 0;
    // A clock stepping back must not make idle series look fresh or fresh ones look idle.
    const now = Math.max(this.clock(), this.lastNow);
    this.lastNow = now;
    if (now - this.generationStart >= this.evictMs / GENERATIONS_PER_EVICT_INTERVAL) {
      this.generationEnds.push(now);
      this.generation++;
      this.generationStart = now;
    }
    const cutoff = now - this.evictMs;
    let evicted = 0;
    for (;;) {
      const slot = this.prev[SENTINEL]!;
      if (slot === SENTINEL) break;
      const g = this.touchedIn[slot]!;
      // Every push in generation g happened before it ended, so the series has been idle for
      // at least `now - end`.
      if (g === this.generation || this.generationEnds[g - this.firstGeneration]! > cutoff) break;
      const held = this.pending[slot];
      this.release(slot);
      evicted++;
      if (held !== undefined) {
        this.nReplayed++;
        this.nOut++;
        emit(held);
      }
    }
    this.nEvicted += evicted;
    this.pruneGenerations();
    return evicted;
  }

  /**
   * Emits every held-back point (oldest series first) and counts it as sent, e.g. before
   * shutting down. Series stay remembered. Returns how many points were emitted.
   */
  flush(emit: Emit): number {
    let flushed = 0;
    for (let slot = this.prev[SENTINEL]!; slot !== SENTINEL; slot = this.prev[slot]!) {
      const held = this.pending[slot];
      if (held === undefined) continue;
      this.pending[slot] = undefined;
      this.sentAt[slot] = this.seenAt[slot]!;
      flushed++;
      this.nReplayed++;
      this.nOut++;
      emit(held);
    }
    return flushed;
  }

  stats(): DedupStats {
    return {
      in: this.nIn,
      out: this.nOut,
      suppressed: this.nSuppressed,
      replayed: this.nReplayed,
      outOfOrder: this.nOutOfOrder,
      evicted: this.nEvicted,
      evictedOverflow: this.nEvictedOverflow,
      series: this.index.size,
    };
  }

  private passThrough(point: DataPoint, emit: Emit): number {
    this.nIn++;
    this.nOut++;
    emit(point);
    return 1;
  }

  /** The first point of a series always passes. */
  private admit(key: string, point: DataPoint, emit: Emit): number {
    let victimHeld: DataPoint | undefined;
    let slot: number;
    if (this.index.size >= this.maxSeries) {
      slot = this.prev[SENTINEL]!;
      victimHeld = this.pending[slot];
      this.release(slot);
      this.nEvicted++;
      this.nEvictedOverflow++;
      slot = this.free.pop()!;
    } else {
      slot = this.allocate();
    }
    this.keys[slot] = key;
    this.index.set(key, slot);
    this.linkFront(slot);
    this.touchedIn[slot] = this.generation;
    this.setValue(slot, point.value);
    const ts = toMillis(point.timestamp);
    this.sentAt[slot] = ts;
    this.seenAt[slot] = ts;
    if (victimHeld !== undefined) {
      // Emitted rather than lost: the evicted series' true last point.
      this.nReplayed++;
      this.nOut += 2;
      emit(victimHeld);
      emit(point);
      return 2;
    }
    this.nOut++;
    emit(point);
    return 1;
  }

  private touch(slot: number): void {
    this.touchedIn[slot] = this.generation;
    const next = this.next;
    if (next[SENTINEL] === slot) return;
    const prev = this.prev;
    const before = prev[slot]!;
    const after = next[slot]!;
    next[before] = after;
    prev[after] = before;
    const head = next[SENTINEL]!;
    next[slot] = head;
    prev[slot] = SENTINEL;
    prev[head] = slot;
    next[SENTINEL] = slot;
  }

  private linkFront(slot: number): void {
    const head = this.next[SENTINEL]!;
    this.next[slot] = head;
    this.prev[slot] = SENTINEL;
    this.prev[head] = slot;
    this.next[SENTINEL] = slot;
  }

  private release(slot: number): void {
    const before = this.prev[slot]!;
    const after = this.next[slot]!;
    this.next[before] = after;
    this.prev[after] = before;
    this.index.delete(this.keys[slot]!);
    this.keys[slot] = undefined;
    this.pending[slot] = undefined;
    if (this.isBig[slot] === 1) {
      this.isBig[slot] = 0;
      this.bigValues.delete(slot);
    }
    this.free.push(slot);
  }

  private allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.used === this.capacity) this.grow();
    return ++this.used;
  }

  private grow(): void {
    const capacity = Math.min(this.capacity * 2, this.maxSeries);
    const slots = capacity + 1;
    this.numValue = resized(this.numValue, new Float64Array(slots));
    this.isBig = resized(this.isBig, new Uint8Array(slots));
    this.sentAt = resized(this.sentAt, new Float64Array(slots));
    this.seenAt = resized(this.seenAt, new Float64Array(slots));
    this.prev = resized(this.prev, new Int32Array(slots));
    this.next = resized(this.next, new Int32Array(slots));
    this.touchedIn = resized(this.touchedIn, new Uint32Array(slots));
    for (let i = this.capacity + 1; i < slots; i++) {
      this.keys.push(undefined);
      this.pending.push(undefined);
    }
    this.capacity = capacity;
  }

  private lastValue(slot: number): MetricValue {
    return this.isBig[slot] === 1 ? this.bigValues.get(slot)! : this.numValue[slot]!;
  }

  private setValue(slot: number, value: MetricValue): void {
    if (typeof value === 'number') {
      this.numValue[slot] = value;
      if (this.isBig[slot] === 1) {
        this.isBig[slot] = 0;
        this.bigValues.delete(slot);
      }
    } else {
      this.isBig[slot] = 1;
      this.bigValues.set(slot, value);
    }
  }

  /** Drops the end times of generations no remembered series was last pushed in. */
  private pruneGenerations(): void {
    const tail = this.prev[SENTINEL]!;
    const oldest = tail === SENTINEL ? this.generation : this.touchedIn[tail]!;
    const unused = oldest - this.firstGeneration;
    if (unused > 0) {
      this.generationEnds.splice(0, unused);
      this.firstGeneration = oldest;
    }
  }
}

function resized<T extends Float64Array | Uint8Array | Int32Array | Uint32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
