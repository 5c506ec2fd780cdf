import { ProtocolError } from './errors.js';

export interface LineFramerOptions {
  /**
   * Most bytes a line may hold, not counting its `\n` or `\r\n` (a TSD's limit is 1024). Longer
   * lines are skipped up to the next newline and reported through `onOversize`.
   */
  maxLineLength: number;
  /** Called with each complete line, decoded as UTF-8, without its terminator. */
  onLine: (line: string) => void;
  /** Called once per skipped line with its length in bytes (without the terminator). */
  onOversize?: (length: number) => void;
  /**
   * Called first with each complete line's bytes, `buf[start, end)` without the terminator, valid
   * only during the call: true takes the line (it is not decoded, `onLine` is not called). For
   * readers that handle most lines as bytes and leave the rest to `onLine`.
   */
  onLineBytes?: (buf: Buffer, start: number, end: number) => boolean;
}

const INITIAL_CAPACITY = 256;

/**
 * Splits a byte stream into lines for telnet-style sockets and collector pipes. Lines may arrive
 * in any chunking, a multi-byte UTF-8 character included: bytes are kept until their newline and
 * only whole lines are decoded. Memory is bounded: a partial line is held in a buffer of at most
 * `maxLineLength + 1` bytes (room for a `\r`); a longer line is skipped without being stored, its
 * length reported once at its newline, and framing resumes after it. Work per byte is constant
 * (a native newline search and at most one copy). Callbacks run synchronously inside `push`.
 */
export class LineFramer {
  readonly #maxLineLength: number;
  readonly #onLine: (line: string) => void;
  readonly #onOversize: ((length: number) => void) | undefined;
  readonly #onLineBytes: ((buf: Buffer, start: number, end: number) => boolean) | undefined;
  #pending: Buffer | undefined;
  #pendingLength = 0;
  #skipping = false;
  #skippedLength = 0;
  #skippedEndsWithCr = false;
  #lines = 0;
  #oversize = 0;

  constructor(options: LineFramerOptions) {
    const max = options.maxLineLength;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) {
      throw new ProtocolError(
        'invalid_options',
        `maxLineLength must be a positive integer, got ${String(max)}`,
      );
    }
    if (typeof options.onLine !== 'function') {
      throw new ProtocolError('invalid_options', 'onLine must be a function');
    }
    this.#maxLineLength = max;
    this.#onLine = options.onLine;
    this.#onOversize = options.onOversize;
    if (options.onLineBytes !== undefined && typeof options.onLineBytes !== 'function') {
      throw new ProtocolError('invalid_options', 'onLineBytes must be a function');
    }
    this.#onLineBytes = options.onLineBytes;
  }

  /** Complete lines delivered so far (taken by `onLineBytes` or handed to `onLine`). */
  get lines(): number {
    return this.#lines;
  }

  /** Lines skipped for being longer than `maxLineLength`. */
  get oversizeLines(): number {
    return this.#oversize;
  }

  /** Bytes of an unfinished line currently held (at most `maxLineLength + 1`). */
  get bufferedBytes(): number {
    return this.#pendingLength;
  }

  push(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const n = buf.length;
    let start = 0;
    while (start < n) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) {
        this.#hold(buf, start, n);
        return;
      }
      this.#complete(buf, start, nl);
      start = nl + 1;
    }
  }

  /** Ends the stream: a final line without a newline is delivered (or reported as oversize). */
  end(): void {
    if (this.#skipping) {
      this.#finishSkip(this.#skippedLength, this.#skippedEndsWithCr);
    } else if (this.#pendingLength > 0) {
      const pending = this.#pending!;
      let len = this.#pendingLength;
      if (pending[len - 1] === 13) len--;
      this.#pendingLength = 0;
      if (len > this.#maxLineLength) {
        this.#oversize++;
        this.#onOversize?.(len);
      } else {
        this.#emit(pending, 0, len);
      }
    }
  }

  /** Bytes of a line whose newline has not arrived yet. */
  #hold(buf: Buffer, start: number, end: number): void {
    const len = end - start;
    if (this.#skipping) {
      this.#skippedLength += len;
      this.#skippedEndsWithCr = buf[end - 1] === 13;
      return;
    }
    const total = this.#pendingLength + len;
    if (total > this.#maxLineLength + 1) {
      this.#skipping = true;
      this.#skippedLength = total;
      this.#skippedEndsWithCr = buf[end - 1] === 13;
      this.#pendingLength = 0;
      return;
    }
    const pending = this.#reserve(total);
    buf.copy(pending, this.#pendingLength, start, end);
    this.#pendingLength = total;
  }

  /** The pending buffer with room for `total` bytes (never more than `maxLineLength + 1`). */
  #reserve(total: number): Buffer {
    const pending = this.#pending;
    if (pending !== undefined && pending.length >= total) return pending;
    const capacity = Math.min(
      this.#maxLineLength + 1,
      Math.max(total, INITIAL_CAPACITY, pending === undefined ? 0 : pending.length * 2),
    );
    const grown = Buffer.allocUnsafe(capacity);
    if (pending !== undefined) pending.copy(grown, 0, 0, this.#pendingLength);
    this.#pending = grown;
    return grown;
  }

  /** A newline at `nl`: the line is what was held plus `buf[start, nl)`. */
  #complete(buf: Buffer, start: number, nl: number): void {
    const max = this.#maxLineLength;
    if (this.#skipping) {
      const crHere = nl > start ? buf[nl - 1] === 13 : this.#skippedEndsWithCr;
      this.#finishSkip(this.#skippedLength + (nl - start), crHere);
      return;
    }
    if (this.#pendingLength === 0) {
      let end = nl;
      if (end > start && buf[end - 1] === 13) end--;
      const len = end - start;
      if (len > max) {
        this.#oversize++;
        this.#onOversize?.(len);
        return;
      }
      this.#emit(buf, start, end);
      return;
    }
    const pending = this.#pending!;
    const total = this.#pendingLength + (nl - start);
    const endsWithCr = nl > start ? buf[nl - 1] === 13 : pending[this.#pendingLength - 1] === 13;
    const len = endsWithCr ? total - 1 : total;
    if (len > max) {
      this.#pendingLength = 0;
      this.#oversize++;
      this.#onOversize?.(len);
      return;
    }
    // Copy only the line's content (the `\r`, if it is in this chunk, stays out).
    const copyEnd = nl > start && endsWithCr ? nl - 1 : nl;
    const target = copyEnd > start ? this.#reserve(this.#pendingLength + (copyEnd - start)) : pending;
    if (copyEnd > start) buf.copy(target, this.#pendingLength, start, copyEnd);
    this.#pendingLength = 0;
    this.#emit(target, 0, len);
  }

  #finishSkip(rawLength: number, endsWithCr: boolean): void {
    this.#skipping = false;
    this.#skippedLength = 0;
    this.#skippedEndsWithCr = false;
    this.#oversize++;
    this.#onOversize?.(endsWithCr ? rawLength - 1 : rawLength);
  }

  #emit(buf: Buffer, start: number, end: number): void {
    this.#lines++;
    if (this.#onLineBytes?.(buf, start, end) === true) return;
    this.#onLine(buf.toString('utf8', start, end));
  }
}
