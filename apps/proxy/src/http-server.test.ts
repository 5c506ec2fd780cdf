import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { makeTempDir, simpleRequest, type TempDir } from '@otsdb/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeCredentials } from './__fixtures__/credentials.js';
import type { Backend } from './backends/backend.js';
import { createMockBackend, type MockBackend } from './backends/mock-backend.js';
import { createNullBackend } from './backends/null-backend.js';
import type { ProxyConfigInput } from './config.js';
import { type ProxyHandle, startProxy } from './proxy.js';

const WRITE_TOKEN = 'w-token-0123456789abcdef0123456789';
const READ_TOKEN = 'r-token-0123456789abcdef0123456789';
const EXPIRED_TOKEN = 'x-token-0123456789abcdef0123456789';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const ALICE = { authorization: basic('alice', 'correct-horse') };

let dir: TempDir;
let credentials: string;
const proxies: ProxyHandle[] = [];
const servers: Server[] = [];

beforeAll(async () => {
  dir = await makeTempDir('proxy-http-');
  credentials = await writeCredentials(
    dir.path,
    [
      { name: 'alice', password: 'correct-horse', scopes: ['write', 'read'] },
      {
        name: 'tenant',
        password: 't',
        scopes: ['write', 'read'],
        metrics: ['app.*'],
        forcedTags: { tenant: 't1' },
      },
    ],
    [
      { name: 'writer', token: WRITE_TOKEN },
      { name: 'grafana', token: READ_TOKEN, scopes: ['read'] },
      { name: 'old', token: EXPIRED_TOKEN, expires: '2001-01-01T00:00:00Z' },
    ],
  );
  return () => dir.remove();
});

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.stop({ timeoutMs: 2000 })));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** `backend: null` builds the one the config names. */
async function start(config: ProxyConfigInput = {}, backend: Backend | null = createMockBackend()) {
  const proxy = await startProxy(
    {
      listeners: { telnet: false, http: { port: 0 } },
      auth: { mode: 'file', file: { path: credentials, watch: false }, failureLimit: false },
      ...config,
    },
    backend === null ? {} : { backend },
  );
  proxies.push(proxy);
  const url = `http://127.0.0.1:${proxy.ports.http}`;
  return { proxy, url, mock: backend as MockBackend };
}

const point = (metric: string, value: unknown, tags: Record<string, string> = { host: 'a' }) => ({
  metric,
  timestamp: 1_700_000_000,
  value,
  tags,
});

async function put(url: string, body: unknown, headers: Record<string, string> = ALICE, query = '') {
  return simpleRequest(`${url}/api/put${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
}

describe('/api/put', () => {
  it('answers 204 once the backend took the points, credentials stripped', async () => {
    const { url, mock } = await start();
    const r = await put(url, [
      point('sys.cpu', 1, { host: 'a', user: 'x', password: 'y' }),
      point('sys.mem', 2.5),
    ]);
    expect(r.status).toBe(204);
    expect(r.body).toBe('');
    expect(mock.points.map((p) => [p.metric, p.value, p.tags])).toEqual([
      ['sys.cpu', 1, { host: 'a' }],
      ['sys.mem', 2.5, { host: 'a' }],
    ]);
  });

  it('writes the good points and lists the bad ones with ?details', async () => {
    const { url, mock } = await start();
    const r = await put(
      url,
      [
        point('sys.cpu', 1),
        point('sys.cpu', 'abc', { host: 'a', password: 's3cret' }),
        point('', 3),
        point('sys.x', 4, {}),
      ],
      ALICE,
      '?details',
    );
    expect(r.status).toBe(400);
    const body = JSON.parse(r.body);
    expect(body.success).toBe(1);
    expect(body.failed).toBe(3);
    expect(body.errors.map((e: { error: string }) => e.error)).toEqual([
      'Unable to parse value to a number',
      'Metric name was empty',
      'Need at least one tag (metric=sys.x, tags={})',
    ]);
    expect(r.body).not.toContain('s3cret');
    expect(mock.points).toHaveLength(1);
  });

  it('answers like a TSD: summary, plain 400, bad JSON, wrong method', async () => {
    const { url } = await start();
    const summary = await put(url, [point('a.b', 1), point('a.c', 2)], ALICE, '?summary');
    expect([summary.status, JSON.parse(summary.body)]).toEqual([200, { success: 2, failed: 0 }]);
    const plain = await put(url, [point('a.b', 'x')]);
    expect([plain.status, JSON.parse(plain.body)]).toEqual([
      400,
      {
        error: {
          code: 400,
          message: 'One or more data points had errors',
          details: 'Please see the TSD logs or append "details" to the put request',
        },
      },
    ]);
    const junk = await put(url, 'not json');
    expect(junk.status).toBe(400);
    expect(JSON.parse(junk.body).error.message).toBe('The JSON must start as an object or an array');
    const get = await simpleRequest(`${url}/api/put`, { headers: ALICE });
    expect([get.status, JSON.parse(get.body)]).toEqual([
      405,
      {
        error: {
          code: 405,
          message: 'Method not allowed',
          details: 'The HTTP method [GET] is not permitted for this endpoint',
        },
      },
    ]);
  });

  it.each([
    ['no credentials', {}, 401, 'Authentication required'],
    ['wrong password', { authorization: basic('alice', 'nope') }, 401, 'Unauthorized'],
    ['expired token', { authorization: `Bearer ${EXPIRED_TOKEN}` }, 401, 'Unauthorized'],
    ['read token used to write', { 'x-warp10-token': READ_TOKEN }, 403, 'Forbidden'],
    [
      'two credentials',
      { authorization: `Bearer ${WRITE_TOKEN}`, 'x-warp10-token': WRITE_TOKEN },
      401,
      'Unauthorized',
    ],
    ['unknown scheme', { authorization: 'Digest abc' }, 401, 'Unauthorized'],
  ])('%s -> %i', async (_name, headers, status, message) => {
    const { url, mock } = await start();
    const r = await put(url, [point('sys.cpu', 1)], headers as Record<string, string>);
    expect(r.status).toBe(status);
    expect(JSON.parse(r.body).error.message).toBe(message);
    if (status === 401) expect(r.headers['www-authenticate']).toContain('Basic');
    expect(mock.points).toHaveLength(0);
  });

  it('takes tokens as Bearer, X-Warp10-Token and Basic password', async () => {
    const { url, mock } = await start();
    expect((await put(url, [point('a.b', 1)], { authorization: `Bearer ${WRITE_TOKEN}` })).status).toBe(204);
    expect((await put(url, [point('a.b', 2)], { 'x-warp10-token': WRITE_TOKEN })).status).toBe(204);
    expect((await put(url, [point('a.b', 3)], { authorization: basic('metrics', WRITE_TOKEN) })).status).toBe(
      204,
    );
    expect(mock.points.map((p) => p.value)).toEqual([1, 2, 3]);
  });

  it('takes tcollector-style user/password tags when there is no header', async () => {
    const { url, mock } = await start();
    const creds = { host: 'a', user: 'alice', password: 'correct-horse' };
    expect((await put(url, [point('a.b', 1, creds)], {})).status).toBe(204);
    const bad = await put(url, [point('a.b', 2, { ...creds, password: 'wrong' })], {});
    expect(bad.status).toBe(401);
    expect(mock.points.map((p) => p.tags)).toEqual([{ host: 'a' }]);
  });

  it('forces tags and metric patterns per principal', async () => {
    const { url, mock } = await start();
    const r = await put(
      url,
      [point('app.req', 1, { host: 'a', tenant: 'evil' }), point('sys.cpu', 2)],
      { authorization: basic('tenant', 't') },
      '?details',
    );
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).errors[0].error).toBe(
      "metric 'sys.cpu' is not among the metrics 'tenant' may write",
    );
    expect(mock.points.map((p) => p.tags)).toEqual([{ host: 'a', tenant: 't1' }]);
  });

  it('decodes gzip and deflate bodies', async () => {
    const { url, mock } = await start();
    const json = JSON.stringify([point('a.gz', 1)]);
    expect((await put(url, gzipSync(json), { ...ALICE, 'content-encoding': 'gzip' })).status).toBe(204);
    expect((await put(url, deflateSync(json), { ...ALICE, 'content-encoding': 'deflate' })).status).toBe(204);
    expect((await put(url, deflateRawSync(json), { ...ALICE, 'content-encoding': 'deflate' })).status).toBe(
      204,
    );
    expect(mock.points).toHaveLength(3);
    const corrupt = await put(url, Buffer.from('not gzip at all'), { ...ALICE, 'content-encoding': 'gzip' });
    expect(corrupt.status).toBe(400);
    const br = await put(url, json, { ...ALICE, 'content-encoding': 'br' });
    expect([br.status, JSON.parse(br.body).error.message]).toEqual([
      415,
      "Unsupported Content-Encoding 'br'",
    ]);
  });

  it('refuses bodies over the limit, compressed or not (413)', async () => {
    const { url, mock } = await start({ limits: { maxBodyBytes: 4096 } });
    const big = JSON.stringify(Array.from({ length: 200 }, (_, i) => point('a.b', i)));
    const r = await put(url, big);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.details).toContain('at most 4096 bytes');
    // A gzip bomb: 2 KiB on the wire that inflate to 2 MiB.
    const bomb = gzipSync(Buffer.alloc(2 * 1024 * 1024, 32), { level: 9 });
    expect(bomb.length).toBeLessThan(4096);
    const b = await put(url, bomb, { ...ALICE, 'content-encoding': 'gzip' });
    expect(b.status).toBe(413);
    expect(JSON.parse(b.body).error.details).toContain('after decompression');
    expect(mock.points).toHaveLength(0);
  });

  it('answers 503 with the reason when the backend fails or does not acknowledge', async () => {
    const mock = createMockBackend();
    const { url } = await start({}, mock);
    mock.failWith({ status: 503, message: 'queue full: TSD unreachable' });
    const r = await put(url, [point('a.b', 1)]);
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('5');
    expect(JSON.parse(r.body)).toEqual({
      error: { code: 503, message: 'queue full: TSD unreachable', details: '0 of 1 points were written' },
    });

    const stuck: Backend = {
      ...createNullBackend(),
      type: 'stuck',
      write: () => new Promise(() => undefined),
    };
    const second = await start({ limits: { ackTimeoutMs: 200 } }, stuck);
    const t = await put(second.url, [point('a.b', 1)]);
    expect(t.status).toBe(503);
    expect(JSON.parse(t.body).error.message).toContain('did not acknowledge within 200 ms');
  });

  it('rate-limits per principal with 429 and Retry-After', async () => {
    const { url, mock } = await start({ limits: { pointsPerSecond: 1, burst: 3 } });
    expect((await put(url, [point('a.b', 1), point('a.b', 2)])).status).toBe(204);
    const r = await put(url, [point('a.b', 3), point('a.b', 4)]);
    expect(r.status).toBe(429);
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(mock.points).toHaveLength(2);
  });
});

describe('operator endpoints', () => {
  it('serves /health, /metrics, /api/stats and 404s the rest', async () => {
    const { url } = await start();
    const health = await simpleRequest(`${url}/health`);
    expect([health.status, JSON.parse(health.body)]).toEqual([200, { status: 'ok' }]);
    expect((await simpleRequest(`${url}/api/health`)).status).toBe(200);
    const metrics = JSON.parse((await simpleRequest(`${url}/metrics`)).body);
    expect(Object.keys(metrics)).toEqual([
      'uptimeSeconds',
      'connections',
      'telnet',
      'http',
      'points',
      'auth',
      'backend',
    ]);
    const stats = JSON.parse((await simpleRequest(`${url}/api/stats`)).body);
    expect(stats[0]).toMatchObject({ metric: 'proxy.uptime', tags: { host: expect.any(String) } });
    const missing = await simpleRequest(`${url}/api/nope`);
    expect([missing.status, JSON.parse(missing.body).error.message]).toEqual([404, 'Endpoint not found']);
  });
});

/** A stand-in for a TSD's HTTP API that records what reached it. */
async function upstream(): Promise<{
  url: string;
  seen: Array<{ url: string; headers: IncomingHttpHeaders; body: string }>;
}> {
  const seen: Array<{ url: string; headers: IncomingHttpHeaders; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      if (req.url?.startsWith('/api/suggest')) {
        res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'x=1' });
        res.end(JSON.stringify(['app.req', 'sys.cpu', 'app.err']));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'session=1' });
      res.end(JSON.stringify([{ metric: 'app.req', tags: {}, dps: { '1700000000': 1 } }]));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, seen };
}

describe('read API pass-through', () => {
  it('forwards queries without the caller credentials and streams the answer back', async () => {
    const tsd = await upstream();
    const { url } = await start({ backend: { type: 'forward', forward: { targets: [tsd.url] } } }, null);
    const r = await simpleRequest(`${url}/api/query?start=1h-ago&m=sum:app.req`, {
      headers: { authorization: `Bearer ${READ_TOKEN}`, cookie: 'session=abc', accept: 'application/json' },
    });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual([{ metric: 'app.req', tags: {}, dps: { '1700000000': 1 } }]);
    expect(r.headers['set-cookie']).toBeUndefined();
    expect(tsd.seen).toHaveLength(1);
    expect(tsd.seen[0]!.url).toBe('/api/query?start=1h-ago&m=sum:app.req');
    expect(tsd.seen[0]!.headers.authorization).toBeUndefined();
    expect(tsd.seen[0]!.headers.cookie).toBeUndefined();
    expect(tsd.seen[0]!.headers['x-warp10-token']).toBeUndefined();
    expect(tsd.seen[0]!.headers.accept).toBe('application/json');

    const post = await simpleRequest(`${url}/api/query`, {
      method: 'POST',
      headers: { 'x-warp10-token': READ_TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ start: '1h-ago', queries: [{ metric: 'app.req', aggregator: 'sum' }] }),
    });
    expect(post.status).toBe(200);
    expect(JSON.parse(tsd.seen[1]!.body)).toEqual({
      start: '1h-ago',
      queries: [{ metric: 'app.req', aggregator: 'sum' }],
    });
  });

  it('rewrites a restricted principal query and filters its suggestions', async () => {
    const tsd = await upstream();
    const { url } = await start({ backend: { type: 'forward', forward: { targets: [tsd.url] } } }, null);
    const auth = { authorization: basic('tenant', 't') };
    expect(
      (await simpleRequest(`${url}/api/query?start=1h-ago&m=sum:app.req{host=*}`, { headers: auth })).status,
    ).toBe(200);
    expect(decodeURIComponent(tsd.seen[0]!.url)).toBe(
      '/api/query?start=1h-ago&m=sum:app.req{host=*}{tenant=literal_or(t1)}',
    );
    const denied = await simpleRequest(`${url}/api/query?start=1h-ago&m=sum:sys.cpu`, { headers: auth });
    expect([denied.status, JSON.parse(denied.body).error.details]).toEqual([
      403,
      "metric 'sys.cpu' is not among the metrics 'tenant' may read",
    ]);
    const suggest = await simpleRequest(`${url}/api/suggest?type=metrics&q=`, { headers: auth });
    expect(JSON.parse(suggest.body)).toEqual(['app.req', 'app.err']);
    expect(tsd.seen).toHaveLength(2);
  });

  it('needs the read scope, and a backend that reads', async () => {
    const tsd = await upstream();
    const { url } = await start({ backend: { type: 'forward', forward: { targets: [tsd.url] } } }, null);
    const r = await simpleRequest(`${url}/api/version`, {
      headers: { authorization: `Bearer ${WRITE_TOKEN}` },
    });
    expect([r.status, JSON.parse(r.body).error.details]).toEqual([
      403,
      "'writer' may not read (no 'read' scope)",
    ]);
    expect((await simpleRequest(`${url}/api/version`)).status).toBe(401);
    expect(tsd.seen).toHaveLength(0);
    const nullProxy = await start({}, createNullBackend());
    const n = await simpleRequest(`${nullProxy.url}/api/query?m=sum:a`, { headers: ALICE });
    expect(n.status).toBe(501);
  });
});
