import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineFramer } from './line-framer.js';

function frame(chunks: readonly (string | Uint8Array)[], maxLineLength = 64, end = true) {
  const lines: string[] = [];
  const oversize: number[] = [];
  const framer = new LineFramer({
    maxLineLength,
    onLine: (l) => lines.push(l),
    onOversize: (n) => oversize.push(n),
  });
  for (const c of chunks) framer.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
  if (end) framer.end();
  return { lines, oversize, framer };
}

describe('LineFramer', () => {
  it('splits on \\n and strips one \\r before it', () => {
    expect(frame(['a\nb\r\nc\r\r\n\n']).lines).toEqual(['a', 'b', 'c\r', '']);
  });

  it('joins lines split across chunks, a \\r\\n split included', () => {
    expect(frame(['put m', ' 1 2 a=b\r', '\nput n 1 2 ', 'a=b\n']).lines).toEqual([
      'put m 1 2 a=b',
      'put n 1 2 a=b',
    ]);
  });

  it('decodes a multi-byte character split across chunks', () => {
    const bytes = Buffer.from('é中😀\n', 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(frame([bytes.subarray(0, cut), bytes.subarray(cut)]).lines).toEqual(['é中😀']);
    }
  });

  it('takes plain Uint8Arrays (not only Buffers), with offsets', () => {
    const backing = new Uint8Array([0, 0, 97, 10, 98, 10, 0]);
    expect(frame([backing.subarray(2, 6)]).lines).toEqual(['a', 'b']);
  });

  it('end() delivers a final line without newline, once', () => {
    const { lines, framer } = frame(['a\nlast\r'], 64, true);
    expect(lines).toEqual(['a', 'last']);
    framer.end();
    expect(lines).toEqual(['a', 'last']);
  });

  it('without end() an unterminated line is held, not delivered', () => {
    const { lines, framer } = frame(['a\npartial'], 64, false);
    expect(lines).toEqual(['a']);
    expect(framer.bufferedBytes).toBe(7);
  });

  it('accepts a line of exactly maxLineLength bytes, with or without \\r', () => {
    expect(frame(['0123456789\n', '0123456789\r\n'], 10).lines).toEqual(['0123456789', '0123456789']);
  });

  it('skips a longer line, reports its length once, and resynchronises at the next newline', () => {
    const r = frame(['ok\n01234567890\nfine\n'], 10);
    expect(r.lines).toEqual(['ok', 'fine']);
    expect(r.oversize).toEqual([11]);
    expect(r.framer.oversizeLines).toBe(1);
    expect(r.framer.lines).toBe(2);
  });

  it('handles an oversize line spread over many chunks without holding it', () => {
    const lines: string[] = [];
    const oversize: number[] = [];
    const framer = new LineFramer({
      maxLineLength: 100,
      onLine: (l) => lines.push(l),
      onOversize: (n) => oversize.push(n),
    });
    framer.push(Buffer.from('start\n'));
    for (let i = 0; i < 1000; i++) {
      framer.push(Buffer.alloc(1000, 120));
      expect(framer.bufferedBytes).toBeLessThanOrEqual(101);
    }
    framer.push(Buffer.from('\r\nafter\n'));
    expect(lines).toEqual(['start', 'after']);
    expect(oversize).toEqual([1_000_000]);
  });

  it('counts a byte-level oversize, not characters', () => {
    expect(frame(['éééééé\n'], 10).oversize).toEqual([12]);
  });

  it('reports an oversize final line at end()', () => {
    expect(frame(['0123456789abc'], 10).oversize).toEqual([13]);
  });

  it('refuses a bad maxLineLength', () => {
    expect(() => new LineFramer({ maxLineLength: 0, onLine: () => {} })).toThrow(/maxLineLength/);
    expect(() => new LineFramer({ maxLineLength: 1.5, onLine: () => {} })).toThrow(/maxLineLength/);
  });
});

describe('LineFramer properties', () => {
  const text = fc
    .array(
      fc.oneof(
        fc.string({ unit: 'grapheme', maxLength: 30 }),
        fc.constantFrom('\n', '\r\n', '\r', 'é', '😀', 'x'.repeat(40)),
      ),
      { maxLength: 30 },
    )
    .map((parts) => parts.join(''));

  /** What a framer must produce: the reference split, with oversize lines left out. */
  function expected(s: string, max: number) {
    const bytes = Buffer.from(s, 'utf8');
    const lines: string[] = [];
    const oversize: number[] = [];
    const raw: Buffer[] = [];
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 10) {
        if (i === bytes.length && start === i) break;
        raw.push(bytes.subarray(start, i));
        start = i + 1;
      }
    }
    for (let line of raw) {
      if (line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
      if (line.length > max) oversize.push(line.length);
      else lines.push(line.toString('utf8'));
    }
    return { lines, oversize };
  }

  it('any chunking of the same bytes yields the same lines and the same oversize reports', () => {
    fc.assert(
      fc.property(
        text,
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.integer({ min: 1, max: 50 }),
        (s, cuts, max) => {
          const bytes = Buffer.from(s, 'utf8');
          const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort(
            (a, b) => a - b,
          );
          const chunks: Buffer[] = [];
          let prev = 0;
          for (const p of points) {
            chunks.push(bytes.subarray(prev, p));
            prev = p;
          }
          chunks.push(bytes.subarray(prev));
          const lines: string[] = [];
          const oversize: number[] = [];
          const framer = new LineFramer({
            maxLineLength: max,
            onLine: (l) => lines.push(l),
            onOversize: (n) => oversize.push(n),
          });
          for (const c of chunks) {
            framer.push(c);
            expect(framer.bufferedBytes).toBeLessThanOrEqual(max + 1);
          }
          framer.end();
          expect({ lines, oversize }).toEqual(expected(s, max));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('one byte at a time is the same as all at once', () => {
    fc.assert(
      fc.property(text, (s) => {
        const bytes = Buffer.from(s, 'utf8');
        const whole = frame([bytes], 1024);
        const single = frame(
          [...bytes].map((b) => Uint8Array.of(b)),
          1024,
        );
        expect(single.lines).toEqual(whole.lines);
      }),
      { numRuns: 500 },
    );
  });

  it('onLineBytes sees every line as bytes first; what it takes never reaches onLine', () => {
    fc.assert(
      fc.property(
        text,
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 10 }),
        (s, cuts) => {
          const bytes = Buffer.from(s, 'utf8');
          const chunks: Buffer[] = [];
          for (let at = 0, k = 0; at < bytes.length; k++) {
            const next = Math.min(bytes.length, at + cuts[k % cuts.length]!);
            chunks.push(bytes.subarray(at, next));
            at = next;
          }
          const seen: string[] = [];
          const decoded: string[] = [];
          let taken = 0;
          const framer = new LineFramer({
            maxLineLength: 64,
            onLineBytes: (buf, start, end) => {
              const line = buf.toString('utf8', start, end);
              seen.push(line);
              // Take every other line as bytes.
              if (seen.length % 2 === 0) {
                taken++;
                return true;
              }
              return false;
            },
            onLine: (l) => decoded.push(l),
          });
          for (const c of chunks) framer.push(c);
          framer.end();
          const reference = expected(s, 64).lines;
          expect(seen).toEqual(reference);
          expect(decoded).toEqual(reference.filter((_, i) => i % 2 === 0));
          expect(framer.lines).toBe(reference.length);
          expect(taken).toBe(reference.length - decoded.length);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
