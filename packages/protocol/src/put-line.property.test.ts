import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messyLine, point } from './__fixtures__/line-arbitraries.js';
import { formatCollectorLine, formatPutLine } from './format.js';
import { resolveOptions } from './options.js';
import { parseCollectorLine, parsePutLine, scan } from './put-line.js';
import { applyPutRules, splitCollectorWords, splitWords } from './put-line-rules.js';
import { formatValue } from './value.js';

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
