import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DataPoint } from './data-point.js';
import { formatCollectorLine, formatPutLine } from './format.js';
import { resolveOptions } from './options.js';
import { parseCollectorLine, parsePutLine, scan } from './put-line.js';
import { applyPutRules, splitCollectorWords, splitWords } from './put-line-rules.js';
import { MAX_MILLIS } from './timestamp.js';
import { formatValue } from './value.js';

const NAME_CHARS = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./',
  'é',
  'ß',
  'Ж',
  '中',
];
const name = fc.array(fc.constantFrom(...NAME_CHARS), { minLength: 1, maxLength: 12 }).map((a) => a.join(''));

const value = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.maxSafeInteger(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
  fc
    .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
    .filter((b) => b > 2n ** 53n - 1n || b < -(2n ** 53n - 1n)),
);

// Names Object.prototype defines are valid tag keys and must stay ordinary keys.
const OBJECT_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
const tagKey = fc.oneof(
  { weight: 6, arbitrary: name },
  { weight: 1, arbitrary: fc.constantFrom(...OBJECT_KEYS) },
);

const tagsArb = (min: number) =>
  fc.dictionary(tagKey, name, { minKeys: min, maxKeys: 8 }).filter((t) => Object.keys(t).length >= min);

/** Canonical valid points: what parsing produces (bigints only beyond 2^53). */
const point: fc.Arbitrary<DataPoint> = fc.record({
  metric: name,
  timestamp: fc.oneof(
    fc.integer({ min: 1, max: 0xffffffff }),
    fc.integer({ min: 0x100000000, max: MAX_MILLIS }),
  ),
  value,
  tags: tagsArb(1),
});

// Lines that are often valid and often almost valid, so both readers get exercised.
const messyName = fc.oneof(
  { weight: 6, arbitrary: name },
  { weight: 1, arbitrary: fc.constantFrom('', 'a!b', 'a=b', 'x\ty', '😀', '\u00a0', 'a b', '©') },
);
const tsText = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: MAX_MILLIS }).map(String) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '0',
      '-1',
      '+5',
      '4294967296',
      '10000000000000',
      '1356998400.123',
      '1356998400.5',
      '1.2.3',
      '.123',
      '',
      'abc',
      '0001356998400',
      '9223372036854775808',
      '1356998400.',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);
const valueText = fc.oneof(
  { weight: 4, arbitrary: value.map(formatValue) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '-0',
      '+5',
      '007',
      '.5',
      '5.',
      '1e3',
      '1E-3',
      '1e999',
      'NaN',
      'Infinity',
      '-',
      '.',
      '1.2.3',
      '1.5f',
      '0x10',
      '9223372036854775808',
      '00000000000000000001',
      '12345678901234567',
      '-12345678901234567',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);
const tagWord = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.constantFrom('host', 'dc', 'a', 'b', 'zz', '__proto__', 'constructor'), messyName)
      .map(([k, v]) => k + '=' + v),
  },
  { weight: 1, arbitrary: fc.constantFrom('', 'host', '=a', 'a=', 'a=b=c', '=') },
);
const sep = fc.constantFrom(' ', ' ', ' ', ' ', ' ', '  ', '\t');
const randomLine = fc
  .tuple(
    messyName,
    tsText,
    valueText,
    fc.array(tagWord, { maxLength: 10 }),
    fc.array(sep, { minLength: 14, maxLength: 14 }),
  )
  .map(([m, t, v, tags, seps]) => {
    const words = [m, t, v, ...tags];
    let line = '';
    words.forEach((w, i) => {
      line += (i > 0 ? seps[i % seps.length] : '') + w;
    });
    return line;
  });

// A valid line with one word swapped for a messy one, or a separator doubled or changed.
const mutatedLine = fc
  .tuple(
    point,
    fc.nat(),
    fc.oneof(messyName, tsText, valueText, tagWord),
    fc.constantFrom('word', 'sep', 'tail'),
    sep,
  )
  .map(([p, at, word, how, s]) => {
    const words = formatCollectorLine(p).split(' ');
    const i = at % words.length;
    if (how === 'word') words[i] = word;
    else if (how === 'tail') words.push(word);
    else words[i] = s + words[i];
    return words.join(' ');
  });

const messyLine = fc.oneof(point.map(formatCollectorLine), mutatedLine, randomLine);

describe('property: format then parse is the identity on valid points', () => {
  it('put lines (bigint values, millisecond timestamps, unicode names included)', () => {
    fc.assert(
      fc.property(point, (p) => {
        const r = parsePutLine(formatPutLine(p));
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.point).toEqual({ ...p, valueText: formatValue(p.value) });
      }),
      { numRuns: 3000 },
    );
  });

  it('collector lines', () => {
    fc.assert(
      fc.property(point, (p) => {
        const r = parseCollectorLine(formatCollectorLine(p));
        expect(r.ok && r.point).toEqual({ ...p, valueText: formatValue(p.value) });
      }),
      { numRuns: 1000 },
    );
  });

  it('a parsed line formats back to the same text', () => {
    fc.assert(
      fc.property(point, (p) => {
        const line = formatPutLine(p);
        const r = parsePutLine(line);
        expect(r.ok && formatPutLine(r.point)).toBe(line);
      }),
      { numRuns: 1000 },
    );
  });

  it('the value text wins over the value when formatting', () => {
    fc.assert(
      fc.property(point, fc.constantFrom('1.50', '1e3', '007'), (p, text) => {
        expect(formatPutLine({ ...p, valueText: text }).split(' ')[3]).toBe(text);
      }),
    );
  });
});

describe('property: the fast scanner and the rule-by-rule reader agree', () => {
  const opts = resolveOptions(undefined);
  it('on put lines', () => {
    fc.assert(
      fc.property(messyLine, (rest) => {
        const line = 'put ' + rest;
        expect(parsePutLine(line)).toEqual(applyPutRules(splitWords(line), opts));
      }),
      { numRuns: 8000 },
    );
  });

  it('on collector lines', () => {
    fc.assert(
      fc.property(messyLine, (line) => {
        expect(parseCollectorLine(line)).toEqual(applyPutRules(['put', ...splitCollectorWords(line)], opts));
      }),
      { numRuns: 5000 },
    );
  });

  it('with options (tagsOptional, maxTags 3, extra characters)', () => {
    const options = { tagsOptional: true, maxTags: 3, extraChars: '!\u00a0' };
    const resolved = resolveOptions(options);
    fc.assert(
      fc.property(messyLine, (rest) => {
        const line = 'put ' + rest;
        expect(parsePutLine(line, options)).toEqual(applyPutRules(splitWords(line), resolved));
      }),
      { numRuns: 5000 },
    );
  });

  it('the scanner really takes the common case (so the agreement above is not vacuous)', () => {
    fc.assert(
      fc.property(point, (p) => {
        const line = formatPutLine(p);
        expect(scan(line, 4, line.length, opts, false)).toEqual({ ...p, valueText: formatValue(p.value) });
      }),
      { numRuns: 2000 },
    );
    const lines = fc.sample(messyLine, { numRuns: 2000, seed: 42 }).map((l) => 'put ' + l);
    const accepted = lines.filter((l) => parsePutLine(l).ok).length;
    const refused = lines.length - accepted;
    expect(accepted).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(200);
  });

  it('with blanks and "=" among the extra characters (they still separate)', () => {
    const options = { extraChars: '\t =!' };
    const resolved = resolveOptions(options);
    fc.assert(
      fc.property(messyLine, (rest) => {
        expect(parsePutLine('put ' + rest, options)).toEqual(
          applyPutRules(splitWords('put ' + rest), resolved),
        );
        expect(parseCollectorLine(rest, options)).toEqual(
          applyPutRules(['put', ...splitCollectorWords(rest)], resolved),
        );
      }),
      { numRuns: 5000 },
    );
  });

  it('a collector line with single spaces reads like the same put line', () => {
    fc.assert(
      fc.property(point, (p) => {
        const line = formatCollectorLine(p);
        expect(parseCollectorLine(line)).toEqual(parsePutLine('put ' + line));
      }),
    );
  });
});

describe('property: parsing never throws', () => {
  it('on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        parsePutLine(s);
        parsePutLine('put ' + s);
        parseCollectorLine(s);
      }),
      { numRuns: 5000 },
    );
  });

  it('on arbitrary bytes decoded as UTF-8 or Latin-1', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const buf = Buffer.from(bytes);
        for (const s of [buf.toString('utf8'), buf.toString('latin1')]) {
          expect(typeof parsePutLine('put ' + s).ok).toBe('boolean');
          expect(typeof parseCollectorLine(s).ok).toBe('boolean');
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('on messy but structured lines, with a well-formed error when refused', () => {
    fc.assert(
      fc.property(messyLine, (rest) => {
        const r = parsePutLine('put ' + rest);
        if (!r.ok) {
          expect(r.error.message.length).toBeGreaterThan(0);
          expect(typeof r.error.code).toBe('string');
        }
      }),
      { numRuns: 5000 },
    );
  });
});
