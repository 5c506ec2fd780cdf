/**
 * The client's bounded FIFO of encoded points: a growable ring buffer (no per-point allocation,
 * O(1) push/shift) with a parallel owner slot so points of a `write()` transaction can be traced
 * back to it. Every entry has a sequence number, implicit from its position: entries always carry
 * consecutive numbers from `headSeq`, which is what `flush()` waits on.
 *
 * The queue itself never drops: the client decides what to drop by policy, and counts it.
 */
export class PointQueue<O> {
  private items: Array<string | undefined>;
  private owners: Array<O | undefined>;
  private head = 0;
  private count = 0;
  private seq = 0;
  readonly capacity: number;

  constructor(capacity: number, initialSize = 1024) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be >= 1, got ${capacity}`);
    this.capacity = capacity;
    const size = Math.min(capacity, Math.max(1, initialSize));
    this.items = new Array<string | undefined>(size).fill(undefined);
    this.owners = new Array<O | undefined>(size).fill(undefined);
  }

  get length(): number {
    return this.count;
  }

  /** Sequence number of the oldest entry (or of the next one pushed when empty). */
  get headSeq(): number {
    return this.seq;
  }

  /** Sequence number the next pushed entry will get. */
  get nextSeq(): number {
    return this.seq + this.count;
  }

  /** Appends an entry; returns false (and stores nothing) when the queue is at capacity. */
  push(item: string, owner?: O): boolean {
    if (this.count === this.capacity) return false;
    if (this.count === this.items.length) this.grow();
    let at = this.head + this.count;
    if (at >= this.items.length) at -= this.items.length;
    this.items[at] = item;
    if (owner !== undefined) this.owners[at] = owner;
    this.count++;
    return true;
  }

  /** Removes the oldest entry and returns its owner slot (undefined for owner-less entries). */
  dropOldest(): { dropped: boolean; owner: O | undefined } {
    if (this.count === 0) return { dropped: false, owner: undefined };
    const owner = this.owners[this.head];
    this.clearSlot(this.head);
    this.advance(1);
    return { dropped: true, owner };
  }

  /** Owner of the oldest entry, without removing it. */
  peekOwner(): O | undefined {
    return this.count === 0 ? undefined : this.owners[this.head];
  }

  /**
   * Moves up to `max` of the oldest entries into `into`, stopping where the owner changes so a
   * batch never mixes a transaction's points with others. Returns how many were taken.
   */
  take(max: number, into: string[]): number {
    const n = Math.min(max, this.count);
    if (n <= 0) return 0;
    const size = this.items.length;
    const owner = this.owners[this.head];
    let at = this.head;
    let taken = 0;
    while (taken < n) {
      if (this.owners[at] !== owner) break;
      into.push(this.items[at]!);
      this.clearSlot(at);
      taken++;
      at++;
      if (at === size) at = 0;
    }
    this.advance(taken);
    return taken;
  }

  /** Empties the queue, returning the owners of the removed entries (one per entry, undefined included). */
  clear(onEntry?: (owner: O | undefined) => void): number {
    const removed = this.count;
    let at = this.head;
    for (let i = 0; i < removed; i++) {
      onEntry?.(this.owners[at]);
      this.clearSlot(at);
      at++;
      if (at === this.items.length) at = 0;
    }
    this.advance(removed);
    return removed;
  }

  private advance(n: number): void {
    this.head += n;
    if (this.head >= this.items.length) this.head -= this.items.length;
    this.count -= n;
    this.seq += n;
    if (this.count === 0) this.head = 0;
  }

  private clearSlot(at: number): void {
    this.items[at] = undefined;
    this.owners[at] = undefined;
  }

  private grow(): void {
    const oldSize = this.items.length;
    const newSize = Math.min(this.capacity, oldSize * 2);
    const items = new Array<string | undefined>(newSize).fill(undefined);
    const owners = new Array<O | undefined>(newSize).fill(undefined);
    for (let i = 0; i < this.count; i++) {
      let at = this.head + i;
      if (at >= oldSize) at -= oldSize;
      items[i] = this.items[at];
      owners[i] = this.owners[at];
    }
    this.items = items;
    this.owners = owners;
    this.head = 0;
  }
}
