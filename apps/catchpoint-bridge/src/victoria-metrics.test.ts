import { connect, createServer, type Server, type Socket } from 'node:net';
import { type DataPoint, seriesKey } from '@otsdb/protocol';
import { type ExportedPoint, startVictoriaMetrics, type VictoriaMetrics, waitFor } from '@otsdb/testkit';
import pino from 'pino';
import { Pool, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeCatchpointApi } from '../test/fake-catchpoint-api.js';
import { fixture, fixtureNodes, fixtureText, type PushFixture } from '../test/fixtures.js';
import { Bridge } from './bridge.js';
import { ClientSink } from './client-sink.js';
import { type Layer, loadConfig, mergeLayers } from './config.js';
import { mapDefault } from './default-mapping.js';
import { DEFAULT_MAPPING } from './mapping-options.js';
import { parsePush } from './payload.js';
import { createSink } from './sinks.js';
import { formatCatchpointTimestamp } from './timestamp.js';

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
  await gate?.close();
  gate = undefined;
});

/**
 * A TCP relay in front of VictoriaMetrics that can be shut like a door: while shut, every
 * connection is cut at once (the TSD is away); open, bytes flow both ways.
 */
class Gate {
  open = false;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  constructor(readonly targetPort: number) {
    this.#server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      if (!this.open) return void socket.destroy();
      const upstream = connect({ host: '127.0.0.1', port: targetPort });
      this.#sockets.add(upstream);
      upstream.once('close', () => this.#sockets.delete(upstream));
      socket.pipe(upstream).pipe(socket);
      socket.once('error', () => upstream.destroy());
      upstream.once('error', () => socket.destroy());
      socket.once('close', () => upstream.destroy());
      upstream.once('close', () => socket.destroy());
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.#server.listen(0, '127.0.0.1', () => resolve((this.#server.address() as { port: number }).port)),
    );
  }

  close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
let gate: Gate | undefined;

/** A fixture as a new run: its own TestId, NodeId and timestamp (ms). */
function run(name: PushFixture, testId: number, nodeId: number, ms: number): string {
  const body = JSON.parse(fixtureText(name)) as {
    TestId: unknown;
    NodeId: unknown;
    Summary: { Timestamp: string };
  };
  body.TestId = testId;
  body.NodeId = nodeId;
  body.Summary.Timestamp = formatCatchpointTimestamp(ms);
  return JSON.stringify(body);
}

/** What the default mapping makes of a body, mapped on its own (no shared tags). */
function expectedPoints(body: string): DataPoint[] {
  const parsed = parsePush(JSON.parse(body));
  if (!parsed.ok) throw new Error(parsed.error.message);
  const node = fixtureNodes().find((n) => n.id === parsed.push.nodeId);
  return mapDefault(parsed.push, node, DEFAULT_MAPPING).points;
}

async function post(url: string, body: string, dispatcher?: Pool) {
  const res = await request(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    ...(dispatcher ? { dispatcher } : {}),
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    body: (await res.body.json()) as Record<string, unknown>,
  };
}

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

  it('many pushes at once from many tests and nodes: every point arrives as mapped alone (shared tags objects)', async () => {
    const url = await startBridge({
      output: { tsd: { host: vm.host, port: vm.httpPutPort, protocol: 'http' } },
    });
    const fixtures: PushFixture[] = ['web', 'dns', 'ping', 'transaction', 'error', 'unknown-node'];
    const nodeIds = [...fixtureNodes().map((n) => n.id), 424242];
    const base = Date.UTC(2024, 5, 1, 8, 0, 0, 0);
    const bodies = Array.from({ length: 360 }, (_, i) =>
      run(fixtures[i % fixtures.length]!, 900_000 + (i % 7), nodeIds[i % nodeIds.length]!, base + i * 7),
    );
    const pool = new Pool(new URL(url).origin, { connections: 8 });
    try {
      const answers = await Promise.all(bodies.map((b) => post(url, b, pool)));
      expect(answers.map((a) => a.status)).toEqual(bodies.map(() => 200));
    } finally {
      await pool.close();
    }
    await bridge!.stop();

    const expected = bodies.flatMap(expectedPoints);
    const stored = await vm.waitForPoints(
      '{__name__=~"catchpoint\\\\..*", test_id=~"9000[0-6][0-9]"}',
      expected.length,
    );
    expect(stored).toHaveLength(expected.length);
    expect(byKey(stored)).toEqual(byKey(expected as ExportedPoint[]));
  });

  it('answers 503 while the TSD is away and the queue is nearly full, then delivers every point it took', async () => {
    gate = new Gate(vm.httpPutPort);
    const port = await gate.listen();
    const url = await startBridge({
      // The smallest queue the configuration allows: 2256 points, high water mark 1692.
      output: { tsd: { host: '127.0.0.1', port, protocol: 'http', maxQueue: 2256 } },
    });
    const base = Date.UTC(2024, 5, 2, 8, 0, 0, 0);
    let accepted = 0;
    let points = 0;
    let refused: Awaited<ReturnType<typeof post>> | undefined;
    for (let i = 0; i < 500 && refused === undefined; i++) {
      const answer = await post(url, run('web', 910_000, 1001, base + i));
      if (answer.status === 200) {
        accepted++;
        points += answer.body['points'] as number;
      } else refused = answer;
    }
    // 29 points a push: 58 pushes reach the mark, the next is refused whole.
    expect(accepted).toBe(59);
    expect(refused).toMatchObject({
      status: 503,
      headers: { 'retry-after': '60' },
      body: { error: { code: 'queue_full' } },
    });
    expect(bridge!.metrics.rejected('queue_full')).toBe(1);

    gate.open = true;
    // Points flow again; the sender empties and pushes are taken again.
    await waitFor(async () => (await post(url, run('dns', 910_000, 312, base + 10_000))).status === 200, {
      timeoutMs: 30_000,
      description: 'a push taken again',
    });
    points += 4;
    await bridge!.stop();
    const stored = await vm.waitForPoints('{__name__=~"catchpoint\\\\..*", test_id="910000"}', points);
    expect(stored).toHaveLength(points);
  });
});
