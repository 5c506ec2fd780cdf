/**
 * An append-only byte buffer that doubles as it fills: the base of the store's record encoder
 * and of its JSON response writer. `buf` may be replaced by `ensure`; read it after writing.
 */
export class GrowableBytes {
  buf: Uint8Array;
  pos = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(64, capacity));
  }

  /** Room for `extra` more bytes after `pos`. */
  ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.grown();
  }

  /** Called after `buf` was replaced (a subclass refreshes views of it). */
  protected grown(): void {}
}
