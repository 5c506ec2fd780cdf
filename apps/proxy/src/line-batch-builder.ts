import type { LineBatch } from './backends/backend.js';

const MIN_SLAB_BYTES = 16 * 1024;
const MAX_SLAB_BYTES = 1024 * 1024;
const MIN_ENDS = 256;
const MAX_ENDS = 64 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * Collects put lines for the backend as bytes: pieces of received lines are copied into a slab
 * and each line's end is noted, so a batch is one view of the slab and one offset array, never
 * an object per line. Slabs are only ever appended to, so a batch handed out stays valid (for a
 * retry) while the next one is built; a full slab is left to the garbage collector.
 *
 * Memory follows the traffic: nothing is allocated before the first line, and a new slab is
 * sized for eight of the largest batches the last one held (16 KiB to 1 MiB), so a thousand
 * quiet agent connections hold a few MiB, and a busy one allocates rarely.
 */
export class LineBatchBuilder {
  readonly #maxLines: number;
  #slab: Buffer = EMPTY;
  #view: DataView = viewOf(EMPTY);
  /** The buffer pieces were last copied from, and a view of it. */
  #src: Buffer | undefined;
  #srcView: DataView | undefined;
  #start = 0;
  #pos = 0;
  /** Largest batch taken from the current slab, in bytes and in lines. */
  #largestBytes = 0;
  #largestCount = 0;
  #ends: Uint32Array = new Uint32Array(0);
  #endsAt = 0;
  #count = 0;

  constructor(maxLines: number) {
    this.#maxLines = maxLines;
  }

  /** Lines in the batch being built. */
  get count(): number {
    return this.#count;
  }

  get full(): boolean {
    return this.#count >= this.#maxLines;
  }

  /**
   * Makes room for a line of at most `bytes` bytes (its newline included). False when the batch
   * must be taken first: the slab is full and already holds lines of it.
   */
  reserve(bytes: number): boolean {
    if (this.#slab.length - this.#pos >= bytes) return true;
    if (this.#count > 0) return false;
    const size = Math.min(MAX_SLAB_BYTES, Math.max(MIN_SLAB_BYTES, this.#largestBytes * 8));
    this.#slab = Buffer.allocUnsafe(Math.max(size, bytes));
    this.#view = viewOf(this.#slab);
    this.#start = 0;
    this.#pos = 0;
    this.#largestBytes = 0;
    return true;
  }

  /**
   * Appends `src[from, to)` to the line being built (room reserved beforehand). Pieces of a line
   * are short: four bytes at a time through DataViews is about three times cheaper for them than
   * Buffer#copy, whose fixed cost per call dominates below a few hundred bytes.
   */
  copy(src: Buffer, from: number, to: number): void {
    let o = this.#pos;
    if (to - from > 256) {
      this.#pos = o + src.copy(this.#slab, o, from, to);
      return;
    }
    if (src !== this.#src) {
      this.#src = src;
      this.#srcView = new DataView(src.buffer, src.byteOffset, src.byteLength);
    }
    const sv = this.#srcView!;
    const dv = this.#view;
    let i = from;
    for (; i + 8 <= to; i += 8, o += 8) {
      dv.setInt32(o, sv.getInt32(i, true), true);
      dv.setInt32(o + 4, sv.getInt32(i + 4, true), true);
    }
    if (i + 4 <= to) {
      dv.setInt32(o, sv.getInt32(i, true), true);
      i += 4;
      o += 4;
    }
    const slab = this.#slab;
    for (; i < to; i++) slab[o++] = src[i]!;
    this.#pos = o;
  }

  /** Ends the line being built with its newline. */
  endLine(): void {
    this.#slab[this.#pos++] = 10;
    if (this.#endsAt + this.#count === this.#ends.length) {
      // The offsets of earlier batches stay with them; this one moves to a fresh array.
      const wanted = Math.max(MIN_ENDS, this.#largestCount * 8, this.#count * 2);
      const ends = new Uint32Array(Math.min(Math.max(MAX_ENDS, this.#maxLines), wanted));
      this.#largestCount = 0;
      ends.set(this.#ends.subarray(this.#endsAt, this.#endsAt + this.#count));
      this.#ends = ends;
      this.#endsAt = 0;
    }
    this.#ends[this.#endsAt + this.#count] = this.#pos - this.#start;
    this.#count++;
  }

  /** The lines built so far, as a batch; the builder starts the next one. */
  take(): LineBatch {
    const batch: LineBatch = {
      data: this.#slab.subarray(this.#start, this.#pos),
      ends: this.#ends.subarray(this.#endsAt, this.#endsAt + this.#count),
      count: this.#count,
    };
    this.#largestBytes = Math.max(this.#largestBytes, this.#pos - this.#start);
    this.#largestCount = Math.max(this.#largestCount, this.#count);
    this.#start = this.#pos;
    this.#endsAt += this.#count;
    this.#count = 0;
    return batch;
  }
}

function viewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}
