import { type DataPoint, parsePutLine, validatePoint } from '@otsdb/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonEntryWriter, TelnetLineWriter, writeInteger, writeShortDecimal } from './entry-writer.js';

function written(writer: { write: TelnetLineWriter['write'] }, point: DataPoint, host?: string): string {
  const buf = Buffer.alloc(4096);
  const end = writer.write(point, host, buf, 0, buf.length);
  expect(end).toBeGreaterThan(0);
  return buf.subarray(0, end).toString('utf8');
}

const point = (p: Partial<DataPoint>): DataPoint => ({
  metric: 'sys.cpu',
  timestamp: 1_700_000_000,
  value: 1,
  tags: { a: 'b' },
  ...p,
});

const OBJECT_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

/** Tags as JSON.parse builds them: `__proto__` is an own key there, never a prototype change. */
const tagsFromJson = (json: string): DataPoint['tags'] => JSON.parse(json);

describe('tag keys named like Object.prototype members, and a polluted Object.prototype', () => {
  it.each(OBJECT_KEYS)('writes %s as an ordinary key, in telnet and JSON', (key) => {
    const tags = tagsFromJson(`{"${key}":"x","a":"b"}`);
    expect(written(new TelnetLineWriter('as-is', ''), point({ tags }))).toBe(
      `put sys.cpu 1700000000 1 ${key}=x a=b\n`,
    );
    const text = written(new JsonEntryWriter(), point({ tags }), 'h');
    expect(Object.entries(JSON.parse(text.slice(0, -1)).tags)).toEqual([
      [key, 'x'],
      ['a', 'b'],
      ['host', 'h'],
    ]);
  });

  it('writes only own tags when Object.prototype has an enumerable property', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.injected = 'x\nput evil 1 1 a=b';
    try {
      expect(written(new TelnetLineWriter('as-is', ''), point({}))).toBe('put sys.cpu 1700000000 1 a=b\n');
      expect(written(new JsonEntryWriter(), point({}))).not.toContain('injected');
    } finally {
      delete proto.injected;
    }
  });
});

describe('TelnetLineWriter', () => {
  const asIs = new TelnetLineWriter('as-is', '');
  it.each<[Partial<DataPoint>, string | undefined, string]>([
    [{}, undefined, 'put sys.cpu 1700000000 1 a=b\n'],
    [{ value: -42 }, 'web1', 'put sys.cpu 1700000000 -42 a=b host=web1\n'],
    [{ value: 0.25, tags: { x: '1', y: '2' } }, undefined, 'put sys.cpu 1700000000 0.25 x=1 y=2\n'],
    [{ value: 2n ** 63n - 1n }, undefined, 'put sys.cpu 1700000000 9223372036854775807 a=b\n'],
    [{ value: 1e21 }, undefined, 'put sys.cpu 1700000000 1e+21 a=b\n'],
    [{ value: 1.5, valueText: '1.50' }, undefined, 'put sys.cpu 1700000000 1.50 a=b\n'],
    [{ timestamp: 1_700_000_000_123 }, undefined, 'put sys.cpu 1700000000123 1 a=b\n'],
    [{ tags: { city: 'Zürich' } }, undefined, 'put sys.cpu 1700000000 1 city=Zürich\n'],
    [{ tags: {} }, 'h', 'put sys.cpu 1700000000 1 host=h\n'],
  ])('%o host=%s', (patch, host, line) => {
    expect(written(asIs, point(patch), host)).toBe(line);
  });

  it('writes ms timestamps as seconds or sec.mmm when asked', () => {
    const ms = point({ timestamp: 1_700_000_000_045 });
    expect(written(new TelnetLineWriter('seconds', ''), ms)).toBe('put sys.cpu 1700000000 1 a=b\n');
    expect(written(new TelnetLineWriter('fractional', ''), ms)).toBe('put sys.cpu 1700000000.045 1 a=b\n');
    expect(written(new TelnetLineWriter('fractional', ''), point({}))).toBe('put sys.cpu 1700000000 1 a=b\n');
  });

  it('puts the credential suffix before the newline', () => {
    expect(written(new TelnetLineWriter('as-is', ' user=u password=p'), point({}), 'h')).toBe(
      'put sys.cpu 1700000000 1 a=b host=h user=u password=p\n',
    );
  });

  it('says when the room is too small, at every length', () => {
    const line = 'put sys.cpu 1700000000 1 a=b host=web1\n';
    for (let limit = 0; limit < line.length; limit++) {
      expect(asIs.write(point({}), 'web1', Buffer.alloc(100), 0, limit)).toBe(-1);
    }
    expect(asIs.write(point({}), 'web1', Buffer.alloc(100), 0, line.length)).toBe(line.length);
  });

  it('round-trips through the protocol parser', () => {
    // Names Object.prototype defines are ordinary tag keys, on the way out and back in.
    const name = fc.oneof(
      { weight: 4, arbitrary: fc.stringMatching(/^[a-zA-Z0-9._/-]{1,20}$/) },
      { weight: 1, arbitrary: fc.constantFrom(...OBJECT_KEYS) },
    );
    fc.assert(
      fc.property(
        name,
        fc.integer({ min: 1, max: 9_999_999_999 }),
        fc.oneof(
          fc.integer(),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        ),
        fc.dictionary(name, name, { minKeys: 1, maxKeys: 5 }),
        (metric, timestamp, value, tags) => {
          const line = written(asIs, { metric, timestamp, value, tags }).slice(0, -1);
          const parsed = parsePutLine(line);
          if (!parsed.ok) return false;
          const v = parsed.point.value;
          return (
            parsed.point.metric === metric &&
            parsed.point.timestamp === timestamp &&
            (typeof value === 'bigint'
              ? BigInt(v) === value
              : Number(v) === value || (value === 0 && Number(v) === 0)) &&
            JSON.stringify(Object.entries(parsed.point.tags).sort()) ===
              JSON.stringify(Object.entries(tags).sort())
          );
        },
      ),
    );
  });
});

describe('JsonEntryWriter', () => {
  const json = new JsonEntryWriter();
  const parse = (text: string) => JSON.parse(`[${text.slice(0, -1)}]`)[0];

  it('writes one /api/put object followed by a comma', () => {
    const text = written(json, point({ value: 2.5 }), 'web1');
    expect(text.endsWith('},')).toBe(true);
    expect(parse(text)).toEqual({
      metric: 'sys.cpu',
      timestamp: 1_700_000_000,
      value: 2.5,
      tags: { a: 'b', host: 'web1' },
    });
    expect(parse(written(json, point({ tags: {} }), 'h'))).toMatchObject({ tags: { host: 'h' } });
  });

  it('encodes a frozen tags object once and copies it after; the output is the same', () => {
    const writer = new JsonEntryWriter();
    const shared = Object.freeze({ test_id: '42', node_id: '7', city: 'Zürich' });
    const texts = [1, 2, 3].map((v) => written(writer, point({ value: v, tags: shared }), 'h'));
    const fresh = [1, 2, 3].map((v) =>
      written(new JsonEntryWriter(), point({ value: v, tags: { ...shared } }), 'h'),
    );
    expect(texts).toEqual(fresh);
    // The non-ASCII city leaves the point to validatePoint each time, cached or not.
    expect(writer.plain).toBe(false);
    const ascii = Object.freeze({ a: 'b' });
    written(writer, point({ tags: ascii }));
    written(writer, point({ tags: ascii }));
    expect(writer.plain).toBe(true);
  });

  it('does not remember frozen tags with getters, nor tags it refused', () => {
    const writer = new JsonEntryWriter();
    let n = 0;
    const dynamic = Object.freeze(
      Object.defineProperty({}, 'k', { enumerable: true, get: () => `v${n++}` }) as Record<string, string>,
    );
    expect(parse(written(writer, point({ tags: dynamic })))).toMatchObject({ tags: { k: 'v0' } });
    expect(parse(written(writer, point({ tags: dynamic })))).toMatchObject({ tags: { k: 'v1' } });
    const bad = Object.freeze({ 'a b': 'c' });
    const buf = Buffer.alloc(256);
    expect(writer.write(point({ tags: bad }), undefined, buf, 0, 256)).toBeLessThan(0);
    expect(writer.write(point({ tags: bad }), undefined, buf, 0, 256)).toBeLessThan(0);
  });

  it('keeps exact integers and JSON-valid value text, escapes what JSON needs', () => {
    expect(written(json, point({ value: 2n ** 62n }))).toContain(`"value":${2n ** 62n}`);
    expect(written(json, point({ value: 1.5, valueText: '1.50' }))).toContain('"value":1.50');
    expect(written(json, point({ value: 0.5, valueText: '.5' }))).toContain('"value":0.5');
    // Quotes and backslashes only reach a name through extraChars (the writer checks names).
    const odd = point({ metric: 'a"b\\c', tags: { 'k"': 'Zürich' } });
    expect(parse(written(new JsonEntryWriter({ extraChars: '"\\' }), odd))).toMatchObject({
      metric: 'a"b\\c',
      tags: { 'k"': 'Zürich' },
    });
  });
});

describe('writeInteger', () => {
  it('writes any safe integer like String()', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        const buf = Buffer.alloc(32);
        const end = writeInteger(buf, 0, 32, n);
        return buf.subarray(0, end).toString() === String(n);
      }),
    );
  });
});

describe('checking while writing', () => {
  const telnet = new TelnetLineWriter('as-is', '');
  const json = new JsonEntryWriter();
  const write = (writer: TelnetLineWriter | JsonEntryWriter, p: unknown, host?: string) =>
    writer.write(p as DataPoint, host, Buffer.alloc(4096), 0, 4096);

  it.each<[string, Partial<DataPoint> | Record<string, unknown>]>([
    ['an empty metric', { metric: '' }],
    ['a metric with a space', { metric: 'sys cpu' }],
    ['a metric that is not a string', { metric: 5 }],
    ['a zero timestamp', { timestamp: 0 }],
    ['a fractional timestamp', { timestamp: 1.5 }],
    ['a 14-digit timestamp', { timestamp: 10_000_000_000_000 }],
    ['NaN', { value: Number.NaN }],
    ['Infinity', { value: Number.POSITIVE_INFINITY }],
    ['a string value', { value: '1' }],
    ['an empty value text', { valueText: '' }],
    ['tags that are not an object', { tags: 'a=b' }],
    ['tags in an array', { tags: [] }],
    ['no tags', { tags: {} }],
    ['9 tags', { tags: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'v'])) }],
    ['an empty tag key', { tags: { '': 'v' } }],
    ['an empty tag value', { tags: { a: '' } }],
    ['a tag value that is not a string', { tags: { a: 1 } }],
    ['a tag value with a newline', { tags: { a: 'b\nput evil 1 1 x=y' } }],
    ['a tag key with "="', { tags: { 'a=b': 'c' } }],
  ])('refuses %s (REFUSED, -2), as validatePoint would', (_name, patch) => {
    const p = { ...point({}), ...patch };
    expect(write(telnet, p)).toBe(-2);
    expect(write(json, p)).toBe(-2);
    expect(validatePoint(p as DataPoint)).toBeDefined();
  });

  it('counts the host tag it adds, and adds none when the tags have their own', () => {
    const eight = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, 'v']));
    expect(write(telnet, point({ tags: eight }))).toBeGreaterThan(0);
    expect(write(telnet, point({ tags: eight }), 'h')).toBe(-2);
    expect(write(telnet, point({ tags: {} }), 'h')).toBeGreaterThan(0);
    expect(written(telnet, point({ tags: { host: 'mine' } }), 'h')).toBe(
      'put sys.cpu 1700000000 1 host=mine\n',
    );
  });

  it('leaves non-ASCII names, bigints and value texts to validatePoint (plain = false)', () => {
    for (const writer of [telnet, json]) {
      expect(write(writer, point({}))).toBeGreaterThan(0);
      expect(writer.plain).toBe(true);
      for (const patch of [
        { metric: 'héllo' },
        { tags: { a: 'Zürich' } },
        { value: 5n },
        { valueText: '1' },
      ]) {
        expect(write(writer, point(patch))).toBeGreaterThan(0);
        expect(writer.plain).toBe(false);
      }
      expect(write(writer, point({ tags: { a: 'b\u00a0c' } }))).toBeGreaterThan(0); // not a letter
      expect(writer.plain).toBe(false);
    }
  });

  it('never lets extraChars put a blank, control character or "=" on a telnet line', () => {
    const loose = new TelnetLineWriter('as-is', '', { extraChars: ' \n\t=' });
    for (const tags of [{ a: 'x y' }, { a: 'x\nput evil 1 1 k=v' }, { a: 'x\ty' }, { a: 'x=y' }]) {
      const p = point({ tags });
      expect(validatePoint(p, { extraChars: ' \n\t=' })).toBeUndefined();
      expect(write(loose, p)).toBe(-2);
    }
    expect(write(loose, point({ metric: 'a=b' }))).toBeGreaterThan(0); // harmless in a metric
  });

  it('escapes in JSON what extraChars let through', () => {
    const loose = new JsonEntryWriter({ extraChars: '\t"' });
    const text = written(loose, point({ tags: { a: 'x\ty"z' } }));
    expect(JSON.parse(`[${text.slice(0, -1)}]`)[0].tags).toEqual({ a: 'x\ty"z' });
  });

  it('agrees with validatePoint on every point (fast-check)', () => {
    const unit = fc.constantFrom(...'abAB09-_./', ' ', '=', 'é', '\u00a0', '\n', '"');
    const name = fc.oneof(
      { weight: 5, arbitrary: fc.stringMatching(/^[a-z0-9.]{1,6}$/) },
      { weight: 2, arbitrary: fc.array(unit, { maxLength: 4 }).map((a) => a.join('')) },
      { weight: 1, arbitrary: fc.constantFrom('__proto__', 'host', 'constructor') },
    );
    const options = fc.record(
      {
        maxTags: fc.integer({ min: 1, max: 4 }),
        tagsOptional: fc.boolean(),
        extraChars: fc.constantFrom('', '"', 'é'),
      },
      { requiredKeys: [] },
    );
    const pointArb = fc.record(
      {
        metric: fc.oneof(name, fc.anything()),
        timestamp: fc.oneof(
          fc.integer({ min: -1, max: 2 }),
          fc.constant(1_700_000_000),
          fc.constant(1_700_000_000_123),
          fc.constant(10_000_000_000_000),
          fc.double(),
        ),
        value: fc.oneof(
          fc.integer(),
          fc.double(),
          fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
          fc.anything(),
        ),
        valueText: fc.constantFrom('1', '1.50', 'x', ''),
        tags: fc.oneof(
          { weight: 6, arbitrary: fc.dictionary(name, fc.oneof(name, fc.anything()), { maxKeys: 5 }) },
          { weight: 1, arbitrary: fc.anything() },
        ),
      },
      { requiredKeys: ['metric', 'timestamp', 'value', 'tags'] },
    );
    fc.assert(
      fc.property(pointArb, options, fc.constantFrom(undefined, 'h'), (p, opts, host) => {
        const withHost =
          host !== undefined &&
          typeof p.tags === 'object' &&
          p.tags !== null &&
          !Object.prototype.propertyIsEnumerable.call(p.tags, 'host');
        const expected =
          withHost && !Array.isArray(p.tags)
            ? validatePoint({ ...(p as DataPoint), tags: { ...(p.tags as object), host } }, opts)
            : validatePoint(p as DataPoint, opts);
        for (const writer of [new TelnetLineWriter('as-is', '', opts), new JsonEntryWriter(opts)]) {
          const end = write(writer, p, host);
          if (end === -2) expect(expected).toBeDefined();
          else if (writer.plain) expect(expected).toBeUndefined();
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('writeShortDecimal', () => {
  const text = (v: number) => {
    const buf = Buffer.alloc(64);
    const end = writeShortDecimal(buf, 0, 64, v);
    return end < 0 ? undefined : buf.subarray(0, end).toString();
  };

  it('writes what String() writes, or leaves the value to String()', () => {
    const decimals = fc
      .tuple(
        fc.integer({ min: -999_999_999, max: 999_999_999 }),
        fc.integer({ min: 0, max: 999_999 }),
        fc.integer({ min: 1, max: 7 }),
      )
      .map(([whole, fraction, digits]) =>
        Number(`${whole}.${String(fraction).padStart(6, '0').slice(0, digits)}`),
      );
    fc.assert(
      fc.property(
        fc.oneof(
          decimals,
          fc.double({ noNaN: true }),
          fc.integer().map((i) => i * 0.25),
        ),
        (v) => {
          if (Number.isInteger(v)) return;
          const written = text(v);
          if (written !== undefined) expect(written).toBe(String(v));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it.each([
    [42.5, '42.5'],
    [-0.25, '-0.25'],
    [0.000001, '0.000001'],
    [0.1 + 0.2, undefined],
    [1e-7, undefined],
    [1.5e9, undefined],
    [1.0000001, undefined],
  ])('%d -> %s', (v, expected) => {
    expect(text(v)).toBe(expected);
  });
});
