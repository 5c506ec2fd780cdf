import { type ProtocolOptions, parsePutLine } from '@otsdb/protocol';
import { encodedLines as encoded } from '@otsdb/testkit/encoded-lines';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonEntryWriter } from './entry-writer.js';
import { JsonLineEncoder } from './json-lines.js';

/** The entry JsonEntryWriter writes for the point parsePutLine reads from `line`, or undefined. */
function pointEntry(line: string, options: ProtocolOptions): string | undefined {
  const parsed = parsePutLine(line, options);
  if (!parsed.ok) return undefined;
  const writer = new JsonEntryWriter(options);
  const buf = Buffer.alloc(4096);
  const end = writer.write(parsed.point, undefined, buf, 0, buf.length);
  return end < 0 ? undefined : buf.toString('latin1', 0, end);
}

function encodeOne(line: string, options: ProtocolOptions): string | undefined {
  const { data, ends, count } = encoded([line]);
  const out = new JsonLineEncoder(options).encode(data, ends, count);
  return out === undefined ? undefined : out.data.toString('latin1', 0, out.ends[0]);
}

/** An entry (`{...},`) as data, and its value exactly as written. */
function read(entry: string): { parsed: unknown; valueText: string | undefined } {
  expect(entry.endsWith('},')).toBe(true);
  return {
    parsed: JSON.parse(entry.slice(0, -1)),
    valueText: /"value":([^,]*),"tags"/.exec(entry)?.[1],
  };
}

const word = (chars: string, max: number, min = 0) =>
  fc.string({ unit: fc.constantFrom(...chars.split('')), minLength: min, maxLength: max });
const NAME = 'abcAZ09-_./';

/** Mostly `plain`, sometimes `odd`. */
const mostly = <T>(plain: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: plain, weight: 6 }, { arbitrary: odd, weight: 1 });

/** Put lines of every shape: plain, unusual (leading zeros, `5.`, `.5`, exponents), broken. */
const messy = fc
  .tuple(
    mostly(word(NAME, 12, 1), word(`${NAME} é"\\`, 12)),
    fc.oneof(
      fc.integer({ min: 1, max: 9_999_999_999_999 }).map(String),
      fc.tuple(word('0', 3), fc.integer({ min: 0, max: 99_999_999_999 })).map(([z, n]) => z + n),
      word('0123456789.-', 15),
    ),
    fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
      fc.double({ min: -1e9, max: 1e9, noNaN: true }).map((v) => v.toFixed(4)),
      fc.integer().map(String),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
      word('0123456789.-eE+', 8),
    ),
    fc.array(
      mostly(
        fc.tuple(word(NAME, 6, 1), word(NAME, 6, 1)),
        fc.tuple(word(`${NAME}=é`, 6), word(`${NAME}=é`, 6)),
      ),
      { minLength: 1, maxLength: 10 },
    ),
    mostly(fc.constant(' '), fc.constant('  ')),
  )
  .map(([metric, ts, value, tags, gap]) =>
    [`put ${metric}`, ts, value, ...tags.map(([k, v]) => `${k}=${v}`)].join(gap),
  );

describe('JsonLineEncoder', () => {
  it('writes a plain line as the entry of its point', () => {
    const line = 'put sys.cpu.user 1356998400 42.5 host=web01 cpu=0';
    expect(encodeOne(line, {})).toBe(
      '{"metric":"sys.cpu.user","timestamp":1356998400,"value":42.5,"tags":{"host":"web01","cpu":"0"}},',
    );
    expect(read(encodeOne(line, {})!)).toEqual(read(pointEntry(line, {})!));
  });

  it('drops the leading zeros of a timestamp and keeps the value as written', () => {
    expect(encodeOne('put m 0001356998400 -0.50 a=b', {})).toBe(
      '{"metric":"m","timestamp":1356998400,"value":-0.50,"tags":{"a":"b"}},',
    );
  });

  it('leaves values that are not JSON numbers, errors and unusual forms to the parser', () => {
    for (const line of [
      'put m 1356998400 007 a=b',
      'put m 1356998400 5. a=b',
      'put m 1356998400 .5 a=b',
      'put m 1356998400 1e5 a=b',
      'put m 1356998400 1 a=b a=c',
      'put m 1356998400 1',
      'put m  1356998400 1 a=b',
      'put m 1356998400 x a=b',
      'put mé 1356998400 1 a=b',
    ]) {
      expect(encodeOne(line, {}), line).toBeUndefined();
    }
  });

  it('takes nothing when extraChars allows a character JSON must escape', () => {
    const line = 'put m 1356998400 1 a=b';
    expect(encodeOne(line, { extraChars: ':' })).toBeDefined();
    expect(encodeOne(line, { extraChars: '"' })).toBeUndefined();
    expect(encodeOne(line, { extraChars: '\\' })).toBeUndefined();
  });

  it('a batch: one entry per line, in order, ending where each line’s entry ends', () => {
    const lines = Array.from(
      { length: 500 },
      (_, i) => `put m.${i % 7} ${1_700_000_000 + i} ${i} k=v${i} h=${'x'.repeat(i % 40)}y`,
    );
    const { data, ends, count } = encoded(lines);
    const out = new JsonLineEncoder({}).encode(data, ends, count)!;
    expect(out.ends).toHaveLength(500);
    let start = 0;
    for (let i = 0; i < 500; i++) {
      expect(out.data.toString('latin1', start, out.ends[i])).toBe(encodeOne(lines[i]!, {}));
      start = out.ends[i]!;
    }
    expect(start).toBe(out.data.length);
    // One line it does not take sends the whole batch to the parser.
    const mixed = encoded([...lines.slice(0, 3), 'put m 1700000000 007 a=b']);
    expect(new JsonLineEncoder({}).encode(mixed.data, mixed.ends, mixed.count)).toBeUndefined();
  });

  it('grows its buffer for lines with many short tags', () => {
    const tags = Array.from({ length: 30 }, (_, t) => `k${t}=v`).join(' ');
    const lines = Array.from({ length: 300 }, (_, i) => `put m ${1_700_000_000 + i} ${i} ${tags}`);
    const { data, ends, count } = encoded(lines);
    const out = new JsonLineEncoder({ maxTags: 30 }).encode(data, ends, count)!;
    expect(out.data.length).toBeGreaterThan(data.length + count * 80);
    let start = 0;
    for (let i = 0; i < count; i++) {
      expect(read(out.data.toString('latin1', start, out.ends[i]))).toEqual(
        read(pointEntry(lines[i]!, { maxTags: 30 })!),
      );
      start = out.ends[i]!;
    }
  });

  it('property: whatever it takes is exactly the entry of the point parsePutLine reads', () => {
    const optionSets: ProtocolOptions[] = [{}, { tagsOptional: true, maxTags: 3 }, { extraChars: 'é:' }];
    fc.assert(
      fc.property(messy, fc.constantFrom(...optionSets), (line, options) => {
        const mine = encodeOne(line, options);
        if (mine === undefined) return;
        const theirs = pointEntry(line, options);
        expect(theirs, `taken but the point path refuses: ${line}`).toBeDefined();
        expect(read(mine)).toEqual(read(theirs!));
      }),
      { numRuns: 20_000 },
    );
  });

  it('property: random bytes never throw; what is taken parses as JSON entries', () => {
    const encoder = new JsonLineEncoder({ tagsOptional: true });
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b.map((x) => (x === 10 ? 32 : x)))),
            fc.constantFrom('m 1 1', 'm 1700000000 -0.5 a=b', 'm 01 1 a=b c=d').map((t) => Buffer.from(t)),
          ),
          { minLength: 1, maxLength: 8 },
        ),
        (bodies) => {
          const lines = bodies.map((b) => Buffer.concat([Buffer.from('put '), b, Buffer.from('\n')]));
          const data = Buffer.concat(lines);
          const ends: number[] = [];
          let at = 0;
          for (const l of lines) ends.push((at += l.length));
          const out = encoder.encode(data, ends, lines.length);
          if (out === undefined) return;
          const body = `[${out.data.toString('latin1', 0, out.data.length - 1)}]`;
          expect(JSON.parse(body)).toHaveLength(lines.length);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('property: plainly written points are taken (the fast path is the common one)', () => {
    fc.assert(
      fc.property(
        word(NAME, 20).filter((m) => m.length > 0),
        fc.integer({ min: 1, max: 9_999_999_999 }),
        fc.oneof(
          fc.integer(),
          fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => Number(v.toFixed(3))),
        ),
        fc.uniqueArray(
          fc.tuple(
            word(NAME, 8).filter((k) => k.length > 0),
            word(NAME, 8).filter((v) => v.length > 0),
          ),
          {
            minLength: 1,
            maxLength: 8,
            selector: ([k]) => k,
          },
        ),
        (metric, ts, value, tags) => {
          const line = `put ${metric} ${ts} ${value} ${tags.map(([k, v]) => `${k}=${v}`).join(' ')}`;
          const mine = encodeOne(line, {});
          expect(mine, line).toBeDefined();
          expect(read(mine!)).toEqual(read(pointEntry(line, {})!));
        },
      ),
      { numRuns: 3_000 },
    );
  });
});
