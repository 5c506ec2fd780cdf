import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplayRing } from './replay-ring.js';
import type { Batch } from './transport.js';

const batch = (text: string, count: number, firstSeq: number): Batch => ({
  runs: [Buffer.from(text)],
  count,
  bytes: Buffer.byteLength(text),
  firstSeq,
  owner: { txn: firstSeq },
  replay: false,
});
const textOf = (b: Batch) => Buffer.concat(b.runs as Buffer[]).toString();

describe('ReplayRing', () => {
  it('hands back copies of what is within the window, oldest first, and empties itself', () => {
    const ring = new ReplayRing(1000, 100, 1 << 20);
    const payload = Buffer.from('put a 1 1 x=y\n');
    ring.add(batch('put a 1 1 x=y\n', 1, 0), payload, 0);
    payload.fill(0); // the ring holds its own copy
    ring.add(
      batch('put b 1 1 x=y\nput c 1 1 x=y\n', 2, 1),
      Buffer.from('put b 1 1 x=y\nput c 1 1 x=y\n'),
      500,
    );
    const out = ring.take(1200); // the first is older than the window by then
    expect(out.map((b) => [textOf(b), b.count, b.firstSeq, b.owner, b.replay])).toEqual([
      ['put b 1 1 x=y\nput c 1 1 x=y\n', 2, 1, undefined, true],
    ]);
    expect(ring.take(1200)).toEqual([]);
    expect(ring.size).toBe(0);
  });

  it('keeps at most maxPoints and half of maxBytes; a batch larger than that is not kept', () => {
    const ring = new ReplayRing(60_000, 3, 100);
    for (let i = 0; i < 5; i++) ring.add(batch(`${i}`.repeat(10), 1, i), Buffer.from(`${i}`.repeat(10)), 0);
    expect(ring.take(0).map(textOf)).toEqual(['2'.repeat(10), '3'.repeat(10), '4'.repeat(10)]);
    for (let i = 0; i < 5; i++) ring.add(batch(`${i}`.repeat(20), 1, i), Buffer.from(`${i}`.repeat(20)), 0);
    expect(ring.take(0).map(textOf)).toEqual(['3'.repeat(20), '4'.repeat(20)]); // 50 bytes kept at most
    ring.add(batch('x', 1, 0), Buffer.from('x'), 0);
    ring.add(batch('y'.repeat(51), 1, 1), Buffer.from('y'.repeat(51)), 0);
    expect(ring.take(0)).toEqual([]);
    expect(ring.capacity).toBeLessThanOrEqual(100);
  });

  it('property: any writes come back as the newest suffix within the bounds, byte for byte', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.string({ minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 5 }), fc.nat(50)),
          {
            maxLength: 200,
          },
        ),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 64, max: 4096 }),
        (writes, maxPoints, maxBytes) => {
          const ring = new ReplayRing(200, maxPoints, maxBytes);
          const all: Array<{ text: string; count: number; at: number; seq: number }> = [];
          let now = 0;
          writes.forEach(([text, count, step], seq) => {
            now += step;
            ring.add(batch(text, count, seq), Buffer.from(text), now);
            all.push({ text, count, at: now, seq });
          });
          // What must come back: the longest newest run within age, points and bytes.
          const expected: typeof all = [];
          let points = 0;
          let bytes = 0;
          for (let i = all.length - 1; i >= 0; i--) {
            const w = all[i]!;
            const size = Buffer.byteLength(w.text);
            if (w.at < now - 200 || points + w.count > maxPoints || bytes + size > Math.floor(maxBytes / 2))
              break;
            points += w.count;
            bytes += size;
            expected.unshift(w);
          }
          const out = ring.take(now);
          expect(out.map((b) => [textOf(b), b.count, b.firstSeq])).toEqual(
            expected.map((w) => [w.text, w.count, w.seq]),
          );
          expect(ring.capacity).toBeLessThanOrEqual(Math.max(maxBytes, 1));
        },
      ),
      { numRuns: 500 },
    );
  });
});
