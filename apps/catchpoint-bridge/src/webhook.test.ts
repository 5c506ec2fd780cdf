import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fixtureNodes, fixtureText } from '../test/fixtures.js';
import { memoryLogger, rawRequest, TestSink } from '../test/harness.js';
import { Ingest } from './ingest.js';
import { createMapper } from './mapping.js';
import { DEFAULT_MAPPING } from './mapping-options.js';
import { NodeDirectory } from './node-directory.js';
import { SecretMatcher } from './secret.js';
import { BridgeMetrics } from './self-metrics.js';
import { type WebhookOptions, WebhookServer } from './webhook.js';

const SECRET = 'correct-horse-battery-staple-42';
const agent = new Agent({ keepAliveTimeout: 1000 });
afterAll(async () => {
  await agent.close();
});

interface Setup {
  server: WebhookServer;
  sink: TestSink;
  metrics: BridgeMetrics;
  base: string;
  port: number;
  unknown: number[];
  lines: string[];
}

let current: Setup | undefined;

async function setup(options: Partial<WebhookOptions> = {}): Promise<Setup> {
  const sink = new TestSink();
  const metrics = new BridgeMetrics();
  const unknown: number[] = [];
  const { logger, lines } = memoryLogger();
  const ingest = new Ingest({
    directory: new NodeDirectory(fixtureNodes()),
    mapper: createMapper(DEFAULT_MAPPING),
    sink,
    metrics,
    onUnknownNode: (id) => unknown.push(id),
    logger,
  });
  const server = new WebhookServer({
    ingest,
    metrics,
    path: '/catchpoint',
    secrets: new SecretMatcher([SECRET]),
    maxBodyBytes: 4096,
    logger,
    ...options,
  });
  const addr = await server.listen({ host: '127.0.0.1', port: 0 });
  current = { server, sink, metrics, base: `http://127.0.0.1:${addr.port}`, port: addr.port, unknown, lines };
  return current;
}

afterEach(async () => {
  await current?.server.close(1000);
  current = undefined;
});

/** The bridge's JSON answers, success and error shapes together. */
interface Answer {
  ok?: boolean;
  points?: number;
  node?: string;
  status?: string;
  error: { code: string; message: string };
}

async function post(
  s: Setup,
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = { 'content-type': 'application/json' },
  method: 'POST' | 'GET' | 'PUT' = 'POST',
) {
  const res = await request(`${s.base}${path}`, { method, body, headers, dispatcher: agent });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    text,
    json: (text ? JSON.parse(text) : {}) as Answer,
  };
}

const web = fixtureText('web');

describe('webhook: 200', () => {
  it.each([
    ['in the path', `/catchpoint/${SECRET}`, {}],
    ['in the query', `/catchpoint?secret=${encodeURIComponent(SECRET)}`, {}],
    ['in a header', '/catchpoint', { 'x-bridge-secret': SECRET }],
  ])('queues the points when the secret is %s', async (_where, path, headers) => {
    const s = await setup();
    const r = await post(s, path, web, { 'content-type': 'application/json', ...headers });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ok: true, points: 29 });
    expect(s.sink.points).toHaveLength(29);
    expect(s.sink.points[0]).toMatchObject({
      metric: 'catchpoint.run',
      tags: { status: 'ok', city: 'New_York' },
    });
    expect(s.metrics.snapshot()).toMatchObject({ received: 1, accepted: 1, pointsQueued: 29 });
  });

  it('accepts a push from an unknown node, tagged unknown, and asks for a node refresh', async () => {
    const s = await setup();
    const r = await post(s, `/catchpoint/${SECRET}`, fixtureText('unknown-node'));
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ok: true, points: 3, node: 'unknown' });
    expect(s.sink.points[0]!.tags['city']).toBe('unknown');
    expect(s.unknown).toEqual([99999]);
  });

  it('takes JSON without a content type, with a charset, as text/plain, and with a BOM', async () => {
    const s = await setup();
    for (const [headers, body] of [
      [{}, web],
      [{ 'content-type': 'application/json; charset=utf-8' }, web],
      [{ 'content-type': 'text/plain' }, web],
      [{ 'content-type': 'application/json' }, `\uFEFF${web}`],
    ] as const) {
      const r = await post(s, `/catchpoint/${SECRET}`, body, headers);
      expect(r.status).toBe(200);
    }
  });

  it('answers with the sink asynchronously too', async () => {
    const s = await setup();
    s.sink.delayMs = 20;
    const r = await post(s, `/catchpoint/${SECRET}`, web);
    expect(r.status).toBe(200);
  });
});

describe('webhook: refusals', () => {
  it.each([
    ['no secret', '/catchpoint', {}],
    ['a wrong secret in the path', '/catchpoint/not-the-secret-at-all', {}],
    ['a wrong secret in the query', '/catchpoint?secret=nope', {}],
    ['a wrong secret in a header', '/catchpoint', { 'x-bridge-secret': 'nope' }],
    ['the secret in another header', '/catchpoint', { 'x-other': SECRET }],
    ['a prefix of the secret', `/catchpoint/${SECRET.slice(0, -1)}`, {}],
  ])('401 with %s, and nothing reaches the sink', async (_label, path, headers) => {
    const s = await setup();
    const r = await post(s, path, web, { 'content-type': 'application/json', ...headers });
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ error: { code: 'unauthorized', message: 'missing or wrong shared secret' } });
    expect(s.sink.points).toHaveLength(0);
    expect(s.metrics.rejected('unauthorized')).toBe(1);
  });

  it('never logs the secret a client sent', async () => {
    const s = await setup();
    await post(s, '/catchpoint/wrong-secret-sent-by-scanner', web);
    await post(s, `/catchpoint/${SECRET}`, '{"TestId":1}');
    const logged = s.lines.join('\n');
    expect(logged).toContain('push refused');
    expect(logged).not.toContain('wrong-secret-sent-by-scanner');
    expect(logged).not.toContain(SECRET);
  });

  it.each(['/', '/other', '/catchpoint/a/b', '/catchpointx'])('404 for %s', async (path) => {
    const s = await setup();
    const r = await post(s, path, web);
    expect(r.status).toBe(404);
    expect(s.metrics.rejected('not_found')).toBe(1);
  });

  it('405 for anything but POST, after authentication', async () => {
    const s = await setup();
    const r = await post(s, `/catchpoint/${SECRET}`, '', {}, 'GET');
    expect(r.status).toBe(405);
    expect(r.headers['allow']).toBe('POST');
    const put = await post(s, `/catchpoint/${SECRET}`, web, {}, 'PUT');
    expect(put.status).toBe(405);
    // Without the secret a scanner learns nothing about the method.
    expect((await post(s, '/catchpoint', '', {}, 'GET')).status).toBe(401);
  });

  it.each([
    [
      'TestId missing',
      JSON.stringify({ NodeId: 1, Summary: { Timestamp: '20240502120449609' } }),
      'TestId: missing',
    ],
    [
      'NodeId malformed',
      JSON.stringify({ TestId: 1, NodeId: 'x', Summary: { Timestamp: '20240502120449609' } }),
      'NodeId: ',
    ],
    [
      'Summary.Timestamp malformed',
      JSON.stringify({ TestId: 1, NodeId: 1, Summary: { Timestamp: 'yesterday' } }),
      'Summary.Timestamp: ',
    ],
    ['an array', '[1,2]', '(body): '],
  ])('400 naming the field when %s', async (_label, body, message) => {
    const s = await setup();
    const r = await post(s, `/catchpoint/${SECRET}`, body);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('invalid_payload');
    expect(r.json.error.message).toContain(message);
    expect(s.metrics.rejected('invalid_payload')).toBe(1);
  });

  it('400 for malformed or empty JSON', async () => {
    const s = await setup();
    const bad = await post(s, `/catchpoint/${SECRET}`, '{"TestId": 1,');
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'invalid_json' });
    expect(bad.json.error.message).toContain('malformed JSON');
    const empty = await post(s, `/catchpoint/${SECRET}`, '   ');
    expect(empty.status).toBe(400);
    expect(empty.json.error.message).toContain('empty');
  });

  it.each([
    ['an XML content type', { 'content-type': 'application/xml' }, '<Push><TestId>1</TestId></Push>'],
    ['a form', { 'content-type': 'application/x-www-form-urlencoded' }, 'TestId=1'],
    ['an XML body sent as JSON', { 'content-type': 'application/json' }, '<?xml version="1.0"?><Push/>'],
    ['a compressed body', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, web],
  ])('415 for %s', async (_label, headers, body) => {
    const s = await setup();
    const r = await post(s, `/catchpoint/${SECRET}`, body, headers);
    expect(r.status).toBe(415);
    expect(r.json.error.code).toBe('unsupported_media_type');
  });

  it('413 from the declared length, before reading the body', async () => {
    const s = await setup();
    const r = await rawRequest(
      s.port,
      `POST /catchpoint/${SECRET} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n`,
    );
    expect(r.status).toBe(413);
    expect(r.headers['connection']).toBe('close');
    expect(s.metrics.rejected('too_large')).toBe(1);
  });

  it('413 for a chunked body that grows past the limit, and the connection is closed', async () => {
    const s = await setup();
    const big = `{"TestId":1,"pad":"${'x'.repeat(5000)}"}`;
    const chunk = `${Buffer.byteLength(big).toString(16)}\r\n${big}\r\n0\r\n\r\n`;
    const r = await rawRequest(
      s.port,
      `POST /catchpoint/${SECRET} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}`,
    );
    expect(r.status).toBe(413);
    expect(r.closed).toBe(true);
    expect(s.sink.points).toHaveLength(0);
  });

  it('503 with Retry-After when the sink is full, so Catchpoint retries later', async () => {
    const s = await setup();
    s.sink.mode = 'full';
    const r = await post(s, `/catchpoint/${SECRET}`, web);
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('60');
    expect(r.json.error.code).toBe('queue_full');
    expect(s.metrics.rejected('queue_full')).toBe(1);
  });

  it.each(['throw', 'reject'] as const)('503, not 500, when the sink fails (%s)', async (mode) => {
    const s = await setup();
    s.sink.mode = mode;
    const r = await post(s, `/catchpoint/${SECRET}`, web);
    expect(r.status).toBe(503);
    expect(r.json.error.code).toBe('sink_error');
  });

  it('on close: refuses new connections, answers the request in flight, then resolves', async () => {
    const s = await setup();
    s.sink.delayMs = 300;
    const slow = post(s, `/catchpoint/${SECRET}`, web);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.server.inFlight).toBe(1);
    const closing = s.server.close(5000);
    const late = await rawRequest(s.port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n').catch(
      (err: Error) => err,
    );
    expect(late).toBeInstanceOf(Error);
    expect((late as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect((await slow).status).toBe(200);
    expect(await closing).toBe(true);
  });

  it('503 for a request that still arrives while shutting down', async () => {
    // The handler mounted on a server of its own, which stays open while the webhook drains.
    const s = await setup();
    const other = createServer(s.server.handle);
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      await s.server.close(1000);
      const port = (other.address() as AddressInfo).port;
      const r = await rawRequest(
        port,
        `POST /catchpoint/${SECRET} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(web)}\r\n\r\n${web}`,
      );
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('60');
      expect(JSON.parse(r.body).error.code).toBe('shutting_down');
      const health = await rawRequest(port, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(health.status).toBe(503);
      expect(JSON.parse(health.body).status).toBe('shutting_down');
    } finally {
      other.closeAllConnections();
      await new Promise<void>((r) => other.close(() => r()));
    }
  });

  it('close gives up on a request that outlives the deadline', async () => {
    const s = await setup();
    s.sink.delayMs = 2000;
    const slow = post(s, `/catchpoint/${SECRET}`, web).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 50));
    expect(await s.server.close(100)).toBe(false);
    expect(await slow).toBeInstanceOf(Error);
  });
});

describe('webhook: health', () => {
  it('answers without a secret and shows counters, never secrets', async () => {
    const s = await setup({ health: () => ({ nodes: { count: 3 } }) });
    await post(s, `/catchpoint/${SECRET}`, web);
    const r = await post(s, '/health', '', {}, 'GET');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      status: 'ok',
      nodes: { count: 3 },
      counters: { received: 1, accepted: 1 },
    });
    expect(r.text).not.toContain(SECRET);
  });
});

describe('webhook: without a secret', () => {
  it('accepts on the path itself only when the operator allowed it', async () => {
    const s = await setup({ secrets: undefined });
    expect((await post(s, '/catchpoint', web)).status).toBe(200);
    expect((await post(s, '/catchpoint/anything', web)).status).toBe(404);
  });
});

describe('webhook: robustness', () => {
  it('never answers 500, whatever the body', async () => {
    const s = await setup({ maxBodyBytes: 2048 });
    const allowed = new Set([200, 400, 413, 415]);
    const bodies = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
      fc
        .record({
          TestId: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
          NodeId: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.string()),
          Summary: fc.oneof(
            fc.jsonValue(),
            fc.record({
              Timestamp: fc.oneof(fc.string(), fc.constant('20240502120449609')),
              Timing: fc.dictionary(fc.string(), fc.jsonValue()),
              Error: fc.dictionary(fc.string(), fc.jsonValue()),
              Ping: fc.jsonValue(),
            }),
          ),
        })
        .map((v) => Buffer.from(JSON.stringify(v))),
      fc.string().map((t) => Buffer.from(`{${t}`)),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const r = await post(s, `/catchpoint/${SECRET}`, body);
        expect(allowed.has(r.status)).toBe(true);
      }),
      { numRuns: 300 },
    );
    // Still serving.
    expect((await post(s, `/catchpoint/${SECRET}`, web)).status).toBe(200);
  });
});
