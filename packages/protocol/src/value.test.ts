import { describe, expect, it } from 'vitest';
import { formatValue, isDecimalFloat, javaValueBytes, looksLikeInteger, parseValueText } from './value.js';

describe('looksLikeInteger and isDecimalFloat', () => {
  it.each([
    ['42', true],
    ['-42', true],
    ['NaN', true],
    ['0x1F', true],
    ['1.5', false],
    ['1e3', false],
    ['1E3', false],
  ])('looksLikeInteger(%j) = %s', (s, v) => {
    expect(looksLikeInteger(s)).toBe(v);
  });

  it.each([
    ['1.5', true],
    ['.5', true],
    ['5.', true],
    ['-0.5', true],
    ['+0.5', true],
    ['1e3', true],
    ['1E-3', true],
    ['1.5e+10', true],
    ['.', false],
    ['', false],
    ['-', false],
    ['e5', false],
    ['1e', false],
    ['1e+', false],
    ['1.2.3', false],
    ['1.5f', false],
    ['1.5d', false],
    ['0x1.8p1', false],
    [' 1.5', false],
    ['1.5 ', false],
    ['Infinity', false],
  ])('isDecimalFloat(%j) = %s', (s, v) => {
    expect(isDecimalFloat(s)).toBe(v);
  });
});

describe('parseValueText', () => {
  it.each([
    ['42', 42, false],
    ['-42', -42, false],
    ['007', 7, false],
    ['9007199254740991', 9007199254740991, false],
    ['9007199254740992', 9007199254740992n, false],
    ['-9223372036854775808', -9223372036854775808n, false],
    ['1.5', 1.5, true],
    ['1e999', Number.POSITIVE_INFINITY, true],
    ['1e-400', 0, true],
  ])('%j', (text, value, float) => {
    expect(parseValueText(text)).toEqual({ ok: true, value, float });
  });

  it.each([
    ['abc', "Invalid character 'a' in abc"],
    ['9223372036854775808', 'Overflow in 9223372036854775808'],
    ['1.2.3', 'For input string: "1.2.3"'],
  ])("%j is refused with Java's message", (text, message) => {
    const r = parseValueText(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toBe(message);
      expect(r.detail).toContain(JSON.stringify(text));
    }
  });
});

describe('formatValue', () => {
  it.each([
    [42, '42'],
    [-42, '-42'],
    [0, '0'],
    [-0, '0'],
    [1.5, '1.5'],
    [0.1, '0.1'],
    [1e-7, '1e-7'],
    [1e21, '1e+21'],
    [1e19, '1e+19'],
    [2 ** 53 + 2, '9.007199254740994e+15'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
    [9007199254740993n, '9007199254740993'],
    [-9223372036854775808n, '-9223372036854775808'],
  ])('%s -> %j', (v, text) => {
    expect(formatValue(v)).toBe(text);
  });

  it('an integral number beyond 2^53 is written so a TSD reads it as a float, never as a too-long integer', () => {
    const text = formatValue(1e19);
    expect(looksLikeInteger(text)).toBe(false);
    expect(Number(text)).toBe(1e19);
  });
});

describe('javaValueBytes (the "value=[...]/flags" part of a TSD message, checked against Java)', () => {
  it.each([
    [42, false, '[42]/0'],
    [-1, false, '[-1]/0'],
    [300, false, '[1, 44]/1'],
    [70000, false, '[0, 1, 17, 112]/3'],
    [2 ** 40, false, '[0, 0, 1, 0, 0, 0, 0, 0]/7'],
    [9223372036854775807n, false, '[127, -1, -1, -1, -1, -1, -1, -1]/7'],
    [1.5, true, '[63, -64, 0, 0]/11'],
    [0.1, true, '[63, -71, -103, -103, -103, -103, -103, -102]/15'],
  ] as const)('%s', (value, float, text) => {
    expect(javaValueBytes(value, float)).toBe(text);
  });
});
