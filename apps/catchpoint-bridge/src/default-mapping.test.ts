import type { DataPoint, Tags } from '@otsdb/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixture, fixtureNodes, type PushFixture } from '../test/fixtures.js';
import { mapDefault, TagSets } from './default-mapping.js';
import { DEFAULT_MAPPING, type MappingOptions } from './mapping-options.js';
import type { NodeInfo } from './node-info.js';
import { type CatchpointPush, parsePush } from './payload.js';

const nodes = new Map(fixtureNodes().map((n) => [n.id, n]));

function push(name: PushFixture): CatchpointPush {
  const r = parsePush(fixture(name));
  if (!r.ok) throw new Error(r.error.message);
  return r.push;
}

function map(name: PushFixture, options: Partial<MappingOptions> = {}, node?: NodeInfo | null) {
  const p = push(name);
  const n = node === null ? undefined : (node ?? nodes.get(p.nodeId));
  return mapDefault(p, n, { ...DEFAULT_MAPPING, ...options });
}

const pt = (metric: string, timestamp: number, value: number, tags: Tags): DataPoint => ({
  metric,
  timestamp,
  value,
  tags,
});

describe('default mapping, per recorded push', () => {
  it('web test run: every timing, the run, each error flag, bytes and counters', () => {
    const ts = Date.UTC(2024, 4, 2, 12, 4, 49, 609);
    // Own tags first, then test_id, node_id, asn, city, country, region, continent, isp: 8 at most.
    const base7 = {
      test_id: '1216003',
      node_id: '1001',
      asn: '3356',
      city: 'New_York',
      country: 'United_States',
      region: 'New_York',
      continent: 'North_America',
    };
    const all = { ...base7, isp: 'Lumen_Level_3' };
    expect(map('web')).toEqual({
      truncated: 0,
      points: [
        pt('catchpoint.run', ts, 1, { status: 'ok', ...base7 }),
        pt('catchpoint.timing.total', ts, 842, all),
        pt('catchpoint.timing.dns', ts, 12, all),
        pt('catchpoint.timing.connect', ts, 9, all),
        pt('catchpoint.timing.ssl', ts, 31, all),
        pt('catchpoint.timing.send', ts, 1, all),
        pt('catchpoint.timing.wait', ts, 118, all),
        pt('catchpoint.timing.load', ts, 57, all),
        pt('catchpoint.timing.content_load', ts, 611, all),
        pt('catchpoint.timing.document_complete', ts, 1534, all),
        pt('catchpoint.timing.render_start', ts, 402, all),
        pt('catchpoint.timing.client', ts, 96, all),
        pt('catchpoint.timing.redirect', ts, 0, all),
        pt('catchpoint.error', ts, 0, { type: 'any', ...base7 }),
        pt('catchpoint.error', ts, 0, { type: 'dns', ...base7 }),
        pt('catchpoint.error', ts, 0, { type: 'connection', ...base7 }),
        pt('catchpoint.error', ts, 0, { type: 'load', ...base7 }),
        pt('catchpoint.error', ts, 0, { type: 'timeout', ...base7 }),
        pt('catchpoint.error', ts, 0, { type: 'transaction', ...base7 }),
        pt('catchpoint.byte.response.content', ts, 48213, all),
        pt('catchpoint.byte.response.header', ts, 612, all),
        pt('catchpoint.byte.total.content', ts, 1267540, all),
        pt('catchpoint.byte.total.header', ts, 41870, all),
        pt('catchpoint.counter.request', ts, 74, all),
        pt('catchpoint.counter.connection', ts, 18, all),
        pt('catchpoint.counter.host', ts, 11, all),
        pt('catchpoint.counter.redirection', ts, 1, all),
        pt('catchpoint.counter.failed_request', ts, 0, all),
        pt('catchpoint.counter.cached', ts, 0, all),
      ],
    });
  });

  it('DNS test run: only the timings it has', () => {
    const ts = Date.UTC(2024, 4, 2, 12, 6, 17, 42);
    const base7 = {
      test_id: '98765',
      node_id: '312',
      asn: '4837',
      city: 'Jinan',
      country: 'China',
      region: 'Shandong',
      continent: 'Asia',
    };
    const all = { ...base7, isp: 'China_Unicom' };
    expect(map('dns').points).toEqual([
      pt('catchpoint.run', ts, 1, { status: 'ok', ...base7 }),
      pt('catchpoint.timing.total', ts, 158, all),
      pt('catchpoint.timing.dns', ts, 158, all),
      pt('catchpoint.error', ts, 0, { type: 'any', ...base7 }),
    ]);
  });

  it('ping test run: round trip times and packet loss; metadata the node list lacks says unknown', () => {
    const ts = Date.UTC(2024, 4, 2, 12, 10, 2, 500);
    // Node 2050 has no region and no ISP in the v1 list.
    const base7 = {
      test_id: '55501',
      node_id: '2050',
      asn: '1299',
      city: 'Frankfurt_am_Main',
      country: 'Germany',
      region: 'unknown',
      continent: 'Europe',
    };
    const all = { ...base7, isp: 'unknown' };
    expect(map('ping').points).toEqual([
      pt('catchpoint.run', ts, 1, { status: 'ok', ...base7 }),
      pt('catchpoint.timing.total', ts, 36, all),
      pt('catchpoint.error', ts, 0, { type: 'any', ...base7 }),
      pt('catchpoint.ping.round_trip_time_avg', ts, 11.4, all),
      pt('catchpoint.ping.round_trip_time_min', ts, 10.9, all),
      pt('catchpoint.ping.round_trip_time_max', ts, 12.3, all),
      pt('catchpoint.ping.packet_loss', ts, 25, all),
      pt('catchpoint.ping.packets_sent', ts, 4, all),
      pt('catchpoint.ping.packets_received', ts, 3, all),
    ]);
  });

  it('transaction run: numbers written as strings, nested content-type timings, "False" flags', () => {
    const ts = Date.UTC(2024, 4, 2, 12, 15, 33, 1);
    const base7 = {
      test_id: '777001',
      node_id: '1001',
      asn: '3356',
      city: 'New_York',
      country: 'United_States',
      region: 'New_York',
      continent: 'North_America',
    };
    const all = { ...base7, isp: 'Lumen_Level_3' };
    expect(map('transaction').points).toEqual([
      pt('catchpoint.run', ts, 1, { status: 'ok', ...base7 }),
      pt('catchpoint.timing.total', ts, 5120, all),
      pt('catchpoint.timing.dns', ts, 14, all),
      pt('catchpoint.timing.connect', ts, 10, all),
      pt('catchpoint.timing.ssl', ts, 29, all),
      pt('catchpoint.timing.wait', ts, 240, all),
      pt('catchpoint.timing.load', ts, 88, all),
      pt('catchpoint.timing.document_complete', ts, 4890, all),
      pt('catchpoint.timing.client', ts, 1210, all),
      pt('catchpoint.timing.content_type.html', ts, 410, all),
      pt('catchpoint.timing.content_type.script', ts, 1630, all),
      pt('catchpoint.timing.content_type.image', ts, 940, all),
      pt('catchpoint.error', ts, 0, { type: 'any', ...base7 }),
      pt('catchpoint.error', ts, 0, { type: 'transaction', ...base7 }),
      pt('catchpoint.counter.request', ts, 212, all),
      pt('catchpoint.counter.step', ts, 4, all),
    ]);
  });

  it('failed run: status=error, the flags that are set, and the error code as a tag', () => {
    const ts = Date.UTC(2024, 4, 2, 12, 20, 59, 999);
    const base = (n: number) =>
      Object.fromEntries(
        Object.entries({
          test_id: '4242',
          node_id: '312',
          asn: '4837',
          city: 'Jinan',
          country: 'China',
          region: 'Shandong',
          continent: 'Asia',
          isp: 'China_Unicom',
        }).slice(0, n),
      );
    expect(map('error').points).toEqual([
      pt('catchpoint.run', ts, 1, { status: 'error', ...base(7) }),
      // No Total: the run timed out. Missing timings are skipped, not written as zero.
      pt('catchpoint.timing.dns', ts, 21, base(8)),
      pt('catchpoint.timing.connect', ts, 30000, base(8)),
      pt('catchpoint.error', ts, 1, { type: 'any', ...base(7) }),
      pt('catchpoint.error', ts, 0, { type: 'dns', ...base(7) }),
      pt('catchpoint.error', ts, 0, { type: 'connection', ...base(7) }),
      pt('catchpoint.error', ts, 0, { type: 'load', ...base(7) }),
      pt('catchpoint.error', ts, 1, { type: 'timeout', ...base(7) }),
      pt('catchpoint.error', ts, 0, { type: 'transaction', ...base(7) }),
      pt('catchpoint.error', ts, 1, { type: 'code', code: '12002', ...base(6) }),
      pt('catchpoint.byte.response.content', ts, 0, base(8)),
      pt('catchpoint.byte.response.header', ts, 0, base(8)),
    ]);
  });

  it('unknown node: accepted, metadata tagged unknown, ASN from the push itself', () => {
    const ts = Date.UTC(2024, 4, 2, 12, 30, 1, 0);
    const base7 = {
      test_id: '1216003',
      node_id: '99999',
      asn: '37282',
      city: 'unknown',
      country: 'unknown',
      region: 'unknown',
      continent: 'unknown',
    };
    const all = { ...base7, isp: 'unknown' };
    expect(map('unknown-node').points).toEqual([
      pt('catchpoint.run', ts, 1, { status: 'ok', ...base7 }),
      pt('catchpoint.timing.total', ts, 2210, all),
      pt('catchpoint.timing.dns', ts, 80, all),
    ]);
  });
});

describe('default mapping, options', () => {
  it('follows the configured node tags and their order', () => {
    const r = map('dns', { nodeTags: ['country', 'network_type'] });
    expect(r.points[1]!.tags).toEqual({
      test_id: '98765',
      node_id: '312',
      country: 'China',
      network_type: 'Backbone',
    });
  });

  it('never writes more tags than max_tags, dropping node tags last-first', () => {
    for (let maxTags = 1; maxTags <= 10; maxTags++) {
      for (const p of map('error', { maxTags }).points) {
        expect(Object.keys(p.tags).length).toBeLessThanOrEqual(maxTags);
      }
    }
    expect(map('dns', { maxTags: 3 }).points[0]!.tags).toEqual({
      status: 'ok',
      test_id: '98765',
      node_id: '312',
    });
    expect(map('dns', { maxTags: 3 }).points[1]!.tags).toEqual({
      test_id: '98765',
      node_id: '312',
      asn: '4837',
    });
  });

  it('uses the configured placeholder', () => {
    const r = map('unknown-node', { unknownValue: 'n_a', nodeTags: ['city'] });
    expect(r.points[1]!.tags).toEqual({ test_id: '1216003', node_id: '99999', city: 'n_a' });
  });

  it('caps the points per push and counts the rest', () => {
    const r = map('web', { maxPointsPerPush: 5 });
    expect(r.points).toHaveLength(5);
    expect(r.truncated).toBe(24);
  });

  it('writes one series once even when two keys name it', () => {
    const p = push('dns');
    p.timing = { Total: 5, total: 6, DNSError: 1, DnsError: 2 };
    const r = mapDefault(p, nodes.get(312), DEFAULT_MAPPING);
    expect(
      r.points.filter((x) => x.metric.startsWith('catchpoint.timing')).map((x) => [x.metric, x.value]),
    ).toEqual([
      ['catchpoint.timing.total', 5],
      ['catchpoint.timing.dns_error', 1],
    ]);
  });

  it('skips values that are not numbers and nesting deeper than three levels', () => {
    const p = push('dns');
    p.timing = {
      Total: 'n/a',
      Dns: null,
      Wait: true,
      Ssl: [1],
      Load: Number.NaN,
      Deep: { A: { B: { C: 1 } }, D: 2 },
    };
    const r = mapDefault(p, nodes.get(312), DEFAULT_MAPPING);
    expect(r.points.filter((x) => x.metric.startsWith('catchpoint.timing')).map((x) => x.metric)).toEqual([
      'catchpoint.timing.deep.d',
    ]);
  });

  it('an error code alone marks the run as failed', () => {
    const p = push('dns');
    p.error = { Code: '404' };
    const r = mapDefault(p, nodes.get(312), { ...DEFAULT_MAPPING, nodeTags: [] });
    expect(r.points[0]).toEqual(
      pt('catchpoint.run', p.timestamp, 1, { status: 'error', test_id: '98765', node_id: '312' }),
    );
    expect(r.points.at(-1)).toEqual(
      pt('catchpoint.error', p.timestamp, 1, { type: 'code', code: '404', test_id: '98765', node_id: '312' }),
    );
  });
});

describe('tags objects shared across pushes (TagSets)', () => {
  const later = (p: CatchpointPush, ms: number): CatchpointPush => ({ ...p, timestamp: p.timestamp + ms });

  it('gives the points of one push, and of later pushes of the same test and node, the same frozen tags', () => {
    const sets = new TagSets(DEFAULT_MAPPING);
    const p = push('web');
    const node = nodes.get(p.nodeId);
    const a = mapDefault(p, node, DEFAULT_MAPPING, sets).points;
    const b = mapDefault(later(p, 60_000), node, DEFAULT_MAPPING, sets).points;
    const timing = a.find((x) => x.metric === 'catchpoint.timing.total')!;
    expect(a.find((x) => x.metric === 'catchpoint.counter.request')!.tags).toBe(timing.tags);
    expect(b.find((x) => x.metric === 'catchpoint.timing.total')!.tags).toBe(timing.tags);
    expect(b[0]!.tags).toBe(a[0]!.tags);
    expect(Object.isFrozen(timing.tags)).toBe(true);
    expect(b).toEqual(mapDefault(later(p, 60_000), node, DEFAULT_MAPPING).points);
  });

  it('builds new tags for a refreshed node, another Asn of an unknown node, and another test', () => {
    const sets = new TagSets(DEFAULT_MAPPING);
    const p = push('web');
    const before = mapDefault(p, nodes.get(p.nodeId), DEFAULT_MAPPING, sets).points[1]!.tags;
    const moved = { ...nodes.get(p.nodeId)!, city: 'Newark' };
    expect(mapDefault(p, moved, DEFAULT_MAPPING, sets).points[1]!.tags).toMatchObject({ city: 'Newark' });
    expect(before).toMatchObject({ city: 'New_York' });
    const unknown = mapDefault({ ...p, asn: 64500 }, undefined, DEFAULT_MAPPING, sets).points[1]!.tags;
    expect(unknown).toMatchObject({ asn: '64500', city: 'unknown' });
    expect(mapDefault({ ...p, asn: 64501 }, undefined, DEFAULT_MAPPING, sets).points[1]!.tags).toMatchObject({
      asn: '64501',
    });
    expect(mapDefault({ ...p, testId: 5 }, moved, DEFAULT_MAPPING, sets).points[1]!.tags).toMatchObject({
      test_id: '5',
      city: 'Newark',
    });
  });

  it('maps every push as without sharing, whatever came before (nodes refreshed, codes and flags varying)', () => {
    const fixtures: PushFixture[] = ['web', 'dns', 'ping', 'transaction', 'error', 'unknown-node'];
    // Each node as listed, and as a refreshed list may give it: another city, no ASN (Asn then counts).
    const nodeVersions: NodeInfo[] = [...nodes.values()].flatMap((n) => {
      const { asn: _asn, ...rest } = n;
      return [n, { ...rest, city: `${n.city ?? ''} 2` }];
    });
    const step = fc.record({
      fixture: fc.constantFrom(...fixtures),
      testId: fc.integer({ min: 1, max: 4 }),
      node: fc.option(fc.constantFrom(...nodeVersions), { nil: undefined }),
      asn: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
      error: fc.option(
        fc.dictionary(
          fc.constantFrom('Any', 'Dns', 'DNS', 'Code', 'Timeout'),
          fc.constantFrom(true, false, '12002', 0),
        ),
        { nil: undefined },
      ),
    });
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 9 }),
        (steps, maxTags) => {
          const options = { ...DEFAULT_MAPPING, maxTags };
          const sets = new TagSets(options);
          for (const s of steps) {
            const p = { ...push(s.fixture), testId: s.testId, asn: s.asn };
            if (s.error !== undefined) p.error = s.error;
            const node = s.node;
            expect(mapDefault(p, node, options, sets)).toEqual(mapDefault(p, node, options));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stays right past its bound', () => {
    const sets = new TagSets(DEFAULT_MAPPING);
    const p = push('dns');
    for (let i = 0; i < TagSets.MAX + 10; i++) {
      const q = { ...p, testId: i % 3, nodeId: Math.floor(i / 3) };
      const r = mapDefault(q, undefined, DEFAULT_MAPPING, sets);
      expect(r.points[1]!.tags).toMatchObject({ test_id: String(i % 3), node_id: String(Math.floor(i / 3)) });
    }
    const q = { ...p, testId: 1, nodeId: 0 };
    expect(mapDefault(q, undefined, DEFAULT_MAPPING, sets)).toEqual(
      mapDefault(q, undefined, DEFAULT_MAPPING),
    );
  });
});
