import type { DataPoint } from '@otsdb/protocol';

/**
 * Writes one point's wire form (a telnet line, a JSON object) into `buf` from `pos`, not past
 * `limit`, checking it on the way. Returns the end offset, NO_ROOM (-1) when it needs more room
 * than `limit` leaves, or REFUSED (-2) when the point breaks a rule the writer checks. After a
 * write, `plain` says whether the writer checked every rule (else the caller validates).
 * `hostTag` is the automatic host tag, written unless the point's tags have their own.
 */
export interface EntryWriter {
  write(point: DataPoint, hostTag: string | undefined, buf: Buffer, pos: number, limit: number): number;
  readonly plain: boolean;
}

/** Consecutive entries taken for one write or request: byte runs (views into the queue's chunks). */
export interface TakenEntries {
  runs: Buffer[];
  count: number;
  bytes: number;
}

const DEFAULT_CHUNK_BYTES = 256 * 1024;
/** An entry larger than this cannot be queued (a point with thousands of huge tags). */
const MAX_ENTRY_BYTES = 16 * 1024 * 1024;

/**
 * The client's bounded FIFO of encoded points. Points are written straight into large byte chunks
 * when they are accepted, so a queued point costs no heap object of its own (the garbage
 * collector never sees per-point strings) and a batch is a few views into those chunks, handed to
 * the socket as they are. Chunks are never written twice: a view handed out stays valid until the
 * garbage collector frees it.
 *
 * Bounded by entries (`maxEntries`) and by queued bytes (`maxBytes`); the queue never drops on its
 * own: the client applies its drop policy. Every entry has a sequence number, implicit from its
 * position (entries carry consecutive numbers from `headSeq`), which `flush()` waits on.
 */
export class EntryQueue<O> {
  private chunkOf: Array<Buffer | undefined>;
  private starts: Float64Array;
  private ends: Float64Array;
  private owners: Array<O | undefined>;
  private head = 0;
  private count = 0;
  private seq = 0;
  private queuedBytes = 0;
  private chunk: Buffer;
  private chunkPos = 0;
  private stagedChunk: Buffer | undefined;
  private stagedStart = 0;
  private stagedEnd = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
    private readonly chunkBytes: number = DEFAULT_CHUNK_BYTES,
    initialSlots = 1024,
  ) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be >= 1, got ${maxEntries}`);
    }
    if (!(maxBytes >= 1)) throw new RangeError(`maxBytes must be >= 1, got ${maxBytes}`);
    const slots = Math.min(maxEntries, Math.max(1, initialSlots));
    this.chunkOf = new Array<Buffer | undefined>(slots).fill(undefined);
    this.owners = new Array<O | undefined>(slots).fill(undefined);
    this.starts = new Float64Array(slots);
    this.ends = new Float64Array(slots);
    this.chunk = Buffer.allocUnsafe(chunkBytes);
  }

  get length(): number {
    return this.count;
  }

  /** Bytes of the queued entries. */
  get byteLength(): number {
    return this.queuedBytes;
  }

  /** Sequence number of the oldest entry (or of the next one appended when empty). */
  get headSeq(): number {
    return this.seq;
  }

  /** Sequence number the next appended entry will get. */
  get nextSeq(): number {
    return this.seq + this.count;
  }

  /** Whether one more entry fits by count (bytes are known only once it is written). */
  get hasSlot(): boolean {
    return this.count < this.maxEntries;
  }

  /** Whether the byte bound is exceeded (after an append that crossed it). */
  get overBytes(): boolean {
    return this.queuedBytes > this.maxBytes;
  }

  /**
   * Writes `point` as a new entry. Returns its size in bytes, or -1 when no slot is free or the
   * entry is larger than any chunk may be, or -2 when the writer refused the point. May leave the
   * queue over `maxBytes`: the caller then drops by its policy (`dropOldest`, or `removeNewest`
   * for the entry just added).
   */
  append(writer: EntryWriter, point: DataPoint, hostTag: string | undefined, owner?: O): number {
    if (this.count === this.maxEntries) return -1;
    const size = this.stage(writer, point, hostTag);
    if (size >= 0) this.commit(owner);
    return size;
  }

  /**
   * Writes `point` after the last entry without making it an entry yet, so the caller can decide
   * (validate, make room by its policy) before `commit()`; the next `stage` overwrites it. Returns
   * its size, -1 when it is larger than any chunk may be, or -2 when the writer refused it.
   */
  stage(writer: EntryWriter, point: DataPoint, hostTag: string | undefined): number {
    let start = this.chunkPos;
    let end = writer.write(point, hostTag, this.chunk, start, this.chunk.length);
    let chunk = this.chunk;
    if (end === -1) {
      for (let size = this.chunkBytes; ; size *= 4) {
        if (size > MAX_ENTRY_BYTES) return -1;
        chunk = Buffer.allocUnsafe(size);
        start = 0;
        end = writer.write(point, hostTag, chunk, 0, size);
        if (end !== -1) break;
      }
    }
    if (end < 0) return end;
    this.stagedChunk = chunk;
    this.stagedStart = start;
    this.stagedEnd = end;
    return end - start;
  }

  /** Makes the point written by the last `stage` the newest entry. Needs a free slot (`hasSlot`). */
  commit(owner?: O): void {
    if (this.count === this.chunkOf.length) this.grow();
    const chunk = this.stagedChunk!;
    const start = this.stagedStart;
    const end = this.stagedEnd;
    this.stagedChunk = undefined;
    this.chunk = chunk;
    let at = this.head + this.count;
    if (at >= this.chunkOf.length) at -= this.chunkOf.length;
    this.chunkOf[at] = chunk;
    this.starts[at] = start;
    this.ends[at] = end;
    if (owner !== undefined) this.owners[at] = owner;
    this.chunkPos = end;
    this.count++;
    this.queuedBytes += end - start;
  }

  /**
   * Appends `count` entries whose bytes are ready: entry `k` is `src[ends[k - 1], ends[k])` (the
   * first starts at 0). They are copied in as few runs as the chunks allow, so a block of
   * encoded lines costs one copy, not one per entry. Returns false, changing nothing, when the
   * slots are not free or an entry is larger than any chunk may be.
   */
  appendEncoded(src: Uint8Array, ends: ArrayLike<number>, count: number, owner?: O): boolean {
    if (count <= 0) return true;
    if (this.count + count > this.maxEntries) return false;
    if (!endsAscend(ends, count, src.length, MAX_ENTRY_BYTES)) return false;
    while (this.count + count > this.chunkOf.length) this.grow();
    this.stagedChunk = undefined;
    let from = 0;
    let srcPos = 0;
    while (from < count) {
      const room = this.chunk.length - this.chunkPos;
      let to = from;
      while (to < count && ends[to]! - srcPos <= room) to++;
      if (to === from) {
        // Not one more entry fits: a fresh chunk (the old one keeps its handed-out views).
        this.chunk = Buffer.allocUnsafe(Math.max(this.chunkBytes, ends[from]! - srcPos));
        this.chunkPos = 0;
        continue;
      }
      const chunk = this.chunk;
      const base = this.chunkPos - srcPos;
      const runEnd = ends[to - 1]!;
      chunk.set(src.subarray(srcPos, runEnd), this.chunkPos);
      let at = this.head + this.count;
      const size = this.chunkOf.length;
      if (at >= size) at -= size;
      let start = srcPos;
      for (let k = from; k < to; k++) {
        const end = ends[k]!;
        this.chunkOf[at] = chunk;
        this.starts[at] = base + start;
        this.ends[at] = base + end;
        if (owner !== undefined) this.owners[at] = owner;
        start = end;
        at++;
        if (at === size) at = 0;
      }
      this.count += to - from;
      this.chunkPos += runEnd - srcPos;
      this.queuedBytes += runEnd - srcPos;
      srcPos = runEnd;
      from = to;
    }
    return true;
  }

  /**
   * `appendEncoded` without the copy: the entries are views of `src`, which the caller hands
   * over (it must not change it afterwards). For a producer that builds blocks of lines in
   * buffers of its own and never reuses them.
   */
  adoptEncoded(src: Buffer, ends: ArrayLike<number>, count: number, owner?: O): boolean {
    if (count <= 0) return true;
    if (this.count + count > this.maxEntries) return false;
    if (!endsAscend(ends, count, src.length, Number.POSITIVE_INFINITY)) return false;
    while (this.count + count > this.chunkOf.length) this.grow();
    const size = this.chunkOf.length;
    let at = this.head + this.count;
    if (at >= size) at -= size;
    let start = 0;
    for (let k = 0; k < count; k++) {
      const end = ends[k]!;
      this.chunkOf[at] = src;
      this.starts[at] = start;
      this.ends[at] = end;
      if (owner !== undefined) this.owners[at] = owner;
      start = end;
      at++;
      if (at === size) at = 0;
    }
    this.count += count;
    this.queuedBytes += start;
    return true;
  }

  /** Removes the oldest entry; returns whether there was one and its owner slot. */
  dropOldest(): { dropped: boolean; owner: O | undefined } {
    if (this.count === 0) return { dropped: false, owner: undefined };
    const at = this.head;
    const owner = this.owners[at];
    this.queuedBytes -= this.ends[at]! - this.starts[at]!;
    this.clearSlot(at);
    this.advance(1);
    return { dropped: true, owner };
  }

  /** Removes the entries appended after `nextSeq` was `mark` (undoes a partial transaction). */
  removeNewest(count: number): void {
    const n = Math.min(count, this.count);
    for (let i = 0; i < n; i++) {
      let at = this.head + this.count - 1;
      if (at >= this.chunkOf.length) at -= this.chunkOf.length;
      this.queuedBytes -= this.ends[at]! - this.starts[at]!;
      // The space is reused only when it sits at the end of the chunk being filled.
      if (this.chunkOf[at] === this.chunk && this.ends[at] === this.chunkPos)
        this.chunkPos = this.starts[at]!;
      this.clearSlot(at);
      this.count--;
    }
    if (this.count === 0) this.head = 0;
  }

  /** Owner of the oldest entry, without removing it. */
  peekOwner(): O | undefined {
    return this.count === 0 ? undefined : this.owners[this.head];
  }

  /**
   * Takes up to `max` of the oldest entries, stopping where the owner changes so a batch never
   * mixes a transaction's points with others. Adjacent entries become one run.
   */
  take(max: number): TakenEntries {
    const n = Math.min(max, this.count);
    const runs: Buffer[] = [];
    if (n <= 0) return { runs, count: 0, bytes: 0 };
    const size = this.chunkOf.length;
    const owner = this.owners[this.head];
    let at = this.head;
    let taken = 0;
    let bytes = 0;
    let runChunk: Buffer | undefined;
    let runStart = 0;
    let runEnd = 0;
    while (taken < n && this.owners[at] === owner) {
      const chunk = this.chunkOf[at]!;
      const start = this.starts[at]!;
      const end = this.ends[at]!;
      if (chunk === runChunk && start === runEnd) {
        runEnd = end;
      } else {
        if (runChunk) runs.push(runChunk.subarray(runStart, runEnd));
        runChunk = chunk;
        runStart = start;
        runEnd = end;
      }
      bytes += end - start;
      this.clearSlot(at);
      taken++;
      at++;
      if (at === size) at = 0;
    }
    if (runChunk) runs.push(runChunk.subarray(runStart, runEnd));
    this.queuedBytes -= bytes;
    this.advance(taken);
    return { runs, count: taken, bytes };
  }

  /** Empties the queue, reporting each entry's owner slot; returns how many were removed. */
  clear(onEntry?: (owner: O | undefined) => void): number {
    const removed = this.count;
    let at = this.head;
    for (let i = 0; i < removed; i++) {
      onEntry?.(this.owners[at]);
      this.clearSlot(at);
      at++;
      if (at === this.chunkOf.length) at = 0;
    }
    this.queuedBytes = 0;
    this.advance(removed);
    return removed;
  }

  private advance(n: number): void {
    this.head += n;
    if (this.head >= this.chunkOf.length) this.head -= this.chunkOf.length;
    this.count -= n;
    this.seq += n;
    if (this.count === 0) this.head = 0;
  }

  private clearSlot(at: number): void {
    this.chunkOf[at] = undefined;
    this.owners[at] = undefined;
  }

  private grow(): void {
    const oldSize = this.chunkOf.length;
    const newSize = Math.min(this.maxEntries, oldSize * 2);
    const chunkOf = new Array<Buffer | undefined>(newSize).fill(undefined);
    const owners = new Array<O | undefined>(newSize).fill(undefined);
    const starts = new Float64Array(newSize);
    const ends = new Float64Array(newSize);
    for (let i = 0; i < this.count; i++) {
      let at = this.head + i;
      if (at >= oldSize) at -= oldSize;
      chunkOf[i] = this.chunkOf[at];
      owners[i] = this.owners[at];
      starts[i] = this.starts[at]!;
      ends[i] = this.ends[at]!;
    }
    this.chunkOf = chunkOf;
    this.owners = owners;
    this.starts = starts;
    this.ends = ends;
    this.head = 0;
  }
}

/**
 * Whether `ends[0, count)` describe entries of `src`: ascending from 0, within its `length`
 * bytes, none longer than `maxEntry`.
 */
function endsAscend(ends: ArrayLike<number>, count: number, length: number, maxEntry: number): boolean {
  let previous = 0;
  for (let k = 0; k < count; k++) {
    const end = ends[k]!;
    if (end < previous || end > length || end - previous > maxEntry) return false;
    previous = end;
  }
  return true;
}
