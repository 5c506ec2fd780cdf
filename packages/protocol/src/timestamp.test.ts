import { describe, expect, it } from 'vitest';
import { isValidTimestamp, toMillis } from './timestamp.js';

describe('toMillis (OpenTSDB: anything that fits in 32 bits is seconds)', () => {
  it.each([
    [1, 1000],
    [1356998400, 1356998400000],
    [4294967295, 4294967295000],
    [4294967296, 4294967296],
    [1356998400123, 1356998400123],
    [9999999999999, 9999999999999],
  ])('%d -> %d', (ts, ms) => {
    expect(toMillis(ts)).toBe(ms);
  });
});

describe('isValidTimestamp', () => {
  it.each([
    [1, true],
    [1356998400, true],
    [9999999999999, true],
    [0, false],
    [-1, false],
    [10000000000000, false],
    [1.5, false],
    [Number.NaN, false],
  ])('%d -> %s', (ts, valid) => {
    expect(isValidTimestamp(ts)).toBe(valid);
  });
});
