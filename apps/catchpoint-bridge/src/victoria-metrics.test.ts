import { seriesKey } from '@otsdb/protocol';
import { type ExportedPoint, startVictoriaMetrics, type VictoriaMetrics } from '@otsdb/testkit';
import pino from 'pino';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeCatchpointApi } from '../test/fake-catchpoint-api.js';
import { fixture, fixtureText, type PushFixture } from '../test/fixtures.js';
import { Bridge } from './bridge.js';
import { ClientSink } from './client-sink.js';
import { type Layer, loadConfig, mergeLayers } from './config.js';
import { createSink } from './sinks.js';

/**
 * End to end: Catchpoint pushes over HTTP into the bridge, node metadata from a (fake)
 * Catchpoint API, points through @otsdb/client into a real VictoriaMetrics, read back.
 */
const SECRET = 'vm-e2e-secret-0123456789';
let vm: VictoriaMetrics;
let api: FakeCatchpointApi;
let bridge: Bridge | undefined;

beforeAll(async () => {
  vm = await startVictoriaMetrics();
  api = new FakeCatchpointApi({ v1Nodes: (fixture('nodes-v1') as { items: unknown[] }).items });
  await api.start();
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await vm?.stop();
});

afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

async function startBridge(layer: Layer) {
  const r = await loadConfig({
    cli: mergeLayers(
      {
        listen: { host: '127.0.0.1', port: 0 },
        webhook: { secrets: [SECRET] },
        catchpoint: {
          api: 'v1',
          baseUrl: api.baseUrl,
          clientId: 'client-id-1',
          clientSecret: 'client-secret-1',
          cacheFile: '',
        },
        selfMetrics: { intervalMs: 0 },
        shutdownTimeoutMs: 15_000,
      },
      layer,
    ),
  });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const logger = pino({ level: 'silent' });
  const built = await createSink(r.config, logger);
  if (!built.ok) throw new Error(built.message);
  expect(built.sink).toBeInstanceOf(ClientSink);
  bridge = new Bridge({ config: r.config, sink: built.sink, logger });
  const addr = await bridge.start();
  return `http://127.0.0.1:${addr.port}/${SECRET}`;
}

async function push(url: string, name: PushFixture): Promise<number> {
  const res = await request(url, {
    method: 'POST',
    body: fixtureText(name),
    headers: { 'content-type': 'application/json' },
  });
  await res.body.dump();
  return res.statusCode;
}

/** `metric{k=v,...}@ts` -> value, tags in key order, for comparisons that ignore ordering. */
const byKey = (points: ExportedPoint[]) =>
  Object.fromEntries(points.map((p) => [`${seriesKey(p.metric, p.tags)}@${p.timestamp}`, p.value]));

describe('into VictoriaMetrics', () => {
  it('default mapping over HTTP /api/put: every point arrives with its UTC timestamp, tags and value', async () => {
    const url = await startBridge({
      output: { tsd: { host: vm.host, port: vm.httpPutPort, protocol: 'http' } },
    });
    expect(await push(url, 'ping')).toBe(200);
    expect(await push(url, 'error')).toBe(200);
    await bridge!.stop();

    const ping = await vm.waitForPoints('{__name__=~"catchpoint\\\\..*", test_id="55501"}', 9);
    const ts = Date.UTC(2024, 4, 2, 12, 10, 2, 500);
    const all = {
      test_id: '55501',
      node_id: '2050',
      asn: '1299',
      city: 'Frankfurt_am_Main',
      country: 'Germany',
      region: 'unknown',
      continent: 'Europe',
      isp: 'unknown',
    };
    const { isp: _isp, ...base7 } = all;
    expect(byKey(ping)).toEqual(
      byKey([
        { metric: 'catchpoint.run', tags: { status: 'ok', ...base7 }, timestamp: ts, value: 1 },
        { metric: 'catchpoint.timing.total', tags: all, timestamp: ts, value: 36 },
        { metric: 'catchpoint.error', tags: { type: 'any', ...base7 }, timestamp: ts, value: 0 },
        { metric: 'catchpoint.ping.round_trip_time_avg', tags: all, timestamp: ts, value: 11.4 },
        { metric: 'catchpoint.ping.round_trip_time_min', tags: all, timestamp: ts, value: 10.9 },
        { metric: 'catchpoint.ping.round_trip_time_max', tags: all, timestamp: ts, value: 12.3 },
        { metric: 'catchpoint.ping.packet_loss', tags: all, timestamp: ts, value: 25 },
        { metric: 'catchpoint.ping.packets_sent', tags: all, timestamp: ts, value: 4 },
        { metric: 'catchpoint.ping.packets_received', tags: all, timestamp: ts, value: 3 },
      ]),
    );

    const failed = await vm.waitForPoints('{__name__=~"catchpoint\\\\..*", test_id="4242"}', 12);
    expect(failed).toHaveLength(12);
    expect(failed.find((p) => p.metric === 'catchpoint.run')).toMatchObject({
      tags: { status: 'error', city: 'Jinan' },
      timestamp: Date.UTC(2024, 4, 2, 12, 20, 59, 999),
      value: 1,
    });
    expect(failed.find((p) => p.tags['type'] === 'code')).toMatchObject({
      metric: 'catchpoint.error',
      tags: { code: '12002' },
    });
  });

  it('ns1 mapping over telnet (whole seconds, which VictoriaMetrics telnet needs)', async () => {
    const url = await startBridge({
      mapping: { mode: 'ns1' },
      output: {
        tsd: { host: vm.host, port: vm.telnetPort, protocol: 'telnet', telnetTimestamps: 'seconds' },
      },
    });
    expect(await push(url, 'dns')).toBe(200);
    await bridge!.stop();
    const points = await vm.waitForPoints('{__name__=~"catchpoint\\\\..*\\\\.98765"}', 14);
    const ts = Date.UTC(2024, 4, 2, 12, 6, 17);
    expect(points).toHaveLength(14);
    expect(points.every((p) => p.timestamp === ts)).toBe(true);
    expect(byKey(points.filter((p) => p.metric.startsWith('catchpoint.rtt.')))).toEqual(
      byKey([
        {
          metric: 'catchpoint.rtt.by_asn.98765',
          tags: { nodeid: '312', asn: '4837' },
          timestamp: ts,
          value: 158,
        },
        {
          metric: 'catchpoint.rtt.by_city.98765',
          tags: { nodeid: '312', city: 'Jinan' },
          timestamp: ts,
          value: 158,
        },
        {
          metric: 'catchpoint.rtt.by_continent.98765',
          tags: { nodeid: '312', continent: 'Asia' },
          timestamp: ts,
          value: 158,
        },
        {
          metric: 'catchpoint.rtt.by_country.98765',
          tags: { nodeid: '312', country: 'China' },
          timestamp: ts,
          value: 158,
        },
        {
          metric: 'catchpoint.rtt.by_isp.98765',
          tags: { nodeid: '312', isp: 'China_Unicom' },
          timestamp: ts,
          value: 158,
        },
        { metric: 'catchpoint.rtt.by_node.98765', tags: { nodeid: '312' }, timestamp: ts, value: 158 },
        {
          metric: 'catchpoint.rtt.by_region.98765',
          tags: { nodeid: '312', region: 'Shandong' },
          timestamp: ts,
          value: 158,
        },
      ]),
    );
  });
});
