import { describe, expect, it } from 'vitest';
import { parseJavaLong } from './java-long.js';

describe("parseJavaLong (OpenTSDB's Tags.parseLong)", () => {
  it.each([
    ['0', 0n],
    ['-0', 0n],
    ['+7', 7n],
    ['007', 7n],
    ['9223372036854775807', 9223372036854775807n],
    ['+9223372036854775807', 9223372036854775807n],
    ['-9223372036854775808', -9223372036854775808n],
    ['0000000000000000001', 1n],
  ])('%j -> %s', (s, v) => {
    expect(parseJavaLong(s)).toEqual({ ok: true, value: v });
  });

  it.each([
    ['', 'Empty string'],
    ['-', 'Just a sign, no value: -'],
    ['+', 'Just a sign, no value: +'],
    ['9223372036854775808', 'Overflow in 9223372036854775808'],
    ['+9223372036854775808', 'Overflow in +9223372036854775808'],
    ['-9223372036854775809', 'Overflow in -9223372036854775809'],
    ['9999999999999999999', 'Overflow in 9999999999999999999'],
    ['00000000000000000001', 'Value too long: 00000000000000000001'],
    ['-00000000000000000001', 'Value too long: -00000000000000000001'],
    ['12a', "Invalid character 'a' in 12a"],
    ['+-5', "Invalid character '-' in +-5"],
    [' 5', "Invalid character ' ' in  5"],
    ['1.5', "Invalid character '.' in 1.5"],
  ])('%j -> %s', (s, message) => {
    expect(parseJavaLong(s)).toEqual({ ok: false, message });
  });
});
