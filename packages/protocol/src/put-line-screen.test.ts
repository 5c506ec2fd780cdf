import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messyLine, point } from './__fixtures__/line-arbitraries.js';
import golden from './__fixtures__/put-lines.golden.json' with { type: 'json' };
import type { Tags } from './data-point.js';
import { formatPutLine } from './format.js';
import type { ProtocolOptions } from './options.js';
import { parsePutLine } from './put-line.js';
import { PutLineScreen } from './put-line-screen.js';
import { createTags } from './tags.js';

/** What the screen saw, in parsePutLine's terms (tags sorted into a null-prototype map). */
function described(screen: PutLineScreen, buf: Buffer, start: number) {
  const text = (a: number, b: number) => buf.toString('latin1', a, b);
  const tags: Tags = createTags();
  const keys: string[] = [];
  for (let k = 0; k < screen.tagCount; k++) keys.push(text(screen.keyStarts[k]!, screen.equals[k]!));
  const order = keys.map((_, k) => k).sort((a, b) => (keys[a]! < keys[b]! ? -1 : 1));
  for (const k of order) tags[keys[k]!] = text(screen.equals[k]! + 1, screen.valueEnds[k]!);
  const head = text(start, screen.headEnd).split(' ');
  // The value's own offsets agree with the words of the head.
  expect(text(screen.valueStart, screen.headEnd)).toBe(head[3]);
  return {
    metric: text(screen.metricStart, screen.metricEnd),
    timestamp: Number(text(screen.metricEnd + 1, screen.valueStart - 1)),
    valueText: text(screen.valueStart, screen.headEnd),
    tags,
  };
}

/** Holds the screen to parsePutLine on one line; returns the screen's answer. */
function agree(line: string, options?: ProtocolOptions, screen = new PutLineScreen(options)): boolean {
  // Somewhere inside a larger buffer, as lines arrive in socket chunks.
  const buf = Buffer.concat([Buffer.from('xx\n'), Buffer.from(line, 'utf8'), Buffer.from('\nyy')]);
  const start = 3;
  const end = start + Buffer.byteLength(line);
  const accepted = screen.screen(buf, start, end);
  if (accepted) {
    const parsed = parsePutLine(line, options);
    expect(parsed.ok, `screen accepted what parsePutLine refuses: ${line}`).toBe(true);
    if (parsed.ok) {
      const seen = described(screen, buf, start);
      expect(seen.metric).toBe(parsed.point.metric);
      expect(seen.timestamp).toBe(parsed.point.timestamp);
      expect(seen.valueText).toBe(parsed.point.valueText);
      expect(seen.tags).toEqual(parsed.point.tags);
    }
  }
  return accepted;
}

describe('PutLineScreen', () => {
  it('accepts the plain line and describes it', () => {
    const screen = new PutLineScreen();
    const line = 'put sys.cpu.user 1356998400 42.5 host=web01 cpu=0';
    const buf = Buffer.from(line);
    expect(screen.screen(buf, 0, buf.length)).toBe(true);
    expect(buf.toString('latin1', screen.metricStart, screen.metricEnd)).toBe('sys.cpu.user');
    expect(buf.toString('latin1', 0, screen.headEnd)).toBe('put sys.cpu.user 1356998400 42.5');
    expect(screen.tagCount).toBe(2);
    expect(buf.toString('latin1', screen.keyStarts[1], screen.equals[1])).toBe('cpu');
    expect(buf.toString('latin1', screen.equals[1]! + 1, screen.valueEnds[1])).toBe('0');
  });

  it.each([
    'put m 1 1 a=b',
    'put m 9999999999999 -7 a=b',
    'put m 1356998400123 123456789012345678 a=b',
    'put m 1356998400 -0.5 a=b',
    'put m 1356998400 .5 a=b',
    'put m 1356998400 5. a=b',
    'put m 1356998400 007 a=b',
    'put a-b_c.d/e 1356998400 1 k/x=v-y_z.1',
  ])('accepts %s (and parsePutLine agrees)', (line) => {
    expect(agree(line)).toBe(true);
  });

  it.each([
    ['not a put', 'get m 1 1 a=b'],
    ['no tags', 'put m 1356998400 1'],
    ['timestamp 0', 'put m 0 1 a=b'],
    ['timestamp above MAX_MILLIS', 'put m 10000000000000 1 a=b'],
    ['timestamp of 14 digits', 'put m 00001356998400 1 a=b'],
    ['seconds.millis timestamp (valid, left to the parser)', 'put m 1356998400.5 1 a=b'],
    ['exponent (valid, left to the parser)', 'put m 1356998400 1e3 a=b'],
    ['19-digit integer (left to the parser)', 'put m 1356998400 1234567890123456789 a=b'],
    ['16-digit decimal (left to the parser)', 'put m 1356998400 1.234567890123456 a=b'],
    ['double space (valid, left to the parser)', 'put m 1356998400 1  a=b'],
    ['trailing space (valid, left to the parser)', 'put m 1356998400 1 a=b '],
    ['repeated key, same value (valid, left to the parser)', 'put m 1356998400 1 a=b a=b'],
    ['repeated key', 'put m 1356998400 1 a=b a=c'],
    ['non-ASCII (valid, left to the parser)', 'put m 1356998400 1 a=é'],
    ['empty tag value', 'put m 1356998400 1 a='],
    ['tag without =', 'put m 1356998400 1 a'],
    ['= in a value', 'put m 1356998400 1 a=b=c'],
    ['bad metric character', 'put m! 1356998400 1 a=b'],
    ['value with a letter', 'put m 1356998400 1x a=b'],
    ['value -', 'put m 1356998400 - a=b'],
    ['a tab', 'put m 1356998400 1\ta=b'],
    ['too many tags', `put m 1356998400 1 ${Array.from({ length: 9 }, (_, i) => `k${i}=v`).join(' ')}`],
  ])('defers: %s', (_, line) => {
    expect(agree(line)).toBe(false);
  });

  it('counts tags against maxTags and honours tagsOptional and extra characters', () => {
    const wide = { maxTags: 10 };
    expect(
      agree(`put m 1356998400 1 ${Array.from({ length: 10 }, (_, i) => `k${i}=v`).join(' ')}`, wide),
    ).toBe(true);
    expect(agree('put m 1356998400 1', { tagsOptional: true })).toBe(true);
    expect(agree('put m:x 1356998400 1 a=b:c', { extraChars: ':' })).toBe(true);
    expect(agree('put m:x 1356998400 1 a=b:c')).toBe(false);
  });

  it('never accepts what OpenTSDB 2.4 refused (golden replies from its own code)', () => {
    const screen = new PutLineScreen();
    let accepted = 0;
    for (const c of golden.default as Array<{ line: string; reply: string }>) {
      const buf = Buffer.from(c.line, 'utf8');
      if (screen.screen(buf, 0, buf.length)) {
        accepted++;
        expect(c.reply.startsWith('OK '), c.line).toBe(true);
      }
    }
    expect(accepted).toBeGreaterThan(50);
    const custom = new PutLineScreen({
      extraChars: golden.custom.extraChars,
      maxTags: golden.custom.maxTags,
    });
    for (const c of golden.custom.cases as Array<{ line: string; reply: string }>) {
      const buf = Buffer.from(c.line, 'utf8');
      if (custom.screen(buf, 0, buf.length)) expect(c.reply.startsWith('OK '), c.line).toBe(true);
    }
  });
});

describe('property: the screen never accepts what parsePutLine refuses, and reads the same point', () => {
  it('on valid points formatted as put lines', () => {
    const screen = new PutLineScreen();
    fc.assert(
      fc.property(point, (p) => {
        agree(formatPutLine(p), undefined, screen);
      }),
      { numRuns: 2000 },
    );
  });

  it('takes every plain line (so the agreement above is not vacuous)', () => {
    const screen = new PutLineScreen();
    const word = fc.stringMatching(/^[a-zA-Z0-9._/-]{1,16}$/);
    const plain = fc.record({
      metric: word,
      timestamp: fc.integer({ min: 1, max: 9_999_999_999_999 }),
      value: fc.oneof(
        fc.integer().map(String),
        fc.integer({ min: -99_999_999, max: 99_999_999 }).map((n) => (n / 100).toFixed(2)),
      ),
      tags: fc.uniqueArray(fc.tuple(word, word), { minLength: 1, maxLength: 8, selector: ([k]) => k }),
    });
    fc.assert(
      fc.property(plain, (p) => {
        const line = `put ${p.metric} ${p.timestamp} ${p.value} ${p.tags.map(([k, v]) => `${k}=${v}`).join(' ')}`;
        expect(agree(line, undefined, screen)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('on messy lines', () => {
    const screen = new PutLineScreen();
    fc.assert(
      fc.property(messyLine, (rest) => {
        agree('put ' + rest, undefined, screen);
      }),
      { numRuns: 5000 },
    );
  });

  it('with options', () => {
    const options = { tagsOptional: true, maxTags: 3, extraChars: ':' };
    const screen = new PutLineScreen(options);
    fc.assert(
      fc.property(messyLine, (rest) => {
        agree('put ' + rest, options, screen);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary bytes, in any slice of a buffer', () => {
    const screen = new PutLineScreen();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const buf = Buffer.from(bytes);
        const start = bytes.length === 0 ? 0 : a % bytes.length;
        const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
        const ok = screen.screen(buf, start, end);
        if (ok) expect(parsePutLine(buf.toString('latin1', start, end)).ok).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
