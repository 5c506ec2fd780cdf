import fc from 'fast-check';
import type { DataPoint } from '../data-point.js';
import { formatCollectorLine } from '../format.js';
import { MAX_MILLIS } from '../timestamp.js';
import { formatValue } from '../value.js';

/*
 * Put lines for property tests: valid points, and lines that are often valid and often almost
 * valid (a word swapped for a messy one, a separator doubled or changed), so that every reader
 * of put lines gets exercised on both sides of each rule.
 */

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
export const point: fc.Arbitrary<DataPoint> = fc.record({
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

export const messyLine = fc.oneof(point.map(formatCollectorLine), mutatedLine, randomLine);
