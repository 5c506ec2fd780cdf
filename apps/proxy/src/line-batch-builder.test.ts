import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LineBatch } from './backends/backend.js';
import { LineBatchBuilder } from './line-batch-builder.js';

/** The lines of a batch, without their newlines. */
function linesOf(batch: LineBatch): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < batch.count; i++) {
    const end = batch.ends[i]!;
    expect(batch.data[end - 1]).toBe(10);
    out.push(batch.data.toString('latin1', start, end - 1));
    start = end;
  }
  expect(start).toBe(batch.data.length);
  return out;
}

/** Appends `line` (pieces of `src`) the way the telnet listener does. */
function append(builder: LineBatchBuilder, taken: LineBatch[], line: string): void {
  const src = Buffer.from(`xx${line}yy`, 'latin1');
  if (!builder.reserve(line.length + 1)) {
    taken.push(builder.take());
    expect(builder.reserve(line.length + 1)).toBe(true);
  }
  // In two pieces, as when a credential tag is cut out of the middle.
  const cut = Math.floor(line.length / 2);
  builder.copy(src, 2, 2 + cut);
  builder.copy(src, 2 + cut, 2 + line.length);
  builder.endLine();
}

describe('LineBatchBuilder', () => {
  it('builds batches of whole lines; a batch handed out stays intact while later ones are built', () => {
    const builder = new LineBatchBuilder(4);
    const taken: LineBatch[] = [];
    append(builder, taken, 'put a 1 1 h=x');
    append(builder, taken, 'put b 1 2 h=y');
    expect(builder.count).toBe(2);
    const first = builder.take();
    for (let i = 0; i < 4; i++) append(builder, taken, `put c 1 ${i} h=${'z'.repeat(300 + i)}`);
    expect(builder.full).toBe(true);
    const second = builder.take();
    expect(linesOf(first)).toEqual(['put a 1 1 h=x', 'put b 1 2 h=y']);
    expect(linesOf(second).map((l) => l.length)).toEqual([312, 313, 314, 315]);
    // A line larger than any slab so far gets a slab of its own size.
    append(builder, taken, `put d 1 1 h=${'w'.repeat(40_000)}`);
    expect(linesOf(builder.take())[0]!.length).toBe(40_012);
    expect(taken).toEqual([]);
  });

  it('property: whatever the lines and the cuts, the batches hold every line once, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 3000, unit: 'binary-ascii' }), fc.boolean()), {
          maxLength: 300,
        }),
        fc.integer({ min: 1, max: 50 }),
        (items, maxLines) => {
          const builder = new LineBatchBuilder(maxLines);
          const taken: LineBatch[] = [];
          const expected: string[] = [];
          for (const [raw, takeAfter] of items) {
            const line = raw.replaceAll('\n', ' ');
            append(builder, taken, line);
            expected.push(line);
            if (takeAfter || builder.full) taken.push(builder.take());
          }
          if (builder.count > 0) taken.push(builder.take());
          for (const b of taken) expect(b.count).toBeLessThanOrEqual(maxLines);
          expect(taken.flatMap(linesOf)).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
