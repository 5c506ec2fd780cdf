import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PointQueue } from './point-queue.js';

describe('PointQueue', () => {
  it('is FIFO and numbers entries consecutively', () => {
    const q = new PointQueue<string>(10, 2);
    for (const s of ['a', 'b', 'c', 'd']) expect(q.push(s)).toBe(true);
    expect(q.length).toBe(4);
    expect(q.headSeq).toBe(0);
    expect(q.nextSeq).toBe(4);
    const out: string[] = [];
    expect(q.take(3, out)).toBe(3);
    expect(out).toEqual(['a', 'b', 'c']);
    expect(q.headSeq).toBe(3);
    q.push('e');
    expect(q.take(10, out)).toBe(2);
    expect(out).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(q.headSeq).toBe(5);
    expect(q.nextSeq).toBe(5);
  });

  it('refuses a push at capacity and drops the oldest on request', () => {
    const q = new PointQueue<string>(2);
    q.push('a');
    q.push('b');
    expect(q.push('c')).toBe(false);
    expect(q.dropOldest()).toEqual({ dropped: true, owner: undefined });
    expect(q.push('c')).toBe(true);
    const out: string[] = [];
    q.take(5, out);
    expect(out).toEqual(['b', 'c']);
    expect(q.dropOldest().dropped).toBe(false);
  });

  it('never puts two owners in one take', () => {
    const q = new PointQueue<string>(10);
    q.push('a');
    q.push('b', 'T1');
    q.push('c', 'T1');
    q.push('d');
    const out: string[] = [];
    expect(q.peekOwner()).toBeUndefined();
    expect(q.take(10, out)).toBe(1);
    expect(q.peekOwner()).toBe('T1');
    expect(q.take(10, out)).toBe(2);
    expect(q.take(10, out)).toBe(1);
    expect(out).toEqual(['a', 'b', 'c', 'd']);
  });

  it('clear reports each owner slot', () => {
    const q = new PointQueue<string>(10);
    q.push('a', 'T');
    q.push('b');
    const owners: Array<string | undefined> = [];
    expect(q.clear((o) => owners.push(o))).toBe(2);
    expect(owners).toEqual(['T', undefined]);
    expect(q.length).toBe(0);
    expect(q.headSeq).toBe(2);
  });

  it('behaves like an array model under any sequence of operations', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), owner: fc.constantFrom(undefined, 'x', 'y') }),
      fc.record({ kind: fc.constant('take' as const), max: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('drop' as const) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(op, { maxLength: 200 }), (capacity, ops) => {
        const q = new PointQueue<string>(capacity, 1);
        const model: Array<{ item: string; owner: string | undefined }> = [];
        let head = 0;
        let counter = 0;
        for (const o of ops) {
          if (o.kind === 'push') {
            const item = `p${counter++}`;
            const ok = q.push(item, o.owner);
            if (model.length < capacity) {
              if (!ok) return false;
              model.push({ item, owner: o.owner });
            } else if (ok) return false;
          } else if (o.kind === 'take') {
            const out: string[] = [];
            const n = q.take(o.max, out);
            let expected = 0;
            const first = model[0]?.owner;
            while (expected < Math.min(o.max, model.length) && model[expected]!.owner === first) expected++;
            const removed = model.splice(0, expected);
            head += expected;
            if (n !== expected || out.join() !== removed.map((m) => m.item).join()) return false;
          } else {
            const r = q.dropOldest();
            if (r.dropped !== model.length > 0) return false;
            if (model.length > 0) {
              if (r.owner !== model.shift()!.owner) return false;
              head++;
            }
          }
          if (q.length !== model.length || q.headSeq !== head) return false;
        }
        return true;
      }),
    );
  });
});
