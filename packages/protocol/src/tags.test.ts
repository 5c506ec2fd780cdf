import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { DataPoint, Tags } from './data-point.js';
import { formatCollectorLine, formatPutLine } from './format.js';
import { datapointEcho, decodePutBody, encodePutBody } from './put-body.js';
import { parseCollectorLine, parsePutLine } from './put-line.js';
import { seriesKey } from './series-key.js';
import { createTags, plainOwnKeysOnly } from './tags.js';
import { validatePoint } from './validate-point.js';

/** Names Object.prototype defines: all are valid OpenTSDB tag keys and must stay ordinary keys. */
const OBJECT_KEYS = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
] as const;

/** `{ [k]: v }` defines an own property even for `__proto__` (a computed key is never a setter). */
function tagsOf(...pairs: Array<[string, string]>): Tags {
  const tags: Tags = {};
  for (const [k, v] of pairs) Object.defineProperty(tags, k, { value: v, enumerable: true, writable: true });
  return tags;
}

function ownEntries(tags: Tags): Array<[string, string]> {
  return Object.keys(tags).map((k) => [k, tags[k]!]);
}

describe('keys named like Object.prototype members are ordinary tag keys', () => {
  describe.each(OBJECT_KEYS)('%s', (key) => {
    const line = `put m 1356998400 1 ${key}=x host=a`;

    it('parses from a put line and a collector line', () => {
      for (const r of [parsePutLine(line), parseCollectorLine(line.slice(4))]) {
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(ownEntries(r.point.tags).sort()).toEqual(ownEntries(tagsOf([key, 'x'], ['host', 'a'])).sort());
        expect(Object.hasOwn(r.point.tags, key)).toBe(true);
        expect(r.point.tags[key]).toBe('x');
      }
    });

    it('parses from a line the rules read (extra spaces) and from a refused line', () => {
      const r = parsePutLine(`put m 1356998400 1 ${key}=x  host=a `);
      expect(r.ok && ownEntries(r.point.tags).length).toBe(2);
      const bad = parsePutLine(`put m 1356998400 1 ${key}=x ${key}=y`);
      expect(!bad.ok && bad.error.message).toBe(`duplicate tag: ${key}=y, tags={${key}=x}`);
    });

    it('formats, validates, keys and round-trips', () => {
      const r = parsePutLine(line);
      if (!r.ok) throw new Error(r.error.message);
      const p = r.point;
      expect(formatPutLine(p)).toBe(
        key < 'host' ? `put m 1356998400 1 ${key}=x host=a` : `put m 1356998400 1 host=a ${key}=x`,
      );
      expect(validatePoint(p)).toBeUndefined();
      expect(seriesKey(p.metric, p.tags)).toBe(key < 'host' ? `m{${key}=x,host=a}` : `m{host=a,${key}=x}`);
      const again = parsePutLine(formatPutLine(p));
      expect(again.ok && ownEntries(again.point.tags)).toEqual(ownEntries(p.tags));
    });

    it('validates and formats a caller-built plain object holding the key', () => {
      const p: DataPoint = { metric: 'm', timestamp: 1, value: 1, tags: tagsOf([key, 'x']) };
      expect(validatePoint(p)).toBeUndefined();
      expect(formatCollectorLine(p)).toBe(`m 1 1 ${key}=x`);
      expect(seriesKey('m', p.tags)).toBe(`m{${key}=x}`);
      const bad = validatePoint({ ...p, tags: tagsOf([key, 'x y']) });
      expect(bad?.code).toBe('invalid_tag');
    });

    it('goes through JSON both ways', () => {
      const body = `[{"metric":"m","timestamp":1,"value":1,"tags":{"${key}":"x","host":"a"}}]`;
      const r = decodePutBody(body);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const p = r.points[0]!;
      expect(ownEntries(p.tags).sort()).toEqual(ownEntries(tagsOf([key, 'x'], ['host', 'a'])).sort());
      expect(JSON.parse(encodePutBody([p]))[0].tags).toEqual(JSON.parse(body)[0].tags);
      expect(ownEntries(datapointEcho(p).tags as Tags).sort()).toEqual(ownEntries(p.tags).sort());
    });

    it('is echoed in the details of a refused JSON entry', () => {
      const r = decodePutBody(`[{"metric":"m","timestamp":1,"value":"x","tags":{"${key}":"x"}}]`);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const echo = r.errors[0]!.datapoint as { tags: Tags };
      expect(ownEntries(echo.tags)).toEqual([[key, 'x']]);
      expect(JSON.stringify(echo)).toContain(`"${key}":"x"`);
    });
  });

  it('keys a line does not name read as undefined, not as inherited functions', () => {
    const r = parsePutLine('put m 1356998400 1 host=a');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    for (const key of OBJECT_KEYS) expect(r.point.tags[key]).toBeUndefined();
    const j = decodePutBody('{"metric":"m","timestamp":1,"value":1,"tags":{"host":"a"}}');
    expect(j.ok && j.points[0]!.tags.constructor).toBeUndefined();
  });

  it('createTags makes an empty object in which __proto__ is stored as a key', () => {
    const tags = createTags();
    expect(Object.keys(tags)).toEqual([]);
    tags.__proto__ = 'x';
    expect(Object.keys(tags)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(Object.getPrototypeOf(tags))).toBeNull();
    expect(Object.isFrozen(Object.getPrototypeOf(tags))).toBe(true);
    expect(plainOwnKeysOnly(tags)).toBe(true);
  });
});

describe('a polluted Object.prototype never reaches parsed or written points', () => {
  afterEach(() => {
    delete (Object.prototype as Record<string, unknown>).polluted;
  });

  it('parsed tags do not inherit it; formatters and encoders write own keys only', () => {
    (Object.prototype as Record<string, unknown>).polluted = 'evil\nput x 1 1 a=b';
    const r = parsePutLine('put m 1356998400 1 host=a');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect('polluted' in r.point.tags).toBe(false);
    const plain: DataPoint = { metric: 'm', timestamp: 1, value: 1, tags: { host: 'a' } };
    expect(formatPutLine(plain)).toBe('put m 1 1 host=a');
    expect(encodePutBody([plain])).toBe('[{"metric":"m","timestamp":1,"value":1,"tags":{"host":"a"}}]');
    expect(seriesKey('m', plain.tags)).toBe('m{host=a}');
    expect(validatePoint(plain)).toBeUndefined();
  });
});

describe('properties', () => {
  const CHARS = [...'abcxyzABC019-_./', 'é'];
  const name = fc.array(fc.constantFrom(...CHARS), { minLength: 1, maxLength: 8 }).map((a) => a.join(''));
  const key = fc.oneof(
    { weight: 3, arbitrary: name },
    { weight: 2, arbitrary: fc.constantFrom(...OBJECT_KEYS) },
  );
  const pairs = fc.uniqueArray(fc.tuple(key, name), { minLength: 1, maxLength: 8, selector: ([k]) => k });
  const point = fc.record({
    metric: name,
    timestamp: fc.integer({ min: 1, max: 9999999999999 }),
    value: fc.integer(),
    tags: pairs.map((p) => tagsOf(...p)),
  });

  it('parse(format(point)) keeps every tag, validates, and encodes/decodes to the same tags', () => {
    fc.assert(
      fc.property(point, (p) => {
        expect(validatePoint(p)).toBeUndefined();
        const expected = ownEntries(p.tags).sort();
        const line = parsePutLine(formatPutLine(p));
        const collector = parseCollectorLine(formatCollectorLine(p));
        const json = decodePutBody(encodePutBody([p]));
        for (const r of [line, collector]) {
          expect(r.ok).toBe(true);
          if (r.ok) expect(ownEntries(r.point.tags).sort()).toEqual(expected);
        }
        expect(json.ok && ownEntries(json.points[0]!.tags).sort()).toEqual(expected);
        if (line.ok) {
          expect(seriesKey(line.point.metric, line.point.tags)).toBe(seriesKey(p.metric, p.tags));
        }
      }),
      { numRuns: 500 },
    );
  });
});
