import { describe, expect, it } from 'vitest';
import { javaHashMapOrder, javaHashMapToString, javaStringHash } from './java-map.js';

describe('javaStringHash', () => {
  it.each([
    ['', 0],
    ['a', 97],
    ['Aa', 2112],
    ['BB', 2112],
    ['host', 3208616],
    ['success', -1867169789],
  ])('%j -> %d', (s, h) => {
    expect(javaStringHash(s)).toBe(h);
  });
});

// Expected orders were printed by java.util.HashMap on Java 17 (same algorithm since Java 8).
describe('javaHashMapOrder matches java.util.HashMap iteration', () => {
  it.each([
    [
      ['success', 'failed', 'errors'],
      ['success', 'failed', 'errors'],
    ],
    [
      ['success', 'failed', 'errors', 'timeouts'],
      ['success', 'timeouts', 'failed', 'errors'],
    ],
    [
      ['error', 'datapoint'],
      ['datapoint', 'error'],
    ],
    [
      ['host', 'dc', 'cpu', 'type', 'env'],
      ['host', 'cpu', 'type', 'env', 'dc'],
    ],
    [
      ['zz', 'aa', 'mm', 'bb'],
      ['zz', 'aa', 'mm', 'bb'],
    ],
    [
      ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9', 'k10', 'k11', 'k12', 'k13', 'k14'],
      ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k11', 'k6', 'k10', 'k7', 'k13', 'k8', 'k12', 'k9', 'k14'],
    ],
    [
      ['Aa', 'BB', 'x'],
      ['Aa', 'BB', 'x'],
    ],
    [
      [
        'AaAaAaAa',
        'AaAaAaBB',
        'AaAaBBAa',
        'AaAaBBBB',
        'AaBBAaAa',
        'AaBBAaBB',
        'AaBBBBAa',
        'AaBBBBBB',
        'BBAaAaAa',
        'BBAaAaBB',
        'q',
        'r',
      ],
      [
        'AaAaAaAa',
        'AaAaAaBB',
        'AaAaBBAa',
        'AaAaBBBB',
        'AaBBAaAa',
        'AaBBAaBB',
        'AaBBBBAa',
        'AaBBBBBB',
        'BBAaAaAa',
        'BBAaAaBB',
        'q',
        'r',
      ],
    ],
    [
      ['host', 'Жк', '中', 'é'],
      ['Жк', 'host', 'é', '中'],
    ],
  ])('%j', (keys, order) => {
    expect(javaHashMapOrder(keys)).toEqual(order);
  });

  it('formats like AbstractMap.toString, later values replacing earlier ones in place', () => {
    expect(javaHashMapToString([])).toBe('{}');
    expect(
      javaHashMapToString([
        ['host', 'a'],
        ['dc', 'x'],
        ['host', 'b'],
      ]),
    ).toBe('{host=b, dc=x}');
    expect(javaHashMapToString([['k', null]])).toBe('{k=null}');
  });
});
