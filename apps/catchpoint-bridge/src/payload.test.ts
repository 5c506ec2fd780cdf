import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixture, PUSH_FIXTURES } from '../test/fixtures.js';
import { parseAsn, parsePush } from './payload.js';

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
