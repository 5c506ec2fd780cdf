import { describe, expect, it } from 'vitest';
import { type PointResult, telnetPutError } from './errors.js';
import { formatPutLine } from './format.js';
import { parseCollectorLine, parsePutLine } from './put-line.js';

function reply(r: PointResult): string {
  return r.ok ? 'OK ' + formatPutLine(r.point) : telnetPutError(r.error);
}

describe('parsePutLine: accepted lines', () => {
  it.each([
    // [line, metric, timestamp, value, tags]
    ['put sys.cpu.user 1356998400 42 host=web01', 'sys.cpu.user', 1356998400, 42, { host: 'web01' }],
    ['put m 1356998400 -42 a=b', 'm', 1356998400, -42, { a: 'b' }],
    ['put m 1356998400 0 a=b', 'm', 1356998400, 0, { a: 'b' }],
    ['put m 1356998400 -0 a=b', 'm', 1356998400, 0, { a: 'b' }],
    ['put m 1356998400 +5 a=b', 'm', 1356998400, 5, { a: 'b' }],
    ['put m 1356998400 007 a=b', 'm', 1356998400, 7, { a: 'b' }],
    ['put m 1356998400 42.5 a=b', 'm', 1356998400, 42.5, { a: 'b' }],
    ['put m 1356998400 1e3 a=b', 'm', 1356998400, 1000, { a: 'b' }],
    ['put m 1356998400 1E3 a=b', 'm', 1356998400, 1000, { a: 'b' }],
    ['put m 1356998400 .5 a=b', 'm', 1356998400, 0.5, { a: 'b' }],
    ['put m 1356998400 5. a=b', 'm', 1356998400, 5, { a: 'b' }],
    ['put m 1356998400 -0.5 a=b', 'm', 1356998400, -0.5, { a: 'b' }],
    ['put m 1356998400 -4.2e-3 a=b', 'm', 1356998400, -0.0042, { a: 'b' }],
    ['put m 1356998400 1.0 a=b', 'm', 1356998400, 1, { a: 'b' }],
    ['put m 1356998400 9007199254740991 a=b', 'm', 1356998400, 9007199254740991, { a: 'b' }],
    ['put m 1356998400 9007199254740993 a=b', 'm', 1356998400, 9007199254740993n, { a: 'b' }],
    ['put m 1356998400 -9007199254740993 a=b', 'm', 1356998400, -9007199254740993n, { a: 'b' }],
    ['put m 1356998400 9223372036854775807 a=b', 'm', 1356998400, 9223372036854775807n, { a: 'b' }],
    ['put m 1356998400 -9223372036854775808 a=b', 'm', 1356998400, -9223372036854775808n, { a: 'b' }],
    ['put m 1 1 a=b', 'm', 1, 1, { a: 'b' }],
    ['put m 4294967295 1 a=b', 'm', 4294967295, 1, { a: 'b' }],
    ['put m 1356998400123 1 a=b', 'm', 1356998400123, 1, { a: 'b' }],
    ['put m 9999999999999 1 a=b', 'm', 9999999999999, 1, { a: 'b' }],
    ['put m 1356998400.123 1 a=b', 'm', 1356998400123, 1, { a: 'b' }],
    ['put m +1356998400 1 a=b', 'm', 1356998400, 1, { a: 'b' }],
    ['put m 0001356998400 1 a=b', 'm', 1356998400, 1, { a: 'b' }],
    ['put m 1356998400 1 b=2 a=1', 'm', 1356998400, 1, { a: '1', b: '2' }],
    ['put m 1356998400 1 a=1 a=1', 'm', 1356998400, 1, { a: '1' }],
    ['put m 1356998400 1 a=1  b=2 ', 'm', 1356998400, 1, { a: '1', b: '2' }],
    ['put m 1356998400 1 a=1\r', 'm', 1356998400, 1, { a: '1' }],
    ['put m 1356998400 1 a=1\r\n', 'm', 1356998400, 1, { a: '1' }],
    ['put m 1356998400 1 a=1\n', 'm', 1356998400, 1, { a: '1' }],
    ['put a-b_c.d/e 1356998400 1 x.y/z-w_v=1.2', 'a-b_c.d/e', 1356998400, 1, { 'x.y/z-w_v': '1.2' }],
    ['put héllo.wörld 1356998400 1 Жк=中', 'héllo.wörld', 1356998400, 1, { Жк: '中' }],
    [
      'put m 1356998400 1 a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8',
      'm',
      1356998400,
      1,
      { a: '1', b: '2', c: '3', d: '4', e: '5', f: '6', g: '7', h: '8' },
    ],
  ] as const)('%j', (line, metric, timestamp, value, tags) => {
    const r = parsePutLine(line);
    expect(r.ok, r.ok ? '' : telnetPutError(r.error)).toBe(true);
    if (!r.ok) return;
    expect(r.point).toEqual({ metric, timestamp, value, tags, valueText: line.split(' ')[3] });
    expect(typeof r.point.value).toBe(typeof value);
  });

  it('emits tags in ascending key order whatever order they came in', () => {
    const r = parsePutLine('put m 1356998400 1 zz=1 aa=2 mm=3 bb=4');
    expect(r.ok && Object.keys(r.point.tags)).toEqual(['aa', 'bb', 'mm', 'zz']);
  });

  it('keeps the value text exactly as received', () => {
    for (const text of ['1.50', '1e3', '-0.0', '007', '+5', '.5']) {
      const r = parsePutLine(`put m 1356998400 ${text} a=b`);
      expect(r.ok && r.point.valueText).toBe(text);
    }
  });
});

describe('parsePutLine: rejected lines, with the reply a TSD writes', () => {
  it.each([
    ['put', 'invalid_line', 'put: illegal argument: not enough arguments (need least 4, got 0)'],
    ['put m 1 2', 'invalid_line', 'put: illegal argument: not enough arguments (need least 4, got 3)'],
    ['put  m 1 2 a=b', 'invalid_metric', 'put: illegal argument: empty metric name'],
    ['put m  1 2 a=b', 'invalid_timestamp', 'put: invalid value: Empty string'],
    ['put m 1  2 a=b', 'invalid_value', 'put: illegal argument: empty value'],
    ['put m 1 2 ', 'missing_tags', 'put: illegal argument: Need at least one tag (metric=m, tags={})'],
    ['put m abc 2 a=b', 'invalid_timestamp', "put: invalid value: Invalid character 'a' in abc"],
    ['put m 1e9 2 a=b', 'invalid_timestamp', "put: invalid value: Invalid character 'e' in 1e9"],
    ['put m - 2 a=b', 'invalid_timestamp', 'put: invalid value: Just a sign, no value: -'],
    ['put m 0 2 a=b', 'invalid_timestamp', 'put: illegal argument: invalid timestamp: 0'],
    ['put m -5 2 a=b', 'invalid_timestamp', 'put: illegal argument: invalid timestamp: -5'],
    [
      'put m 12345678901234567890 2 a=b',
      'invalid_timestamp',
      'put: invalid value: Value too long: 12345678901234567890',
    ],
    [
      'put m 9223372036854775808 2 a=b',
      'invalid_timestamp',
      'put: invalid value: Overflow in 9223372036854775808',
    ],
    [
      'put m 10000000000000 2 a=b',
      'invalid_timestamp',
      'put: illegal argument: bad timestamp=10000000000000 when trying to add value=[2]/0 to metric=m, tags={a=b}',
    ],
    [
      'put m 10000000000000 1.5 a=b',
      'invalid_timestamp',
      'put: illegal argument: bad timestamp=10000000000000 when trying to add value=[63, -64, 0, 0]/11 to metric=m, tags={a=b}',
    ],
    [
      'put m 10000000000000 0.1 a=b',
      'invalid_timestamp',
      'put: illegal argument: bad timestamp=10000000000000 when trying to add value=[63, -71, -103, -103, -103, -103, -103, -102]/15 to metric=m, tags={a=b}',
    ],
    [
      'put m 1356998400.5 2 a=b',
      'invalid_timestamp',
      'put: illegal argument: invalid timestamp: 1356998400.5',
    ],
    [
      'put m 1356998400.1234 2 a=b',
      'invalid_timestamp',
      'put: illegal argument: invalid timestamp: 1356998400.1234',
    ],
    ['put m 1 abc a=b', 'invalid_value', "put: invalid value: Invalid character 'a' in abc"],
    ['put m 1 NaN a=b', 'invalid_value', "put: invalid value: Invalid character 'N' in NaN"],
    ['put m 1 Infinity a=b', 'invalid_value', "put: invalid value: Invalid character 'I' in Infinity"],
    ['put m 1 - a=b', 'invalid_value', 'put: invalid value: Just a sign, no value: -'],
    ['put m 1 1.2.3 a=b', 'invalid_value', 'put: invalid value: For input string: "1.2.3"'],
    ['put m 1 1e a=b', 'invalid_value', 'put: invalid value: For input string: "1e"'],
    ['put m 1 . a=b', 'invalid_value', 'put: invalid value: For input string: "."'],
    ['put m 1 1.5f a=b', 'invalid_value', 'put: invalid value: For input string: "1.5f"'],
    ['put m 1 0x1F a=b', 'invalid_value', "put: invalid value: Invalid character 'x' in 0x1F"],
    [
      'put m 1 9223372036854775808 a=b',
      'invalid_value',
      'put: invalid value: Overflow in 9223372036854775808',
    ],
    [
      'put m 1 -9223372036854775809 a=b',
      'invalid_value',
      'put: invalid value: Overflow in -9223372036854775809',
    ],
    [
      'put m 1 00000000000000000001 a=b',
      'invalid_value',
      'put: invalid value: Value too long: 00000000000000000001',
    ],
    [
      'put m 1 1e999 a=b',
      'invalid_value',
      'put: illegal argument: value is NaN or Infinite: Infinity for metric=m timestamp=1',
    ],
    [
      'put m 1 -1e999 a=b',
      'invalid_value',
      'put: illegal argument: value is NaN or Infinite: -Infinity for metric=m timestamp=1',
    ],
    ['put m 1 2 host', 'invalid_tag', 'put: illegal argument: invalid tag: host'],
    ['put m 1 2 host=', 'invalid_tag', 'put: illegal argument: invalid tag: host='],
    ['put m 1 2 =a', 'invalid_tag', 'put: illegal argument: invalid tag: =a'],
    ['put m 1 2 a=b=c', 'invalid_tag', 'put: illegal argument: invalid tag: a=b=c'],
    [
      'put m 1 2 host=a host=b',
      'duplicate_tag',
      'put: illegal argument: duplicate tag: host=b, tags={host=a}',
    ],
    [
      'put m 1 2 host=a dc=x host=b',
      'duplicate_tag',
      'put: illegal argument: duplicate tag: host=b, tags={host=a, dc=x}',
    ],
    [
      'put m 1 2 a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9',
      'too_many_tags',
      'put: illegal argument: Too many tags: 9 maximum allowed: 8, tags: {a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8, i=9}',
    ],
    [
      'put sys!cpu 1 2 a=b',
      'invalid_metric',
      'put: illegal argument: Invalid metric name ("sys!cpu"): illegal character: !',
    ],
    [
      'put sys\tcpu 1 2 a=b',
      'invalid_metric',
      'put: illegal argument: Invalid metric name ("sys\tcpu"): illegal character: \t',
    ],
    [
      'put m 1 2 h!=a',
      'invalid_tag',
      'put: illegal argument: Invalid tag name with value [a] ("h!"): illegal character: !',
    ],
    [
      'put m 1 2 h=a!',
      'invalid_tag',
      'put: illegal argument: Invalid tag value with key [h] ("a!"): illegal character: !',
    ],
    [
      'put m 1 2 h=a\u00a0',
      'invalid_tag',
      'put: illegal argument: Invalid tag value with key [h] ("a\u00a0"): illegal character: \u00a0',
    ],
    [
      'put m 1 2 h=©',
      'invalid_tag',
      'put: illegal argument: Invalid tag value with key [h] ("©"): illegal character: ©',
    ],
  ] as const)('%j', (line, code, wire) => {
    const r = parsePutLine(line);
    expect(reply(r)).toBe(wire);
    expect(!r.ok && r.error.code).toBe(code);
  });

  it('reports the first bad tag in the order a TSD checks them (its HashMap order)', () => {
    // Java iterates {"b!":..., "a!":...} as a!, b! (bucket order), whatever order they were sent in.
    expect(reply(parsePutLine('put m 1 2 b!=1 a!=2'))).toBe(
      'put: illegal argument: Invalid tag name with value [2] ("a!"): illegal character: !',
    );
  });

  it('refuses other commands and a wrongly cased put', () => {
    const r = parsePutLine('PUT m 1 2 a=b');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatchObject({ code: 'invalid_line', message: 'Unrecognized command: PUT' });
  });

  it('names the offending value and the rule in every error', () => {
    for (const line of [
      'put m 1 2 a=b=c',
      'put m 1 abc a=b',
      'put m!x 1 2 a=b',
      'put m 1 2 h=a!',
      'put m 0 1 a=b',
    ]) {
      const r = parsePutLine(line);
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.error.value).toBeDefined();
      expect(r.error.detail).toContain(r.error.value);
    }
  });

  it('does not throw for non-string input from JavaScript callers', () => {
    expect(parsePutLine(undefined as unknown as string).ok).toBe(false);
    expect(parseCollectorLine(42 as unknown as string).ok).toBe(false);
    for (const thing of [Object.create(null), { toString: null }, Symbol('s'), () => 1]) {
      expect(parsePutLine(thing as unknown as string).ok).toBe(false);
      expect(parseCollectorLine(thing as unknown as string).ok).toBe(false);
    }
  });
});

describe('options', () => {
  it('maxTags lowers or raises the tag limit', () => {
    expect(reply(parsePutLine('put m 1 2 a=1 b=2 c=3', { maxTags: 2 }))).toBe(
      'put: illegal argument: Too many tags: 3 maximum allowed: 2, tags: {a=1, b=2, c=3}',
    );
    const many = Array.from({ length: 12 }, (_, i) => `k${i}=v`).join(' ');
    expect(parsePutLine(`put m 1 2 ${many}`, { maxTags: 12 }).ok).toBe(true);
  });

  it('tagsOptional accepts points without tags (and lines without a tag word)', () => {
    const r = parsePutLine('put m 1356998400 2', { tagsOptional: true });
    expect(r.ok && r.point).toEqual({
      metric: 'm',
      timestamp: 1356998400,
      value: 2,
      tags: {},
      valueText: '2',
    });
    expect(parsePutLine('put m 1356998400 2 ', { tagsOptional: true }).ok).toBe(true);
    expect(reply(parsePutLine('put m 1', { tagsOptional: true }))).toBe(
      'put: illegal argument: not enough arguments (need least 3, got 2)',
    );
  });

  it('extraChars allows more characters, but never the separators', () => {
    const opts = { extraChars: ':% =' };
    const r = parsePutLine('put sys:cpu% 1 2 k:1=v%1', opts);
    expect(r.ok && r.point.tags).toEqual({ 'k:1': 'v%1' });
    expect(r.ok && r.point.metric).toBe('sys:cpu%');
    expect(reply(parsePutLine('put m 1 2 a=b=c', opts))).toBe('put: illegal argument: invalid tag: a=b=c');
    expect(parsePutLine('put a=b 1 2 k=v', opts).ok).toBe(true);
    expect(parsePutLine('put sys:cpu 1 2 k=v').ok).toBe(false);
  });

  it('rejects bad options with a ProtocolError', () => {
    expect(() => parsePutLine('put m 1 2 a=b', { maxTags: 0 })).toThrow(/maxTags/);
    expect(() => parsePutLine('put m 1 2 a=b', { maxTags: 1.5 })).toThrow(/maxTags/);
    expect(() => parsePutLine('put m 1 2 a=b', { extraChars: 5 as unknown as string })).toThrow(/extraChars/);
    expect(() => parsePutLine('put m 1 2 a=b', { tagsOptional: 'yes' as unknown as boolean })).toThrow(
      /tagsOptional/,
    );
  });
});

describe('parseCollectorLine', () => {
  it('reads a collector line as tcollector normalises it (runs of blanks, edges trimmed)', () => {
    for (const line of [
      'sys.cpu 1356998400 42 host=a',
      '  sys.cpu\t1356998400   42  host=a  ',
      'sys.cpu 1356998400 42 host=a\r',
      'sys.cpu\t\t1356998400\t42\thost=a',
    ]) {
      const r = parseCollectorLine(line);
      expect(r.ok && r.point).toEqual({
        metric: 'sys.cpu',
        timestamp: 1356998400,
        value: 42,
        tags: { host: 'a' },
        valueText: '42',
      });
    }
  });

  it('applies the same rules and replies as put lines', () => {
    expect(reply(parseCollectorLine('sys.cpu 1356998400 42'))).toBe(
      'put: illegal argument: not enough arguments (need least 4, got 3)',
    );
    expect(reply(parseCollectorLine('sys.cpu 1356998400 abc host=a'))).toBe(
      "put: invalid value: Invalid character 'a' in abc",
    );
    expect(reply(parseCollectorLine('sys.cpu 1356998400.5 1 host=a'))).toBe(
      'put: illegal argument: invalid timestamp: 1356998400.5',
    );
    expect(reply(parseCollectorLine(''))).toBe(
      'put: illegal argument: not enough arguments (need least 4, got 0)',
    );
    expect(reply(parseCollectorLine('   '))).toBe(
      'put: illegal argument: not enough arguments (need least 4, got 0)',
    );
  });
});
