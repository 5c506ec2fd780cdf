import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DataPoint } from './data-point.js';
import { telnetPutError } from './errors.js';
import { formatPutLine } from './format.js';
import { parsePutLine } from './put-line.js';
import { validatePoint } from './validate-point.js';

const ok: DataPoint = { metric: 'sys.cpu.user', timestamp: 1356998400, value: 42, tags: { host: 'web01' } };

describe('validatePoint', () => {
  it.each([
    ['a plain point', ok],
    ['a float', { ...ok, value: 0.5 }],
    ['a bigint beyond 2^53', { ...ok, value: 9223372036854775807n }],
    ['a small bigint', { ...ok, value: 5n }],
    ['milliseconds', { ...ok, timestamp: 1356998400123 }],
    ['the largest timestamp', { ...ok, timestamp: 9999999999999 }],
    ['8 tags', { ...ok, tags: { a: '1', b: '2', c: '3', d: '4', e: '5', f: '6', g: '7', h: '8' } }],
    ['unicode letters', { ...ok, metric: 'héllo', tags: { Жк: '中' } }],
    ['a matching valueText', { ...ok, value: 1.5, valueText: '1.50' }],
    ['a valueText for a small bigint', { ...ok, value: 5n, valueText: '5' }],
  ])('accepts %s', (_name, point) => {
    expect(validatePoint(point as DataPoint)).toBeUndefined();
  });

  it.each([
    ['empty metric', { ...ok, metric: '' }, 'invalid_metric', 'put: illegal argument: empty metric name'],
    [
      'zero timestamp',
      { ...ok, timestamp: 0 },
      'invalid_timestamp',
      'put: illegal argument: invalid timestamp: 0',
    ],
    [
      'fractional timestamp',
      { ...ok, timestamp: 1.5 },
      'invalid_timestamp',
      'put: illegal argument: invalid timestamp: 1.5',
    ],
    [
      '14-digit timestamp',
      { ...ok, timestamp: 10000000000000 },
      'invalid_timestamp',
      'put: illegal argument: bad timestamp=10000000000000 when trying to add value=[42]/0 to metric=sys.cpu.user, tags={host=web01}',
    ],
    [
      'NaN',
      { ...ok, value: Number.NaN },
      'invalid_value',
      'put: illegal argument: value is NaN or Infinite: NaN for metric=sys.cpu.user timestamp=1356998400',
    ],
    [
      'Infinity',
      { ...ok, value: Number.POSITIVE_INFINITY },
      'invalid_value',
      'put: illegal argument: value is NaN or Infinite: Infinity for metric=sys.cpu.user timestamp=1356998400',
    ],
    [
      'a bigint beyond 64 bits',
      { ...ok, value: 2n ** 63n },
      'invalid_value',
      'put: invalid value: Overflow in 9223372036854775808',
    ],
    [
      'a stale valueText',
      { ...ok, value: 43, valueText: '42' },
      'invalid_value',
      'put: invalid value: For input string: "42"',
    ],
    [
      'an unreadable valueText',
      { ...ok, valueText: 'abc' },
      'invalid_value',
      "put: invalid value: Invalid character 'a' in abc",
    ],
    [
      'no tags',
      { ...ok, tags: {} },
      'missing_tags',
      'put: illegal argument: Need at least one tag (metric=sys.cpu.user, tags={})',
    ],
    [
      '9 tags',
      { ...ok, tags: { a: '1', b: '2', c: '3', d: '4', e: '5', f: '6', g: '7', h: '8', i: '9' } },
      'too_many_tags',
      'put: illegal argument: Too many tags: 9 maximum allowed: 8, tags: {a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8, i=9}',
    ],
    [
      'a bad metric',
      { ...ok, metric: 'sys cpu' },
      'invalid_metric',
      'put: illegal argument: Invalid metric name ("sys cpu"): illegal character:  ',
    ],
    [
      'a bad tag key',
      { ...ok, tags: { 'ho st': 'a' } },
      'invalid_tag',
      'put: illegal argument: Invalid tag name with value [a] ("ho st"): illegal character:  ',
    ],
    [
      'an empty tag value',
      { ...ok, tags: { host: '' } },
      'invalid_tag',
      'put: illegal argument: Invalid tag value with key [host]: empty string',
    ],
    [
      'a tag value that is not a string',
      { ...ok, tags: { host: 5 } },
      'invalid_tag',
      'put: illegal argument: Invalid tag value with key [host]: null',
    ],
  ])('refuses %s', (_name, point, code, wire) => {
    const e = validatePoint(point as unknown as DataPoint);
    expect(e?.code).toBe(code);
    expect(e && telnetPutError(e)).toBe(wire);
  });

  it('applies maxTags and tagsOptional', () => {
    expect(validatePoint({ ...ok, tags: {} }, { tagsOptional: true })).toBeUndefined();
    expect(validatePoint({ ...ok, tags: { a: '1', b: '2' } }, { maxTags: 1 })?.code).toBe('too_many_tags');
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.anything(), (thing) => {
        validatePoint(thing as DataPoint);
        validatePoint({
          ...ok,
          ...(typeof thing === 'object' && thing !== null ? thing : { value: thing }),
        } as DataPoint);
      }),
      { numRuns: 2000 },
    );
  });

  // Objects whose description would throw: no callable toString, a throwing toString or
  // Symbol.toPrimitive, a proxy whose every trap throws, throwing getters.
  const boom = () => {
    throw new Error('boom');
  };
  const hostile: unknown[] = [
    Object.create(null),
    { toString: null, valueOf: null },
    { toString: boom },
    { [Symbol.toPrimitive]: boom },
    Object.assign(() => 1, { toString: boom }),
    Symbol('s'),
    new Proxy(
      {},
      { get: boom, ownKeys: boom, getPrototypeOf: boom, has: boom, getOwnPropertyDescriptor: boom },
    ),
    Object.defineProperty({}, 'host', { get: boom, enumerable: true }),
  ];

  it.each(['metric', 'timestamp', 'value', 'tags', 'valueText'])(
    'returns an error for a hostile %s instead of throwing',
    (field) => {
      for (const thing of hostile) {
        const e = validatePoint({ ...ok, [field]: thing } as unknown as DataPoint);
        expect(e).toBeDefined();
        expect(typeof e?.message).toBe('string');
      }
    },
  );

  it('returns an error for a hostile point or tag value instead of throwing', () => {
    for (const thing of hostile) {
      expect(validatePoint(thing as DataPoint)?.code).toBeDefined();
      expect(validatePoint({ ...ok, tags: { host: thing } } as unknown as DataPoint)?.code).toBe(
        'invalid_tag',
      );
    }
    const getter = Object.defineProperty({ ...ok }, 'metric', { get: boom });
    expect(validatePoint(getter)).toEqual(expect.objectContaining({ code: 'invalid_line' }));
    expect(validatePoint(getter)?.message).toBe('not a datapoint: reading it threw boom');
    const e = validatePoint({ ...ok, metric: Object.create(null) });
    expect(e?.code).toBe('invalid_metric');
    expect(e?.detail).toBe('metric must be a non-empty string, got an object');
  });

  it('never throws for anything in any field (fast-check)', () => {
    const anything = fc.anything({
      withNullPrototype: true,
      withObjectString: true,
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withBigInt: true,
      withDate: true,
      withUnicodeString: true,
    });
    const field = fc.constantFrom('metric', 'timestamp', 'value', 'tags', 'valueText', 'point', 'tag');
    // Hostile values are picked inside the property: fast-check itself would trip over them.
    const pick = fc.nat({ max: hostile.length * 3 });
    fc.assert(
      fc.property(anything, pick, field, (generated, at, where) => {
        const t = at < hostile.length ? hostile[at] : generated;
        const point =
          where === 'point' ? t : where === 'tag' ? { ...ok, tags: { host: t } } : { ...ok, [where]: t };
        const e = validatePoint(point as DataPoint);
        if (e !== undefined) {
          expect(typeof e.code).toBe('string');
          expect(typeof e.message).toBe('string');
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with the put-line parser: a point is valid exactly when its line parses', () => {
    const name = fc.stringMatching(/^[a-z!é ]{0,4}$/);
    fc.assert(
      fc.property(
        name,
        fc.oneof(fc.integer({ min: -2, max: 3 }), fc.constant(10000000000000)),
        fc.oneof(fc.integer(), fc.double({ noNaN: false })),
        fc.dictionary(name, name, { maxKeys: 9 }),
        (metric, timestamp, value, tags) => {
          if (
            metric.includes(' ') ||
            Object.entries(tags).some(([k, v]) => k.includes(' ') || v.includes(' '))
          )
            return;
          if (metric === '' || Object.entries(tags).some(([k, v]) => k === '' || v === '')) return;
          if (Object.is(value, -0)) return;
          const point: DataPoint = { metric, timestamp, value, tags };
          const viaLine = parsePutLine(formatPutLine(point));
          const direct = validatePoint(point);
          expect(direct === undefined).toBe(viaLine.ok);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
