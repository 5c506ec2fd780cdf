import { describe, expect, it } from 'vitest';
import { integerValue, parseDecimal, parseInteger, scaleInteger } from './kernel-number.js';

describe('kernel numbers as point values', () => {
  it.each<[string, unknown]>([
    ['0', 0],
    ['123', 123],
    ['-1', -1],
    ['9007199254740991', 9007199254740991],
    ['9007199254740992', 9007199254740992n],
    ['9223372036854775807', 9223372036854775807n],
    ['9223372036854775808', undefined],
    ['-9223372036854775808', -9223372036854775808n],
    ['18446744073709551615', undefined],
    ['123456789012345678901', undefined],
    ['1.5', undefined],
    ['', undefined],
    [' 1', undefined],
    ['0x1f', undefined],
    ['１２', undefined],
  ])('parseInteger(%j) = %s', (text, expected) => {
    expect(parseInteger(text)).toBe(expected);
  });

  it('scales exactly and drops what leaves int64', () => {
    expect(scaleInteger('34359738367', 1024n)).toBe(35184372087808);
    expect(scaleInteger('9007199254740991', 1024n)).toBe(9223372036854774784n);
    expect(scaleInteger('9007199254740992', 1024n)).toBeUndefined();
    expect(scaleInteger('x', 1024n)).toBeUndefined();
  });

  it.each<[string, number | undefined]>([
    ['0.48', 0.48],
    ['1298.09', 1298.09],
    ['7', 7],
    ['-0.5', -0.5],
    ['1e5', undefined],
    ['NaN', undefined],
    ['Infinity', undefined],
    ['.5', undefined],
    ['1.', undefined],
  ])('parseDecimal(%j) = %s', (text, expected) => {
    expect(parseDecimal(text)).toBe(expected);
  });

  it('integerValue keeps safe integers as numbers', () => {
    expect(integerValue(5n)).toBe(5);
    expect(integerValue(-(2n ** 53n))).toBe(-(2n ** 53n));
    expect(integerValue(2n ** 63n)).toBeUndefined();
  });
});
