import type { DataPoint, Tags } from '@otsdb/protocol';
import { describe, expect, it } from 'vitest';
import { fixture, fixtureNodes, type PushFixture } from '../test/fixtures.js';
import { DEFAULT_MAPPING, type MappingOptions } from './mapping-options.js';
import { mapNs1 } from './ns1-mapping.js';
import { parsePush } from './payload.js';

const nodes = new Map(fixtureNodes().map((n) => [n.id, n]));
const NS1: MappingOptions = { ...DEFAULT_MAPPING, mode: 'ns1' };

function map(name: PushFixture, options: Partial<MappingOptions> = {}) {
  const r = parsePush(fixture(name));
  if (!r.ok) throw new Error(r.error.message);
  return mapNs1(r.push, nodes.get(r.push.nodeId), { ...NS1, ...options });
}

const pt = (metric: string, timestamp: number, value: number, tags: Tags): DataPoint => ({
  metric,
  timestamp,
  value,
  tags,
});

describe('ns1 compatibility mapping', () => {
  it('emits the NS1 bridge metric set for a good run, in its order', () => {
    const ts = Date.UTC(2024, 4, 2, 12, 6, 17, 42);
    expect(map('dns')).toEqual({
      truncated: 0,
      points: [
        pt('catchpoint.rtt.by_node.98765', ts, 158, { nodeid: '312' }),
        pt('catchpoint.status.by_node.98765', ts, 1, { nodeid: '312', status: 'ok' }),
        pt('catchpoint.rtt.by_asn.98765', ts, 158, { nodeid: '312', asn: '4837' }),
        pt('catchpoint.status.by_asn.98765', ts, 1, { nodeid: '312', asn: '4837', status: 'ok' }),
        pt('catchpoint.rtt.by_continent.98765', ts, 158, { nodeid: '312', continent: 'Asia' }),
        pt('catchpoint.status.by_continent.98765', ts, 1, { nodeid: '312', continent: 'Asia', status: 'ok' }),
        pt('catchpoint.rtt.by_city.98765', ts, 158, { nodeid: '312', city: 'Jinan' }),
        pt('catchpoint.status.by_city.98765', ts, 1, { nodeid: '312', city: 'Jinan', status: 'ok' }),
        pt('catchpoint.rtt.by_country.98765', ts, 158, { nodeid: '312', country: 'China' }),
        pt('catchpoint.status.by_country.98765', ts, 1, { nodeid: '312', country: 'China', status: 'ok' }),
        pt('catchpoint.rtt.by_region.98765', ts, 158, { nodeid: '312', region: 'Shandong' }),
        pt('catchpoint.status.by_region.98765', ts, 1, { nodeid: '312', region: 'Shandong', status: 'ok' }),
        pt('catchpoint.rtt.by_isp.98765', ts, 158, { nodeid: '312', isp: 'China_Unicom' }),
        pt('catchpoint.status.by_isp.98765', ts, 1, { nodeid: '312', isp: 'China_Unicom', status: 'ok' }),
      ],
    });
  });

  it('a failed run without Total: no rtt points (the old bridge crashed), status=error, error.by_node with the code', () => {
    const ts = Date.UTC(2024, 4, 2, 12, 20, 59, 999);
    expect(map('error').points).toEqual([
      pt('catchpoint.status.by_node.4242', ts, 1, { nodeid: '312', status: 'error' }),
      pt('catchpoint.status.by_asn.4242', ts, 1, { nodeid: '312', asn: '4837', status: 'error' }),
      pt('catchpoint.status.by_continent.4242', ts, 1, { nodeid: '312', continent: 'Asia', status: 'error' }),
      pt('catchpoint.status.by_city.4242', ts, 1, { nodeid: '312', city: 'Jinan', status: 'error' }),
      pt('catchpoint.status.by_country.4242', ts, 1, { nodeid: '312', country: 'China', status: 'error' }),
      pt('catchpoint.status.by_region.4242', ts, 1, { nodeid: '312', region: 'Shandong', status: 'error' }),
      pt('catchpoint.status.by_isp.4242', ts, 1, { nodeid: '312', isp: 'China_Unicom', status: 'error' }),
      pt('catchpoint.error.by_node.4242', ts, 1, { nodeid: '312', error: '12002' }),
    ]);
  });

  it('never writes an empty tag: metadata the node list lacks, and unknown nodes, say unknown', () => {
    const ping = map('ping').points;
    expect(ping.find((p) => p.metric === 'catchpoint.rtt.by_region.55501')!.tags).toEqual({
      nodeid: '2050',
      region: 'unknown',
    });
    expect(ping.find((p) => p.metric === 'catchpoint.rtt.by_isp.55501')!.tags).toEqual({
      nodeid: '2050',
      isp: 'unknown',
    });
    const unknown = map('unknown-node').points;
    expect(unknown).toHaveLength(14);
    expect(unknown.find((p) => p.metric === 'catchpoint.rtt.by_city.1216003')!.tags).toEqual({
      nodeid: '99999',
      city: 'unknown',
    });
    // The ASN still comes from the push itself.
    expect(unknown.find((p) => p.metric === 'catchpoint.rtt.by_asn.1216003')!.tags).toEqual({
      nodeid: '99999',
      asn: '37282',
    });
    for (const p of [...ping, ...unknown]) {
      for (const v of Object.values(p.tags)) expect(v).not.toBe('');
    }
  });

  it('a run failed by flags alone is tagged error=unknown', () => {
    const r = parsePush(fixture('dns'));
    if (!r.ok) throw new Error('fixture');
    r.push.error = { Any: true, Timeout: true };
    const points = mapNs1(r.push, nodes.get(312), NS1).points;
    expect(points.at(-1)).toEqual(
      pt('catchpoint.error.by_node.98765', r.push.timestamp, 1, { nodeid: '312', error: 'unknown' }),
    );
  });

  it('keeps at most max_tags tags', () => {
    for (const p of map('dns', { maxTags: 2 }).points)
      expect(Object.keys(p.tags).length).toBeLessThanOrEqual(2);
  });
});
