import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './retry-after.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');

  it.each([
    ['0', 0],
    ['3', 3000],
    [' 120 ', 120_000],
    [['7', '9'], 7000],
    ['Wed, 01 May 2024 12:00:30 GMT', 30_000],
    ['Wed, 01 May 2024 11:00:00 GMT', 0],
  ] as const)('%o -> %o ms', (header, expected) => {
    expect(parseRetryAfter(header as string | string[], now)).toBe(expected);
  });

  it.each([undefined, '', '-1', '1.5', 'soon', '12abc', '99999999999999999999'])(
    '%o -> undefined',
    (header) => {
      expect(parseRetryAfter(header, now)).toBeUndefined();
    },
  );
});
