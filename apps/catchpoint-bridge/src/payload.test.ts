import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixture, PUSH_FIXTURES } from '../test/fixtures.js';
import { parseAsn, parsePush, parsePushBySchema } from './payload.js';

const minimal = () => ({ TestId: 1, NodeId: 2, Summary: { Timestamp: '20240502120449609' } });

describe('parsePush', () => {
  it.each(PUSH_FIXTURES)('accepts the %s fixture', (name) => {
    expect(parsePush(fixture(name)).ok).toBe(true);
  });

  it('reads the fields the mapping uses and ignores the rest', () => {
    const r = parsePush(fixture('web'));
    expect(r).toEqual({
      ok: true,
      push: {
        testId: 1216003,
        nodeId: 1001,
        timestamp: Date.UTC(2024, 4, 2, 12, 4, 49, 609),
        nodeName: 'New York, US - Level3',
        asn: 3356,
        testName: 'Homepage - www.example.com',
        testTypeId: 0,
        monitorTypeId: 2,
        timing: expect.objectContaining({ Total: 842, DocumentComplete: 1534 }),
        error: expect.objectContaining({ Any: false }),
        byte: expect.objectContaining({ Response: { Content: 48213, Header: 612 } }),
        counter: expect.objectContaining({ Request: 74 }),
        ping: undefined,
      },
    });
  });

  it('takes ids written as strings of digits', () => {
    const r = parsePush(fixture('transaction'));
    expect(r.ok && r.push.testId).toBe(777001);
    expect(r.ok && r.push.nodeId).toBe(1001);
  });

  it('needs only TestId, NodeId and Summary.Timestamp', () => {
    const r = parsePush(minimal());
    expect(r).toEqual({
      ok: true,
      push: expect.objectContaining({ testId: 1, nodeId: 2, timing: undefined }),
    });
  });

  it.each([
    [{ NodeId: 2, Summary: { Timestamp: '20240502120449609' } }, 'TestId', 'TestId: missing'],
    [{ TestId: 1, Summary: { Timestamp: '20240502120449609' } }, 'NodeId', 'NodeId: missing'],
    [{ TestId: 1, NodeId: 2 }, 'Summary', 'Summary: missing'],
    [{ TestId: 1, NodeId: 2, Summary: {} }, 'Summary.Timestamp', 'Summary.Timestamp: missing'],
    [{ ...minimal(), TestId: 'abc' }, 'TestId', 'TestId: expected a non-negative integer'],
    [{ ...minimal(), TestId: 1.5 }, 'TestId', 'TestId: '],
    [{ ...minimal(), NodeId: -3 }, 'NodeId', 'NodeId: '],
    [{ ...minimal(), NodeId: null }, 'NodeId', 'NodeId: expected a non-negative integer'],
    [{ ...minimal(), Summary: 'x' }, 'Summary', 'Summary: expected a JSON object'],
    [
      { ...minimal(), Summary: { Timestamp: 20240502120449 } },
      'Summary.Timestamp',
      'Summary.Timestamp: expected a string',
    ],
    [{ ...minimal(), Summary: { Timestamp: '2024-05-02' } }, 'Summary.Timestamp', 'expected 17 digits'],
    [
      { ...minimal(), Summary: { Timestamp: '20240532120449609' } },
      'Summary.Timestamp',
      'not a valid UTC date',
    ],
    [
      { ...minimal(), Summary: { Timestamp: '20240502120449609', Timing: [1, 2] } },
      'Summary.Timing',
      'Summary.Timing: expected a JSON object',
    ],
    [
      { ...minimal(), Summary: { Timestamp: '20240502120449609', Error: 'boom' } },
      'Summary.Error',
      'Summary.Error: expected a JSON object',
    ],
  ])('refuses %j naming %s', (body, field, message) => {
    const r = parsePush(body);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('invalid_payload');
      expect(r.error.field).toBe(field);
      expect(r.error.message).toContain(message);
    }
  });

  it.each([null, 42, 'text', [], [minimal()]])('refuses a body that is not one object: %j', (body) => {
    const r = parsePush(body);
    expect(r).toEqual({ ok: false, error: expect.objectContaining({ field: '(body)' }) });
  });

  it('ignores descriptive fields of the wrong type instead of refusing the push', () => {
    const r = parsePush({
      ...minimal(),
      NodeName: 7,
      TestDetail: { Name: ['x'], TypeId: 'web' },
      Asn: { odd: true },
    });
    expect(r).toEqual({
      ok: true,
      push: expect.objectContaining({
        nodeName: undefined,
        testName: undefined,
        testTypeId: undefined,
        asn: undefined,
      }),
    });
  });

  it('treats a null section as absent', () => {
    const r = parsePush({
      ...minimal(),
      Summary: { Timestamp: '20240502120449609', Error: null, Timing: null },
    });
    expect(r).toEqual({ ok: true, push: expect.objectContaining({ error: undefined, timing: undefined }) });
  });

  it('never throws, whatever the JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = parsePush(v);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
    // Objects shaped like a push, with random members.
    fc.assert(
      fc.property(
        fc.record({
          TestId: fc.jsonValue(),
          NodeId: fc.jsonValue(),
          Summary: fc.oneof(fc.jsonValue(), fc.record({ Timestamp: fc.jsonValue(), Timing: fc.jsonValue() })),
        }),
        (v) => {
          const r = parsePush(v);
          if (!r.ok) expect(r.error.message.startsWith(`${r.error.field}: `)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

/**
 * parsePush reads the usual shape by hand and hands everything else to the zod schema; the
 * schema is the definition. These hold the hand-written path to it: same result, every field,
 * on every input, and the fast path really taken for pushes as Catchpoint sends them (it keeps
 * the sections as parsed, where the schema copies them).
 */
describe('parsePush fast path', () => {
  const fastPathTook = (body: unknown, r: ReturnType<typeof parsePush>): boolean => {
    const summary = (body as { Summary?: Record<string, unknown> }).Summary;
    if (!r.ok || summary === undefined) return false;
    const { timing, error, byte, counter, ping } = r.push;
    return (
      (timing !== undefined && timing === summary['Timing']) ||
      (error !== undefined && error === summary['Error']) ||
      (byte !== undefined && byte === summary['Byte']) ||
      (counter !== undefined && counter === summary['Counter']) ||
      (ping !== undefined && ping === summary['Ping'])
    );
  };

  it.each(PUSH_FIXTURES)("takes the %s fixture by the fast path, with the schema's result", (name) => {
    const body = fixture(name);
    const r = parsePush(body);
    expect(r).toStrictEqual(parsePushBySchema(body));
    expect(fastPathTook(body, r)).toBe(true);
  });

  it.each([
    [
      'a section with an own __proto__ key',
      '{"TestId":1,"NodeId":2,"Summary":{"Timestamp":"20240502120449609","Timing":{"__proto__":{"Total":5},"Dns":3}}}',
    ],
    [
      'a section with a constructor key',
      '{"TestId":1,"NodeId":2,"Summary":{"Timestamp":"20240502120449609","Timing":{"constructor":5,"Dns":3}}}',
    ],
    [
      'a body with an own __proto__ key',
      '{"__proto__":{"TestId":9},"TestId":1,"NodeId":2,"Summary":{"Timestamp":"20240502120449609"}}',
    ],
    ['-0 as an id', '{"TestId":-0,"NodeId":2,"Summary":{"Timestamp":"20240502120449609"}}'],
    [
      'the largest safe id',
      '{"TestId":9007199254740991,"NodeId":"000000000000001","Summary":{"Timestamp":"20240502120449609"}}',
    ],
    [
      'an id past the safe range',
      '{"TestId":9007199254740992,"NodeId":2,"Summary":{"Timestamp":"20240502120449609"}}',
    ],
    [
      '16 digits as an id',
      '{"TestId":"1234567890123456","NodeId":2,"Summary":{"Timestamp":"20240502120449609"}}',
    ],
    [
      'a long node name',
      `{"TestId":1,"NodeId":2,"NodeName":"${'x'.repeat(1025)}","Summary":{"Timestamp":"20240502120449609"}}`,
    ],
    [
      'a node name of 1024 characters',
      `{"TestId":1,"NodeId":2,"NodeName":"${'x'.repeat(1024)}","Summary":{"Timestamp":"20240502120449609"}}`,
    ],
    [
      'TestDetail as an array',
      '{"TestId":1,"NodeId":2,"TestDetail":[1],"Summary":{"Timestamp":"20240502120449609"}}',
    ],
    [
      'TestDetail null',
      '{"TestId":1,"NodeId":2,"TestDetail":null,"Summary":{"Timestamp":"20240502120449609"}}',
    ],
    [
      'a float TypeId',
      '{"TestId":1,"NodeId":2,"TestDetail":{"Name":"n","TypeId":1.5,"MonitorTypeId":1e300},"Summary":{"Timestamp":"20240502120449609"}}',
    ],
    ['Summary as an array', '{"TestId":1,"NodeId":2,"Summary":["20240502120449609"]}'],
  ])('agrees with the schema on %s', (_, text) => {
    const body = JSON.parse(text) as unknown;
    expect(parsePush(body)).toStrictEqual(parsePushBySchema(body));
  });

  const timestamp = fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .date({
          min: new Date(Date.UTC(1970, 0, 1)),
          max: new Date(Date.UTC(9999, 11, 31)),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString().replace(/\D/g, '').slice(0, 17)),
    },
    fc.stringMatching(/^\d{17}$/),
    fc.jsonValue(),
  );
  const id = fc.oneof(
    { weight: 8, arbitrary: fc.nat() },
    fc.integer(),
    fc.double(),
    fc.constantFrom(-0, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 2 ** 53 + 2),
    fc.stringMatching(/^\d{1,17}$/),
    fc.stringMatching(/^\s?[0-9a-f-]{0,5}\s?$/),
    fc.jsonValue(),
  );
  const member = fc.oneof(
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.stringMatching(/^\s?-?\d{0,4}(\.\d{0,2})?\s?$/),
    fc.constantFrom('True', 'false', ' TRUE ', null, true, false, [], {}),
    fc.jsonValue({ maxDepth: 2 }),
  );
  const keys = fc.oneof(
    fc.constantFrom(
      'Total',
      'Dns',
      'ContentType',
      'Any',
      'Code',
      'code',
      '__proto__',
      'constructor',
      '0',
      '1e3',
    ),
    fc.string({ maxLength: 12 }),
  );
  const section = fc.oneof(
    { weight: 4, arbitrary: fc.dictionary(keys, member, { maxKeys: 8 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    { weight: 1, arbitrary: fc.constantFrom(null, undefined) },
  );
  const text = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.jsonValue({ maxDepth: 1 }),
    fc.constant('y'.repeat(1025)),
  );
  const int = fc.oneof(fc.integer(), fc.double(), fc.jsonValue({ maxDepth: 1 }));
  const push = fc.record(
    {
      TestId: id,
      NodeId: id,
      NodeName: text,
      Asn: fc.oneof(fc.integer(), fc.stringMatching(/^(AS)?\d{1,11}$/), fc.jsonValue({ maxDepth: 1 })),
      TestDetail: fc.oneof(
        fc.record({ Name: text, TypeId: int, MonitorTypeId: int }, { requiredKeys: [] }),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      Summary: fc.oneof(
        {
          weight: 6,
          arbitrary: fc.record(
            {
              Timestamp: timestamp,
              Timing: section,
              Error: section,
              Byte: section,
              Counter: section,
              Ping: section,
            },
            { requiredKeys: [] },
          ),
        },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
      ),
    },
    { requiredKeys: ['TestId', 'NodeId', 'Summary'] },
  );

  it("gives the schema's result (accepted or refused, every field) on any push-shaped body", () => {
    let fast = 0;
    let refused = 0;
    fc.assert(
      fc.property(push, (raw) => {
        // Through JSON text, as the webhook gets it: `__proto__` keys become own properties.
        const body = JSON.parse(JSON.stringify(raw)) as unknown;
        const r = parsePush(body);
        expect(r).toStrictEqual(parsePushBySchema(body));
        if (fastPathTook(body, r)) fast++;
        if (!r.ok) refused++;
      }),
      { numRuns: 5000 },
    );
    // Both paths were exercised, or the comparison above proves nothing.
    expect(fast).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(200);
  });

  it("gives the schema's result on any JSON value and on objects it did not build", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (v) => {
        expect(parsePush(v)).toStrictEqual(parsePushBySchema(v));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('parseAsn', () => {
  it.each([
    [4837, 4837],
    ['4837', 4837],
    ['AS4837', 4837],
    ['as3356', 3356],
    [' AS1299 ', 1299],
    [0, undefined],
    [-1, undefined],
    [1.5, undefined],
    ['ASX', undefined],
    ['', undefined],
    [4294967296, undefined],
    [null, undefined],
    [{ value: 'AS1' }, undefined],
  ])('%j -> %j', (v, expected) => {
    expect(parseAsn(v)).toBe(expected);
  });
});
