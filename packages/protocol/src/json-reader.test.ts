import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonReader, JsonSyntaxError, MAX_JSON_DEPTH } from './json-reader.js';

function skipsWhole(text: string): boolean {
  try {
    const r = new JsonReader(text);
    r.skipValue();
    return r.atEnd();
  } catch (e) {
    if (e instanceof JsonSyntaxError) return false;
    throw e;
  }
}

function jsonParses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('JsonReader', () => {
  it('keeps number text exactly', () => {
    for (const n of [
      '0',
      '-0',
      '42',
      '9007199254740993',
      '-9223372036854775809',
      '1.50',
      '1e3',
      '1E-3',
      '-0.0e+00',
    ]) {
      expect(new JsonReader(n).readNumberText()).toBe(n);
    }
  });

  it("accepts Jackson's non-numeric tokens and nothing like them", () => {
    for (const t of ['NaN', 'Infinity', '+Infinity', '-Infinity', '+INF', '-INF']) {
      expect(new JsonReader(t).readNumberText()).toBe(t);
    }
    for (const t of ['Nan', 'INF', '+inf', 'nan', '+5', '01', '.5', '5.', '1e', '-', '--1']) {
      expect(() => new JsonReader(t).readNumberText(), t).toThrow(JsonSyntaxError);
    }
  });

  it('reads strings with every escape', () => {
    const r = new JsonReader('"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00"');
    expect(r.readString()).toBe('a"b\\c/d\b\f\n\r\té😀');
  });

  it('refuses raw control characters, bad escapes and unterminated strings', () => {
    for (const t of ['"a\nb"', '"\\x"', '"\\u12g4"', '"abc', '"abc\\']) {
      expect(() => new JsonReader(t).readString(), JSON.stringify(t)).toThrow(JsonSyntaxError);
    }
  });

  it('limits nesting instead of overflowing the stack', () => {
    const deep = '['.repeat(MAX_JSON_DEPTH + 5) + ']'.repeat(MAX_JSON_DEPTH + 5);
    expect(skipsWhole(deep)).toBe(false);
    const ok = '['.repeat(100) + ']'.repeat(100);
    expect(skipsWhole(ok)).toBe(true);
  });

  it('readKey returns the same text as readString, escapes or not', () => {
    for (const t of ['"host"', '"h\\u006fst"', '"中"', '""']) {
      expect(new JsonReader(t).readKey()).toBe(new JsonReader(t).readString());
    }
  });
});

describe('JsonReader properties', () => {
  it('accepts everything JSON.stringify writes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(skipsWhole(JSON.stringify(v))).toBe(true);
        expect(skipsWhole(JSON.stringify(v, null, 2))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads back any string exactly', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(new JsonReader(JSON.stringify(s)).readString()).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with JSON.parse on arbitrary near-JSON text (except the non-numeric tokens)', () => {
    const piece = fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"a"',
      '"',
      '1',
      '-',
      '0',
      '.',
      'e',
      'true',
      'null',
      ' ',
      '\n',
      '"\\u0041"',
      '\\',
      'x',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 25 }), (parts) => {
        const text = parts.join('');
        expect(skipsWhole(text)).toBe(jsonParses(text));
      }),
      { numRuns: 8000 },
    );
  });
});
