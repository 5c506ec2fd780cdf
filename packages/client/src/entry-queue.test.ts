import type { DataPoint } from '@otsdb/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryQueue, type EntryWriter } from './entry-queue.js';
import { writeText } from './entry-writer.js';

/** Writes the metric name and a newline: enough to see which entry is which. */
const names: EntryWriter = {
  plain: true,
  write: (point, _host, buf, pos, limit) => {
    const end = writeText(buf, pos, limit, point.metric);
    if (end < 0 || end + 1 > limit) return -1;
    buf[end] = 10;
    return end + 1;
  },
};
const p = (metric: string): DataPoint => ({ metric, timestamp: 1, value: 1, tags: {} });
const text = (runs: Buffer[]) => Buffer.concat(runs).toString();

describe('EntryQueue', () => {
  it('is FIFO, numbers entries consecutively and joins adjacent entries into one run', () => {
    const q = new EntryQueue<string>(10, 1000, 64, 2);
    for (const m of ['a', 'b', 'c', 'd']) expect(q.append(names, p(m), undefined)).toBe(2);
    expect(q).toMatchObject({ length: 4, headSeq: 0, nextSeq: 4, byteLength: 8 });
    const first = q.take(3);
    expect(first).toMatchObject({ count: 3, bytes: 6 });
    expect(first.runs).toHaveLength(1);
    expect(text(first.runs)).toBe('a\nb\nc\n');
    q.append(names, p('e'), undefined);
    expect(text(q.take(10).runs)).toBe('d\ne\n');
    expect(q).toMatchObject({ length: 0, headSeq: 5, nextSeq: 5, byteLength: 0 });
  });

  it('moves to a new chunk when one is full; views handed out stay intact', () => {
    const q = new EntryQueue<string>(100, 10_000, 8);
    for (const m of ['aaa', 'bbb', 'ccc', 'ddd']) q.append(names, p(m), undefined);
    const taken = q.take(4);
    expect(taken.runs.length).toBeGreaterThan(1);
    for (const m of ['xxx', 'yyy', 'zzz']) q.append(names, p(m), undefined);
    expect(text(taken.runs)).toBe('aaa\nbbb\nccc\nddd\n');
    expect(text(q.take(10).runs)).toBe('xxx\nyyy\nzzz\n');
  });

  it('takes an entry larger than a chunk into a bigger one', () => {
    const q = new EntryQueue<string>(10, 1_000_000, 16);
    const big = 'x'.repeat(1000);
    expect(q.append(names, p(big), undefined)).toBe(1001);
    expect(text(q.take(1).runs)).toBe(`${big}\n`);
  });

  it('refuses beyond maxEntries, reports overBytes, and removes the newest on request', () => {
    const q = new EntryQueue<string>(2, 3);
    q.append(names, p('a'), undefined);
    expect(q.overBytes).toBe(false);
    q.append(names, p('b'), undefined);
    expect(q.overBytes).toBe(true);
    expect(q.hasSlot).toBe(false);
    expect(q.append(names, p('c'), undefined)).toBe(-1);
    q.removeNewest(1);
    expect(q).toMatchObject({ length: 1, byteLength: 2, overBytes: false });
    q.append(names, p('z'), undefined);
    expect(text(q.take(5).runs)).toBe('a\nz\n');
  });

  it('never puts two owners in one take and reports owners on drop and clear', () => {
    const q = new EntryQueue<string>(10, 1000);
    q.append(names, p('a'), undefined);
    q.append(names, p('b'), undefined, 'T1');
    q.append(names, p('c'), undefined, 'T1');
    q.append(names, p('d'), undefined);
    q.append(names, p('e'), undefined, 'T2');
    expect(q.peekOwner()).toBeUndefined();
    expect(q.take(10).count).toBe(1);
    expect(q.peekOwner()).toBe('T1');
    expect(text(q.take(10).runs)).toBe('b\nc\n');
    expect(q.dropOldest()).toEqual({ dropped: true, owner: undefined });
    const owners: Array<string | undefined> = [];
    expect(q.clear((o) => owners.push(o))).toBe(1);
    expect(owners).toEqual(['T2']);
    expect(q.dropOldest().dropped).toBe(false);
  });

  it('behaves like an array model under any sequence of operations', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('push' as const),
        owner: fc.constantFrom(undefined, 'x', 'y'),
        len: fc.nat(20),
      }),
      fc.record({ kind: fc.constant('take' as const), max: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('drop' as const) }),
      fc.record({ kind: fc.constant('unpush' as const), n: fc.nat(3) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(op, { maxLength: 150 }), (capacity, ops) => {
        const q = new EntryQueue<string>(capacity, 1_000_000, 32, 1);
        const model: Array<{ text: string; owner: string | undefined }> = [];
        let head = 0;
        let counter = 0;
        for (const o of ops) {
          if (o.kind === 'push') {
            const name = `p${counter++}${'-'.repeat(o.len)}`;
            const size = q.append(names, p(name), undefined, o.owner);
            if (model.length < capacity) {
              if (size !== name.length + 1) return false;
              model.push({ text: `${name}\n`, owner: o.owner });
            } else if (size !== -1) return false;
          } else if (o.kind === 'take') {
            const taken = q.take(o.max);
            let expected = 0;
            const first = model[0]?.owner;
            while (expected < Math.min(o.max, model.length) && model[expected]!.owner === first) expected++;
            const removed = model.splice(0, expected);
            head += expected;
            if (taken.count !== expected || text(taken.runs) !== removed.map((m) => m.text).join(''))
              return false;
          } else if (o.kind === 'drop') {
            const r = q.dropOldest();
            if (r.dropped !== model.length > 0) return false;
            if (model.length > 0) {
              if (r.owner !== model.shift()!.owner) return false;
              head++;
            }
          } else {
            q.removeNewest(o.n);
            model.splice(Math.max(0, model.length - o.n));
          }
          const bytes = model.reduce((sum, m) => sum + m.text.length, 0);
          if (q.length !== model.length || q.headSeq !== head || q.byteLength !== bytes) return false;
        }
        return true;
      }),
    );
  });
});

describe('EntryQueue.appendEncoded', () => {
  const block = (entries: string[]) => {
    const src = Buffer.from(entries.join(''));
    const ends: number[] = [];
    let at = 0;
    for (const e of entries) ends.push((at += e.length));
    return { src, ends };
  };

  it('copies a block across chunks, entry by entry in order, beside points appended one by one', () => {
    const q = new EntryQueue<string>(1000, 100_000, 16, 2);
    q.append(names, p('first'), undefined);
    const entries = Array.from({ length: 50 }, (_, i) => `line-${i}-${'x'.repeat(i % 9)}\n`);
    const { src, ends } = block(entries);
    expect(q.appendEncoded(src, ends, entries.length, 'txn')).toBe(true);
    q.append(names, p('last'), undefined);
    expect(q).toMatchObject({ length: 52, byteLength: src.length + 6 + 5 });
    src.fill(0); // the queue holds its own copy
    expect(text(q.take(1).runs)).toBe('first\n');
    const taken = q.take(1000);
    expect(taken.count).toBe(50); // stops where the owner changes
    expect(text(taken.runs)).toBe(entries.join(''));
    expect(text(q.take(10).runs)).toBe('last\n');
  });

  it('an entry larger than a chunk gets a chunk of its own', () => {
    const q = new EntryQueue<string>(10, 10_000, 8);
    const { src, ends } = block(['ab\n', `${'y'.repeat(40)}\n`, 'cd\n']);
    expect(q.appendEncoded(src, ends, 3)).toBe(true);
    expect(text(q.take(10).runs)).toBe(src.toString());
  });

  it('refuses, changing nothing, when the slots are not free or the offsets go backwards', () => {
    const q = new EntryQueue<string>(3, 10_000, 64);
    q.append(names, p('a'), undefined);
    const { src, ends } = block(['b\n', 'c\n', 'd\n']);
    expect(q.appendEncoded(src, ends, 3)).toBe(false);
    expect(q.appendEncoded(src, [4, 2], 2)).toBe(false);
    expect(q).toMatchObject({ length: 1, byteLength: 2 });
    expect(q.appendEncoded(src, ends, 2)).toBe(true);
    expect(text(q.take(10).runs)).toBe('a\nb\nc\n');
  });

  it('property: any blocks and points interleaved come out as they went in', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ minLength: 1, maxLength: 5 }),
            fc.array(fc.string({ maxLength: 30 }), { maxLength: 12 }),
          ),
          { maxLength: 30 },
        ),
        fc.integer({ min: 4, max: 64 }),
        (items, chunkBytes) => {
          const q = new EntryQueue<string>(10_000, 1e9, chunkBytes, 1);
          let expected = '';
          for (const item of items) {
            if (typeof item === 'string') {
              q.append(names, p(item), undefined);
              expected += item + '\n';
            } else {
              const entries = item.map((e) => e + '\n');
              const { src, ends } = block(entries);
              expect(q.appendEncoded(src, ends, entries.length)).toBe(true);
              expected += entries.join('');
            }
          }
          expect(q.byteLength).toBe(Buffer.byteLength(expected));
          expect(text(q.take(100_000).runs)).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
