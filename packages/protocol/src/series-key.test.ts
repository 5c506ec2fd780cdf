import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messyLine, point } from './__fixtures__/line-arbitraries.js';
import { formatPutLine } from './format.js';
import type { ProtocolOptions } from './options.js';
import { parsePutLine } from './put-line.js';
import { PutLineScreen } from './put-line-screen.js';
import { screenedSeriesKey, seriesKey } from './series-key.js';

describe('seriesKey', () => {
  it.each([
    ['sys.cpu', {}, 'sys.cpu{}'],
    ['sys.cpu', { host: 'a' }, 'sys.cpu{host=a}'],
    ['sys.cpu', { type: 'user', host: 'a' }, 'sys.cpu{host=a,type=user}'],
    ['m', { b: '2', a: '1', c: '3' }, 'm{a=1,b=2,c=3}'],
  ])('%s %o -> %s', (metric, tags, key) => {
    expect(seriesKey(metric, tags)).toBe(key);
  });

  it('does not depend on tag insertion order', () => {
    expect(seriesKey('m', { x: '1', y: '2' })).toBe(seriesKey('m', { y: '2', x: '1' }));
  });
});

/** Lines the screen takes, with keys that are prefixes of one another (`a`, `a1`, `a.`). */
const name = fc.string({ unit: fc.constantFrom(...'aA1-_./'.split('')), minLength: 1, maxLength: 4 });
const plainLine = fc
  .tuple(name, fc.uniqueArray(fc.tuple(name, name), { maxLength: 12, selector: ([k]) => k }))
  .map(([metric, tags]) =>
    `put ${metric} 1700000000 1 ${tags.map(([k, v]) => `${k}=${v}`).join(' ')}`.trimEnd(),
  );

describe('screenedSeriesKey', () => {
  const keyOf = (line: string, options?: ProtocolOptions): string | undefined => {
    const buf = Buffer.from(`x\n${line}\n`, 'utf8');
    const screen = new PutLineScreen({ tagsOptional: true, ...options });
    if (!screen.screen(buf, 2, buf.length - 1)) return undefined;
    const out = Buffer.alloc(4096);
    const n = screenedSeriesKey(screen, buf, out);
    expect(n).toBeGreaterThan(0);
    // Too short a buffer is answered -1, never overrun.
    for (const short of [0, 1, n - 1])
      expect(screenedSeriesKey(screen, buf, new Uint8Array(Math.max(0, short)))).toBe(-1);
    return out.toString('latin1', 0, n);
  };

  it('sorts by key alone, as seriesKey does (`a1` before `a`: no, `a` before `a1`)', () => {
    expect(keyOf('put m 1 1 a1=y a=x b=z')).toBe('m{a=x,a1=y,b=z}');
    expect(keyOf('put m 1 1')).toBe('m{}');
  });

  it('property: the key of every line the screen accepts is seriesKey of the parsed point', () => {
    const options: ProtocolOptions = { tagsOptional: true, maxTags: 64 };
    fc.assert(
      fc.property(
        fc.oneof(
          messyLine,
          point.map((p) => formatPutLine(p)),
          plainLine,
        ),
        (line) => {
          const key = keyOf(line, options);
          if (key === undefined) return;
          const parsed = parsePutLine(line, options);
          expect(parsed.ok).toBe(true);
          if (parsed.ok) expect(key).toBe(seriesKey(parsed.point.metric, parsed.point.tags));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
