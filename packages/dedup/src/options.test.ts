import { describe, expect, it } from 'vitest';
import { Dedup } from './dedup.js';
import { DedupError } from './errors.js';
import type { DedupOptions } from './options.js';
import { resolveOptions } from './options.js';

describe('resolveOptions', () => {
  it('has tcollector defaults, in milliseconds', () => {
    const resolved = resolveOptions();
    expect(resolved).toMatchObject({
      dedupMs: 300_000,
      evictMs: 6_000_000,
      maxSeries: 1_000_000,
      outOfOrder: 'drop',
      onlyZero: false,
    });
    expect(resolved.clock).toBe(Date.now);
  });

  it.each<[DedupOptions, string]>([
    [{ dedupInterval: -1 }, 'dedupInterval: -1'],
    [{ dedupInterval: Number.NaN }, 'dedupInterval: NaN'],
    [{ dedupInterval: Number.POSITIVE_INFINITY }, 'dedupInterval: Infinity'],
    [{ dedupInterval: '300' as unknown as number }, 'dedupInterval: 300'],
    [{ evictInterval: 0, dedupInterval: 0 }, 'evictInterval: 0'],
    [{ evictInterval: Number.NaN }, 'evictInterval: NaN'],
    [{ evictInterval: 300 }, 'evictInterval: 300 must be greater than dedupInterval (300)'],
    [{ dedupInterval: 60, evictInterval: 30 }, 'evictInterval: 30 must be greater than dedupInterval (60)'],
    [{ maxSeries: 0 }, 'maxSeries: 0'],
    [{ maxSeries: 1.5 }, 'maxSeries: 1.5'],
    [{ maxSeries: 2 ** 24 + 1 }, 'maxSeries: 16777217 is not allowed; use an integer from 1 to 16777216'],
    [{ outOfOrder: 'keep' as 'drop' }, "outOfOrder: keep is not allowed; use 'drop' or 'pass'"],
    [{ onlyZero: 1 as unknown as boolean }, 'onlyZero: 1'],
    [{ clock: 5 as unknown as () => number }, 'clock: must be a function'],
  ])('rejects %o', (options, message) => {
    expect(() => new Dedup(options)).toThrow(DedupError);
    expect(() => resolveOptions(options)).toThrow(message);
    try {
      resolveOptions(options);
    } catch (error) {
      expect((error as DedupError).code).toBe('invalid_option');
    }
  });

  it.each<DedupOptions>([
    { dedupInterval: 0, evictInterval: 1 },
    { dedupInterval: 0.5, evictInterval: 0.6 },
    { evictInterval: Number.POSITIVE_INFINITY },
    { maxSeries: 1 },
    { maxSeries: 2 ** 24 },
    { outOfOrder: 'pass', onlyZero: true, clock: () => 0 },
  ])('accepts %o', (options) => {
    expect(() => new Dedup(options)).not.toThrow();
  });
});
