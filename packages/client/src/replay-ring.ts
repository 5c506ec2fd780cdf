import type { Batch } from './transport.js';

interface Kept {
  /** Offset of the batch's bytes in the buffer. */
  offset: number;
  length: number;
  count: number;
  firstSeq: number;
  at: number;
}

const MIN_BYTES = 64 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * The bytes of the batches a telnet connection wrote recently, to write them again if it dies
 * (telnet acknowledges nothing: a batch the kernel took may never have reached the TSD).
 *
 * The bytes are copied into one buffer of the ring's own instead of keeping the batches: the
 * queue's chunks are let go as soon as they are written, so they die young, and the garbage
 * collector does not see a steady stream of buffers living for the whole window. The buffer
 * grows with what the window holds (from 64 KiB, doubling, up to `maxBytes`) and is reused.
 *
 * Bounded by age (`maxAgeMs`), points (`maxPoints`) and bytes (half of `maxBytes` kept, the
 * buffer at most `maxBytes`): the oldest batches are let go first; a batch larger than half of
 * `maxBytes` is not kept at all.
 */
export class ReplayRing {
  private buf: Buffer = EMPTY;
  /** Live bytes are `buf[start, end)`; kept batches lie in it in order. */
  private start = 0;
  private end = 0;
  private kept: Kept[] = [];
  private head = 0;
  private points = 0;

  constructor(
    private readonly maxAgeMs: number,
    private readonly maxPoints: number,
    private readonly maxBytes: number,
  ) {}

  /** Points kept now. */
  get size(): number {
    return this.points;
  }

  /** Bytes of the buffer (what the ring costs in memory). */
  get capacity(): number {
    return this.buf.length;
  }

  /** Keeps a copy of `payload`, the bytes of `batch` just written. */
  add(batch: Batch, payload: Uint8Array, now: number): void {
    const n = payload.length;
    // What is kept stays within half the buffer's bound, so moving it to the front to make room
    // happens at most once per that many bytes written.
    const keep = Math.floor(this.maxBytes / 2);
    if (n > keep) {
      this.clear();
      return;
    }
    while (this.head < this.kept.length && this.end - this.start + n > keep) this.dropOldest();
    if (this.end + n > this.buf.length) this.makeRoom(n);
    this.buf.set(payload, this.end);
    this.kept.push({ offset: this.end, length: n, count: batch.count, firstSeq: batch.firstSeq, at: now });
    this.end += n;
    this.points += batch.count;
    this.prune(now);
  }

  /** Lets go of what is older than the window or beyond the point bound. */
  prune(now: number): void {
    const oldest = now - this.maxAgeMs;
    while (this.head < this.kept.length) {
      const k = this.kept[this.head]!;
      if (k.at >= oldest && this.points <= this.maxPoints) break;
      this.dropOldest();
    }
  }

  /** The batches still in the window, oldest first, as fresh batches to write again; empties the ring. */
  take(now: number): Batch[] {
    this.prune(now);
    const out: Batch[] = [];
    for (let i = this.head; i < this.kept.length; i++) {
      const k = this.kept[i]!;
      out.push({
        runs: [Buffer.from(this.buf.subarray(k.offset, k.offset + k.length))],
        count: k.count,
        bytes: k.length,
        firstSeq: k.firstSeq,
        owner: undefined,
        replay: true,
      });
    }
    this.clear();
    return out;
  }

  private dropOldest(): void {
    const k = this.kept[this.head++]!;
    this.points -= k.count;
    this.start = k.offset + k.length;
    if (this.head === this.kept.length) {
      this.kept = [];
      this.head = 0;
      this.start = 0;
      this.end = 0;
    } else if (this.head > 1024 && this.head * 2 > this.kept.length) {
      this.kept = this.kept.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Moves the live bytes to the front; into a buffer twice what they and `n` need when the
   * current one is smaller (at most `maxBytes`).
   */
  private makeRoom(n: number): void {
    const live = this.end - this.start;
    let target = this.buf;
    if ((live + n) * 2 > this.buf.length && this.buf.length < this.maxBytes) {
      let size = Math.max(MIN_BYTES, this.buf.length);
      while (size < (live + n) * 2) size *= 2;
      target = Buffer.allocUnsafe(Math.max(live + n, Math.min(size, this.maxBytes)));
      this.buf.copy(target, 0, this.start, this.end);
    } else {
      this.buf.copyWithin(0, this.start, this.end);
    }
    const shift = this.start;
    for (let i = this.head; i < this.kept.length; i++) this.kept[i]!.offset -= shift;
    this.buf = target;
    this.start = 0;
    this.end = live;
  }

  private clear(): void {
    this.kept = [];
    this.head = 0;
    this.points = 0;
    this.start = 0;
    this.end = 0;
  }
}
