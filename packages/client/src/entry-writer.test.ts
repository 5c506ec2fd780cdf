import { type DataPoint, parsePutLine } from '@otsdb/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonEntryWriter, TelnetLineWriter, writeInteger } from './entry-writer.js';

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

  it('keeps exact integers and JSON-valid value text, escapes what JSON needs', () => {
    expect(written(json, point({ value: 2n ** 62n }))).toContain(`"value":${2n ** 62n}`);
    expect(written(json, point({ value: 1.5, valueText: '1.50' }))).toContain('"value":1.50');
    expect(written(json, point({ value: 0.5, valueText: '.5' }))).toContain('"value":0.5');
    const odd = point({ metric: 'a"b\\c', tags: { 'k"': 'Zürich' } });
    expect(parse(written(json, odd))).toMatchObject({ metric: 'a"b\\c', tags: { 'k"': 'Zürich' } });
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
