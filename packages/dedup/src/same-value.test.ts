import type { MetricValue } from '@otsdb/protocol';
import { describe, expect, it } from 'vitest';
import { isZero, sameValue } from './same-value.js';

describe('sameValue', () => {
  it.each<[MetricValue, MetricValue, boolean]>([
    [1, 1, true],
    [1, 1.0, true],
    [1, 2, false],
    [0, -0, true],
    [Number.NaN, Number.NaN, true],
    [Number.NaN, 0, false],
    [1n, 1, true],
    [1, 1n, true],
    [1n, 1n, true],
    [1.5, 1n, false],
    [Number.NaN, 0n, false],
    [Number.POSITIVE_INFINITY, 1n, false],
    [2 ** 53, 2n ** 53n, true],
    [2 ** 53, 2n ** 53n + 1n, false],
    [2n ** 63n - 1n, 2n ** 63n - 2n, false],
    [1e300, 10n ** 300n, false], // 1e300 is not exactly 10^300 as a double
  ])('%s vs %s -> %s', (a, b, expected) => {
    expect(sameValue(a, b)).toBe(expected);
    expect(sameValue(b, a)).toBe(expected);
  });
});

describe('isZero', () => {
  it.each<[MetricValue, boolean]>([
    [0, true],
    [-0, true],
    [0n, true],
    [1, false],
    [1n, false],
    [Number.NaN, false],
  ])('%s -> %s', (value, expected) => {
    expect(isZero(value)).toBe(expected);
  });
});
