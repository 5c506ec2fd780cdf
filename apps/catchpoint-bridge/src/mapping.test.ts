import { validatePoint } from '@otsdb/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMapper } from './mapping.js';
import { ALL_NODE_TAGS, DEFAULT_MAPPING, type MappingOptions } from './mapping-options.js';
import type { NodeInfo } from './node-info.js';
import { parsePush } from './payload.js';

const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 20 }));
const leaf = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  text,
  fc.constantFrom('12', '1e3', 'True'),
);
const section = fc.dictionary(
  text,
  fc.oneof(leaf, fc.dictionary(text, fc.oneof(leaf, fc.dictionary(text, leaf)))),
  {
    maxKeys: 12,
  },
);

const pushBody = fc.record({
  TestId: fc.nat({ max: 10_000_000 }),
  NodeId: fc.nat({ max: 100_000 }),
  Asn: fc.oneof(fc.integer(), text, fc.constant(undefined)),
  Summary: fc.record({
    Timestamp: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }).map((ms) => {
      const d = new Date(ms);
      const p = (n: number, w: number) => String(n).padStart(w, '0');
      return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1, 2)}${p(d.getUTCDate(), 2)}${p(d.getUTCHours(), 2)}${p(d.getUTCMinutes(), 2)}${p(d.getUTCSeconds(), 2)}${p(d.getUTCMilliseconds(), 3)}`;
    }),
    Timing: section,
    Error: fc.dictionary(text, fc.oneof(fc.boolean(), fc.constantFrom('True', 'False'), fc.integer(), text), {
      maxKeys: 8,
    }),
    Byte: section,
    Counter: section,
    Ping: section,
  }),
});

const node: fc.Arbitrary<NodeInfo | undefined> = fc.option(
  fc.record(
    {
      id: fc.nat(),
      asn: fc.integer({ min: 1, max: 4_294_967_295 }),
      city: text,
      country: text,
      region: text,
      continent: text,
      isp: text,
      networkType: text,
    },
    { requiredKeys: ['id'] },
  ),
  { nil: undefined },
);

const options: fc.Arbitrary<MappingOptions> = fc.record({
  mode: fc.constantFrom('default' as const, 'ns1' as const),
  maxTags: fc.integer({ min: 1, max: 12 }),
  nodeTags: fc.shuffledSubarray(ALL_NODE_TAGS),
  unknownValue: fc.constantFrom('unknown', 'n_a'),
  extraChars: fc.constantFrom('', ' ', ':,'),
  maxPointsPerPush: fc.integer({ min: 1, max: 1000 }),
});

describe('every mapped point is one a TSD accepts', () => {
  it('whatever the push, the node metadata and the options', () => {
    fc.assert(
      fc.property(pushBody, node, options, (body, n, o) => {
        const parsed = parsePush(body);
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        const { points, truncated } = createMapper(o)(parsed.push, n);
        expect(points.length).toBeLessThanOrEqual(o.maxPointsPerPush);
        expect(points.length + truncated).toBeGreaterThan(0);
        for (const p of points) {
          const error = validatePoint(p, { maxTags: o.maxTags, extraChars: o.extraChars });
          expect(error, `${p.metric} ${JSON.stringify(p.tags)}`).toBeUndefined();
          expect(p.timestamp).toBe(parsed.push.timestamp);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('the default mode always says whether the run succeeded', () => {
    fc.assert(
      fc.property(pushBody, node, (body, n) => {
        const parsed = parsePush(body);
        if (!parsed.ok) return;
        const { points } = createMapper(DEFAULT_MAPPING)(parsed.push, n);
        expect(points[0]!.metric).toBe('catchpoint.run');
        expect(['ok', 'error']).toContain(points[0]!.tags['status']);
      }),
      { numRuns: 300 },
    );
  });
});
