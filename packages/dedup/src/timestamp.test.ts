import { describe, expect, it } from 'vitest';
import { toMillis } from './timestamp.js';

describe('toMillis', () => {
  it.each([
    [0, 0],
    [1_700_000_000, 1_700_000_000_000],
    [4_294_967_295, 4_294_967_295_000], // largest value that fits in 32 bits: seconds
    [4_294_967_296, 4_294_967_296], // any higher bit set: milliseconds
    [1_700_000_000_123, 1_700_000_000_123],
  ])('%d -> %d', (input, expected) => {
    expect(toMillis(input)).toBe(expected);
  });
});
