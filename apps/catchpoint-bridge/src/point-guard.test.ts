import { validatePoint } from '@otsdb/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PointGuard } from './point-guard.js';

describe('PointGuard', () => {
  it('agrees with validatePoint, whatever was checked before', () => {
    const plain = [{ a: 'b' }, { a: 'b c' }, {}, { a: '1', b: '2', c: '3' }];
    // Frozen ones are trusted whatever the timestamp; plain ones only for the one they came with.
    const tagObjects = [...plain, ...plain.map((t) => Object.freeze({ ...t }))];
    const point = fc.record({
      metric: fc.constantFrom('m.ok', 'm ok', 'catchpoint.timing.total', ''),
      timestamp: fc.constantFrom(1714651489609, 1714651489610, 0, -5, 1.5, 1714651489, 10_000_000_000_000),
      value: fc.constantFrom(1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60),
      tags: fc.constantFrom(...tagObjects),
    });
    fc.assert(
      fc.property(fc.array(point, { maxLength: 40 }), fc.integer({ min: 1, max: 3 }), (points, maxTags) => {
        const guard = new PointGuard({ maxTags });
        for (const p of points) {
          expect(guard.check(p)?.code).toBe(validatePoint(p, { maxTags })?.code);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('checks a plain tags object again when it changed since a point of another time', () => {
    const guard = new PointGuard();
    const tags: Record<string, string> = { a: 'b' };
    expect(guard.check({ metric: 'm', timestamp: 1000, value: 1, tags })).toBeUndefined();
    tags['a'] = 'b c';
    expect(guard.check({ metric: 'm', timestamp: 2000, value: 1, tags })?.code).toBe('invalid_tag');
  });
});
