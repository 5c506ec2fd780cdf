import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeCatchpointApi, v2NodesFrom } from '../test/fake-catchpoint-api.js';
import { fixture, fixtureText } from '../test/fixtures.js';
import { memoryLogger, TestSink } from '../test/harness.js';
import { Bridge } from './bridge.js';
import { type BridgeConfig, type Layer, loadConfig, mergeLayers } from './config.js';

const SECRET = 'bridge-test-secret-0123456789';
const v1Raw = (fixture('nodes-v1') as { items: unknown[] }).items;
const agent = new Agent({ keepAliveTimeout: 500 });
afterAll(async () => {
  await agent.close();
});

let dir: string;
let api: FakeCatchpointApi;
const bridges: Bridge[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cp-bridge-'));
});
afterEach(async () => {
  for (const b of bridges.splice(0)) await b.stop();
  await api?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function config(layer: Layer): Promise<BridgeConfig> {
  const defaults: Layer = {
    listen: { host: '127.0.0.1', port: 0 },
    webhook: { path: '/catchpoint', secrets: [SECRET] },
    catchpoint: { baseUrl: api.baseUrl, cacheFile: join(dir, 'nodes.json'), timeoutMs: 2000 },
    selfMetrics: { intervalMs: 0 },
    shutdownTimeoutMs: 3000,
  };
  const r = await loadConfig({ cli: mergeLayers(defaults, layer) });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
}

async function start(cfg: BridgeConfig, sink = new TestSink()) {
  const { logger, lines } = memoryLogger();
  const bridge = new Bridge({ config: cfg, sink, logger });
  bridges.push(bridge);
  const addr = await bridge.start();
  return { bridge, sink, lines, url: `http://127.0.0.1:${addr.port}/catchpoint/${SECRET}` };
}

async function push(url: string, name: Parameters<typeof fixtureText>[0]) {
  const res = await request(url, {
    method: 'POST',
    body: fixtureText(name),
    headers: { 'content-type': 'application/json' },
    dispatcher: agent,
  });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
}

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const creds = { catchpoint: { clientId: 'client-id-1', clientSecret: 'client-secret-1' } };

describe('bridge with the v1 API', () => {
  it('tags pushes with node metadata from the API and keeps the list on disk', async () => {
    api = new FakeCatchpointApi({ v1Nodes: v1Raw });
    await api.start();
    const cfg = await config({ catchpoint: { ...creds.catchpoint, api: 'v1' } });
    const { sink, url } = await start(cfg);
    const r = await push(url, 'dns');
    expect(r).toEqual({ status: 200, json: { ok: true, points: 4 } });
    expect(sink.points[1]!.tags).toMatchObject({ city: 'Jinan', isp: 'China_Unicom', continent: 'Asia' });
    const cache = JSON.parse(await readFile(join(dir, 'nodes.json'), 'utf8'));
    expect(cache).toMatchObject({ version: 1, api: 'v1' });
    expect(cache.nodes.map((n: { id: number }) => n.id)).toEqual([312, 1001, 2050]);
  });

  it('starts from the cache when the API is down', async () => {
    api = new FakeCatchpointApi({ v1Nodes: v1Raw });
    await api.start();
    const cfg = await config({ catchpoint: { ...creds.catchpoint, api: 'v1' } });
    const first = await start(cfg);
    await first.bridge.stop();

    // Now the token endpoint fails: the second bridge must use the cache file.
    api.failNext('/ui/api/token', { status: 503 });
    const second = await start(cfg);
    expect(second.bridge.directory.origin).toBe('cache');
    const r = await push(second.url, 'web');
    expect(r.status).toBe(200);
    expect(second.sink.points[1]!.tags).toMatchObject({ city: 'New_York', country: 'United_States' });
    expect(second.bridge.metrics.refreshError).toBe(1);
  });

  it('an unknown node triggers a node refresh, and later pushes carry its metadata', async () => {
    api = new FakeCatchpointApi({ v1Nodes: v1Raw });
    await api.start();
    const cfg = await config({ catchpoint: { ...creds.catchpoint, api: 'v1' } });
    const { bridge, sink, url } = await start(cfg);
    expect(api.count('/ui/api/v1/nodes')).toBe(1);

    // Catchpoint adds a node in Lagos.
    api.options.v1Nodes = [
      ...v1Raw,
      {
        id: 99999,
        name: 'Lagos, NG - MainOne',
        asn: { value: 'AS37282' },
        city: { name: 'Lagos' },
        country: { name: 'Nigeria' },
      },
    ];
    const r1 = await push(url, 'unknown-node');
    expect(r1).toEqual({ status: 200, json: { ok: true, points: 3, node: 'unknown' } });
    expect(sink.points[0]!.tags['city']).toBe('unknown');
    await until(() => bridge.directory.get(99999) !== undefined, 'the refreshed node list');
    const r2 = await push(url, 'unknown-node');
    expect(r2).toEqual({ status: 200, json: { ok: true, points: 3 } });
    expect(sink.points[3]!.tags).toMatchObject({ city: 'Lagos', country: 'Nigeria', asn: '37282' });
    // Rate-limited: a burst of unknown pushes does not hammer the API.
    for (let i = 0; i < 5; i++) {
      const body = JSON.stringify({ ...(fixture('unknown-node') as object), NodeId: 123456 + i });
      await request(url, { method: 'POST', body, dispatcher: agent }).then((x) => x.body.text());
    }
    expect(api.count('/ui/api/v1/nodes')).toBe(2);
    expect(bridge.metrics.unknownNodes).toBe(6);
  });
});

describe('bridge with the v2 API', () => {
  it('pages through the nodes and tags what v2 knows', async () => {
    api = new FakeCatchpointApi({ v2Nodes: v2NodesFrom(v1Raw) });
    await api.start();
    const cfg = await config({ catchpoint: { api: 'v2', apiKey: 'api-key-1', pageSize: 2 } });
    expect(cfg.mapping.nodeTags).toEqual(['asn', 'city', 'country', 'network_type']);
    const { sink, url } = await start(cfg);
    expect(api.count('/api/v2/nodes/all')).toBe(2);
    expect((await push(url, 'web')).status).toBe(200);
    expect(sink.points[1]!.tags).toEqual({
      test_id: '1216003',
      node_id: '1001',
      asn: '3356',
      city: 'New_York',
      country: 'United_States',
      network_type: 'Backbone',
    });
  });
});

describe('bridge shutdown', () => {
  it('answers the push in flight, writes a last self-metrics report, then closes the sink', async () => {
    api = new FakeCatchpointApi();
    await api.start();
    const cfg = await config({ selfMetrics: { intervalMs: 60_000, host: 'bridge-test' } });
    const sink = new TestSink();
    sink.delayMs = 200;
    const { bridge, url } = await start(cfg, sink);
    const inFlight = push(url, 'dns');
    await until(() => bridge.metrics.received === 1, 'the push to arrive');
    const stopped = await bridge.stop();
    expect(await inFlight).toMatchObject({ status: 200 });
    expect(stopped).toEqual({ drained: true, sinkClosed: true });
    expect(sink.closed).toBe(true);
    const report = sink.points.find((p) => p.metric === 'catchpoint.bridge.accepted');
    expect(report).toMatchObject({ value: 1, tags: { host: 'bridge-test' } });
    // Idempotent.
    expect(await bridge.stop()).toEqual(stopped);
  });

  it('reports a sink that does not close within the deadline', async () => {
    api = new FakeCatchpointApi();
    await api.start();
    const cfg = await config({ shutdownTimeoutMs: 200 });
    const sink = new TestSink();
    sink.closeDelayMs = 2000;
    const { bridge } = await start(cfg, sink);
    // The close takes 2 s; the 200 ms deadline wins the race.
    expect(await bridge.stop()).toEqual({ drained: true, sinkClosed: false });
  });
});
