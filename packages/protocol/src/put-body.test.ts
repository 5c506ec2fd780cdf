import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DataPoint } from './data-point.js';
import { datapointEcho, decodePutBody, encodePutBody } from './put-body.js';
import { putResponse } from './put-response.js';
import { formatValue } from './value.js';

const M = '"metric":"sys.cpu.nice"';
const T = '"timestamp":1365465600';
const TAGS = '"tags":{"host":"web01"}';

function one(fields: string) {
  return decodePutBody(`{${fields}}`);
}

function entryError(fields: string) {
  const r = one(fields);
  if (!r.ok) throw new Error('whole body refused: ' + r.error.message);
  expect(r.points).toEqual([]);
  return r.errors[0]!.error;
}

describe('decodePutBody: accepted entries', () => {
  it('a single object', () => {
    const r = one(`${M},${T},"value":42,${TAGS}`);
    expect(r).toEqual({
      ok: true,
      points: [
        {
          metric: 'sys.cpu.nice',
          timestamp: 1365465600,
          value: 42,
          tags: { host: 'web01' },
          valueText: '42',
        },
      ],
      indices: [0],
      errors: [],
    });
  });

  it.each([
    ['9007199254740993', 9007199254740993n],
    ['-9223372036854775808', -9223372036854775808n],
    ['9223372036854775807', 9223372036854775807n],
    ['1.50', 1.5],
    ['42.22e3', 42220],
    ['-4.2E-3', -0.0042],
    ['-42', -42],
    ['"42"', 42],
    ['"1.5"', 1.5],
    ['"9007199254740993"', 9007199254740993n],
  ])('value %s keeps its exact value', (json, value) => {
    const r = one(`${M},${T},"value":${json},${TAGS}`);
    expect(r.ok && r.points[0]!.value).toEqual(value);
    expect(r.ok && r.points[0]!.valueText).toBe(json.replaceAll('"', ''));
  });

  it.each([
    ['1365465600123', 1365465600123],
    ['"1365465600"', 1365465600],
    ['" 1365465600 "', 1365465600],
    ['"+1365465600"', 1365465600],
    ['1365465600.9', 1365465600],
    ['1.3654656e9', 1365465600],
  ])('timestamp %s reads as Jackson reads a long', (json, ts) => {
    const r = one(`${M},"timestamp":${json},"value":1,${TAGS}`);
    expect(r.ok && r.points[0]!.timestamp).toBe(ts);
  });

  it('numbers, booleans as tag values become their text; later duplicate keys win', () => {
    const r = one(`${M},${T},"value":1,"tags":{"a":1,"b":1.50,"c":true,"a":"x"}`);
    expect(r.ok && r.points[0]!.tags).toEqual({ a: 'x', b: '1.50', c: 'true' });
  });

  it('a number as metric is its text; unknown fields are skipped, whatever they hold', () => {
    const r = one(`"metric":123,${T},"value":1,${TAGS},"tsuid":null,"extra":{"deep":[1,{"x":[true]}]}`);
    expect(r.ok && r.points[0]!.metric).toBe('123');
  });

  it('tags come out in ascending key order', () => {
    const r = one(`${M},${T},"value":1,"tags":{"z":"1","a":"2","m":"3"}`);
    expect(r.ok && Object.keys(r.points[0]!.tags)).toEqual(['a', 'm', 'z']);
  });

  it('bytes are decoded as UTF-8, whitespace around the body ignored', () => {
    const r = decodePutBody(Buffer.from(`\n  [{"metric":"héllo",${T},"value":1,"tags":{"中":"Ж"}}]  \r\n`));
    expect(r.ok && r.points[0]).toMatchObject({ metric: 'héllo', tags: { 中: 'Ж' } });
  });

  it('tagsOptional lets entries without tags through', () => {
    const r = decodePutBody(`{${M},${T},"value":1}`, { tagsOptional: true });
    expect(r.ok && r.points[0]!.tags).toEqual({});
  });
});

describe('decodePutBody: rejected entries (OpenTSDB keeps the good ones)', () => {
  it.each([
    ['missing metric', `${T},"value":42,${TAGS}`, 'invalid_metric', 'Metric name was empty'],
    ['null metric', `"metric":null,${T},"value":42,${TAGS}`, 'invalid_metric', 'Metric name was empty'],
    ['empty metric', `"metric":"",${T},"value":42,${TAGS}`, 'invalid_metric', 'Metric name was empty'],
    ['missing timestamp', `${M},"value":42,${TAGS}`, 'invalid_timestamp', 'Invalid timestamp'],
    ['null timestamp', `${M},"timestamp":null,"value":42,${TAGS}`, 'invalid_timestamp', 'Invalid timestamp'],
    [
      'negative timestamp',
      `${M},"timestamp":-1,"value":42,${TAGS}`,
      'invalid_timestamp',
      'Invalid timestamp',
    ],
    [
      'empty-string timestamp',
      `${M},"timestamp":"","value":42,${TAGS}`,
      'invalid_timestamp',
      'Invalid timestamp',
    ],
    ['NaN timestamp', `${M},"timestamp":NaN,"value":42,${TAGS}`, 'invalid_timestamp', 'Invalid timestamp'],
    ['missing value', `${M},${T},${TAGS}`, 'invalid_value', 'Empty value'],
    ['null value', `${M},${T},"value":null,${TAGS}`, 'invalid_value', 'Empty value'],
    ['empty value', `${M},${T},"value":"",${TAGS}`, 'invalid_value', 'Empty value'],
    [
      'text value',
      `${M},${T},"value":"notanumber",${TAGS}`,
      'invalid_value',
      'Unable to parse value to a number',
    ],
    ['NaN', `${M},${T},"value":NaN,${TAGS}`, 'invalid_value', 'Unable to parse value to a number'],
    ['+INF', `${M},${T},"value":+INF,${TAGS}`, 'invalid_value', 'Unable to parse value to a number'],
    ['-INF', `${M},${T},"value":-INF,${TAGS}`, 'invalid_value', 'Unable to parse value to a number'],
    ['Infinity', `${M},${T},"value":Infinity,${TAGS}`, 'invalid_value', 'Unable to parse value to a number'],
    [
      '+Infinity',
      `${M},${T},"value":+Infinity,${TAGS}`,
      'invalid_value',
      'Unable to parse value to a number',
    ],
    [
      '-Infinity',
      `${M},${T},"value":-Infinity,${TAGS}`,
      'invalid_value',
      'Unable to parse value to a number',
    ],
    ['"NaN"', `${M},${T},"value":"NaN",${TAGS}`, 'invalid_value', 'Unable to parse value to a number'],
    ['true', `${M},${T},"value":true,${TAGS}`, 'invalid_value', 'Unable to parse value to a number'],
    [
      'a too long integer',
      `${M},${T},"value":12345678901234567890,${TAGS}`,
      'invalid_value',
      'Unable to parse value to a number',
    ],
    [
      'a float overflowing to Infinity',
      `${M},${T},"value":1e999,${TAGS}`,
      'invalid_value',
      'value is NaN or Infinite: Infinity for metric=sys.cpu.nice timestamp=1365465600',
    ],
    ['missing tags', `${M},${T},"value":42`, 'missing_tags', 'Missing tags'],
    ['null tags', `${M},${T},"value":42,"tags":null`, 'missing_tags', 'Missing tags'],
    ['empty tags', `${M},${T},"value":42,"tags":{}`, 'missing_tags', 'Missing tags'],
    [
      'a bad metric',
      `"metric":"sys cpu",${T},"value":42,${TAGS}`,
      'invalid_metric',
      'Invalid metric name ("sys cpu"): illegal character:  ',
    ],
    [
      'a null tag value',
      `${M},${T},"value":42,"tags":{"host":null}`,
      'invalid_tag',
      'Invalid tag value with key [host]: null',
    ],
    [
      'a 14-digit timestamp',
      `${M},"timestamp":10000000000000,"value":42,${TAGS}`,
      'invalid_timestamp',
      'bad timestamp=10000000000000 when trying to add value=[42]/0 to metric=sys.cpu.nice, tags={host=web01}',
    ],
    [
      'too many tags',
      `${M},${T},"value":42,"tags":{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","h":"8","i":"9"}`,
      'too_many_tags',
      'Too many tags: 9 maximum allowed: 8, tags: {a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8, i=9}',
    ],
  ])('%s', (_name, fields, code, message) => {
    const e = entryError(fields);
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
  });

  it('keeps good entries, reports bad ones with their index and the entry as a TSD echoes it', () => {
    const r = decodePutBody(
      `[{${M},${T},"value":1,${TAGS}},{${M},${T},"value":"x","tags":{"host":"a","dc":1}},null,{${M},${T},"value":2,${TAGS}}]`,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.points.map((p) => p.value)).toEqual([1, 2]);
    expect(r.indices).toEqual([0, 3]);
    expect(r.errors.map((e) => e.index)).toEqual([1, 2]);
    expect(r.errors[1]!.error.message).toBe('Unexpected null datapoint encountered in set.');
    expect(r.errors[1]!.datapoint).toBeNull();
    const reply = putResponse('details', { success: 2, failed: 2, errors: r.errors });
    expect(reply).toEqual({
      status: 400,
      body:
        '{"success":2,"failed":2,"errors":[' +
        '{"datapoint":{"metric":"sys.cpu.nice","timestamp":1365465600,"value":"x","tags":{"host":"a","dc":"1"}},"error":"Unable to parse value to a number"},' +
        '{"datapoint":null,"error":"Unexpected null datapoint encountered in set."}]}',
    });
  });

  it('echoes a missing field by leaving it out (Jackson NON_NULL), bigint timestamps exactly', () => {
    const r = decodePutBody(`{"timestamp":9223372036854775807,"value":1}`);
    expect(r.ok && r.errors[0]!.datapoint).toEqual({ timestamp: 9223372036854775807n, value: '1' });
  });
});

describe('decodePutBody: whole-body failures', () => {
  it.each([
    ['', 'Missing request content'],
    ['   \n ', 'Missing request content'],
    ['Hello World', 'The JSON must start as an object or an array'],
    ['42', 'The JSON must start as an object or an array'],
    ['[]', 'No datapoints found in content'],
    [`{${M},"timestamp:1365465600,"value":42,${TAGS}}`, 'Unable to parse the given JSON'],
    [`[{${M},${T},"value":42,${TAGS}},]`, 'Unable to parse the given JSON'],
    [`[{${M},${T},"value":42,${TAGS}}] trailing`, 'Unable to parse the given JSON'],
    [`{${M},${T},"value":Nan,${TAGS}}`, 'Unable to parse the given JSON'],
    [`{${M},${T},"value":INF,${TAGS}}`, 'Unable to parse the given JSON'],
    [`{${M},${T},"value":+inf,${TAGS}}`, 'Unable to parse the given JSON'],
    [`{${M},${T},"value":01,${TAGS}}`, 'Unable to parse the given JSON'],
    [`{${M},"timestamp":true,"value":1,${TAGS}}`, 'Unable to parse the given JSON'],
    [`{${M},"timestamp":"abc","value":1,${TAGS}}`, 'Unable to parse the given JSON'],
    [`{${M},"timestamp":"1.5","value":1,${TAGS}}`, 'Unable to parse the given JSON'],
    [`{${M},"timestamp":9223372036854775808,"value":1,${TAGS}}`, 'Unable to parse the given JSON'],
    [`{${M},"timestamp":Infinity,"value":1,${TAGS}}`, 'Unable to parse the given JSON'],
    [`{${M},"timestamp":[1],"value":1,${TAGS}}`, 'Unable to parse the given JSON'],
    [`{"metric":["a"],${T},"value":1,${TAGS}}`, 'Unable to parse the given JSON'],
    [`{${M},${T},"value":{"a":1},${TAGS}}`, 'Unable to parse the given JSON'],
    [`{${M},${T},"value":1,"tags":["host","a"]}`, 'Unable to parse the given JSON'],
    [`{${M},${T},"value":1,"tags":{"host":{"a":1}}}`, 'Unable to parse the given JSON'],
    [`{${M},${T},"value":1,"tags":"host=a"}`, 'Unable to parse the given JSON'],
    [`[{${M},${T},"value":1,${TAGS}}, 5]`, 'Unable to parse the given JSON'],
    [`[{${M},${T},"value":1,${TAGS}}, "x"]`, 'Unable to parse the given JSON'],
  ])('%j', (body, message) => {
    const r = decodePutBody(body);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.status).toBe(400);
      expect(r.error.message).toBe(message);
      if (message === 'Unable to parse the given JSON') expect(r.error.details?.length).toBeGreaterThan(0);
    }
  });
});

describe('encodePutBody', () => {
  it('writes exact values and keeps JSON-valid value text', () => {
    const points: DataPoint[] = [
      { metric: 'm', timestamp: 1, value: 9007199254740993n, tags: { b: '2', a: '1' } },
      { metric: 'm', timestamp: 2, value: 1.5, tags: { a: '1' }, valueText: '1.50' },
      { metric: 'm', timestamp: 3, value: 7, tags: { a: '1' }, valueText: '007' },
      { metric: 'm', timestamp: 4, value: 0.5, tags: { a: '1' }, valueText: '.5' },
      { metric: 'q"uote', timestamp: 5, value: -1, tags: { 'k\\': 'v"' } },
    ];
    expect(encodePutBody(points)).toBe(
      '[{"metric":"m","timestamp":1,"value":9007199254740993,"tags":{"a":"1","b":"2"}},' +
        '{"metric":"m","timestamp":2,"value":1.50,"tags":{"a":"1"}},' +
        '{"metric":"m","timestamp":3,"value":7,"tags":{"a":"1"}},' +
        '{"metric":"m","timestamp":4,"value":0.5,"tags":{"a":"1"}},' +
        '{"metric":"q\\"uote","timestamp":5,"value":-1,"tags":{"k\\\\":"v\\""}}]',
    );
    expect(JSON.parse(encodePutBody(points))).toHaveLength(5);
  });

  it('always writes valid JSON, even for points that would not validate', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.dictionary(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' })),
        fc.oneof(fc.integer(), fc.bigInt()),
        fc.string(),
        (metric, tags, value, valueText) => {
          const text = encodePutBody([{ metric, timestamp: 1, value, tags, valueText }]);
          const parsed = JSON.parse(text) as Array<{ metric: string; tags: Record<string, string> }>;
          expect(parsed[0]!.metric).toBe(metric);
          expect(Object.keys(parsed[0]!.tags).sort()).toEqual(Object.keys(tags).sort());
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('refuses a non-finite value (there is no JSON for it)', () => {
    expect(() => encodePutBody([{ metric: 'm', timestamp: 1, value: Number.NaN, tags: { a: 'b' } }])).toThrow(
      /NaN/,
    );
  });

  it('datapointEcho is the shape OpenTSDB echoes', () => {
    expect(
      datapointEcho({ metric: 'm', timestamp: 1, value: 2n ** 60n, tags: { host: 'a', dc: 'b' } }),
    ).toEqual({
      metric: 'm',
      timestamp: 1,
      value: '1152921504606846976',
      tags: { host: 'a', dc: 'b' },
    });
  });
});

describe('properties', () => {
  const NAME = [...'abcXYZ019-_./', 'é', '中'];
  const name = fc.array(fc.constantFrom(...NAME), { minLength: 1, maxLength: 8 }).map((a) => a.join(''));
  const point: fc.Arbitrary<DataPoint> = fc.record({
    metric: name,
    timestamp: fc.integer({ min: 1, max: 9999999999999 }),
    value: fc.oneof(
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
      fc.bigInt({ min: 2n ** 53n, max: 2n ** 63n - 1n }),
      fc.bigInt({ min: -(2n ** 63n), max: -(2n ** 53n) }),
    ),
    tags: fc.dictionary(
      fc.oneof(
        { weight: 6, arbitrary: name },
        { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor') },
      ),
      name,
      { minKeys: 1, maxKeys: 8 },
    ),
  });

  it('decode(encode(points)) gives the points back exactly, bigints included', () => {
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 20 }), (points) => {
        const r = decodePutBody(encodePutBody(points));
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.errors).toEqual([]);
        expect(r.points).toEqual(points.map((p) => ({ ...p, valueText: formatValue(p.value) })));
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary bytes or text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        decodePutBody(bytes);
        decodePutBody(Buffer.from(bytes).toString('latin1'));
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on near-valid bodies', () => {
    const piece = fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"metric"',
      '"timestamp"',
      '"value"',
      '"tags"',
      '"host"',
      '"a"',
      '1',
      '-1',
      '1.5',
      '1e999',
      '9223372036854775808',
      'NaN',
      '+INF',
      'true',
      'null',
      '" x"',
      '"1365465600"',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
        const r = decodePutBody(parts.join(''));
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 10000 },
    );
  });
});
