import { waitFor } from '@otsdb/testkit/wait-for';
import { describe, expect, it } from 'vitest';
import { at, client, downTsd, fakeTsd, T0 } from './__fixtures__/harness.js';
import type { RejectedEvent } from './index.js';

// The client over HTTP /api/put against testkit's fault-injecting fake TSD.

const http = { protocol: 'http' as const };

describe('http delivery', () => {
  it('posts JSON batches to /api/put?details with Basic auth from the URL', async () => {
    const tsd = await fakeTsd(http);
    const c = client({ url: `http://bob:s3cret@127.0.0.1:${tsd.port}`, lingerMs: 0 });
    c.send('a', 1, { x: 'y' }, { timestamp: 1_700_000_000_123 });
    c.send('b', 2n ** 62n, {}, { timestamp: T0 });
    c.sendLine('put c 1700000000 1.50 x=y');
    expect(await c.flush()).toEqual({ ok: true });
    const [request] = await tsd.waitForRequests(1);
    expect(request).toMatchObject({ method: 'POST', path: '/api/put', query: { details: '' }, status: 200 });
    expect(request!.headers.authorization).toBe(`Basic ${Buffer.from('bob:s3cret').toString('base64')}`);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.rawBody.toString()).toContain(`"value":${2n ** 62n}`);
    expect(request!.rawBody.toString()).toContain('"value":1.50');
    expect(tsd.points.map(({ metric, timestamp, tags }) => ({ metric, timestamp, tags }))).toEqual([
      { metric: 'a', timestamp: 1_700_000_000_123, tags: { x: 'y', host: 'testhost' } },
      { metric: 'b', timestamp: T0, tags: { host: 'testhost' } },
      { metric: 'c', timestamp: T0, tags: { x: 'y', host: 'testhost' } },
    ]);
    expect(c.stats()).toMatchObject({ sent: 3, host: at(tsd) });
  });

  it('stamps points without a timestamp with the current millisecond', async () => {
    const tsd = await fakeTsd(http);
    const c = client({ hosts: [at(tsd)], ...http, lingerMs: 0 });
    const before = Date.now();
    c.send('m', 1);
    await c.flush();
    const [point] = await tsd.waitForPoints(1);
    expect(point!.timestamp).toBeGreaterThanOrEqual(before);
    expect(point!.timestamp).toBeLessThanOrEqual(Date.now());
  });

  it('sends a bearer token, or a custom token header, to a configured path', async () => {
    const tsd = await fakeTsd(http);
    const bearer = client({ url: `${tsd.url}/write/put?db=x`, token: 'tok1', lingerMs: 0 });
    bearer.send('m', 1);
    await bearer.flush();
    const custom = client({
      url: tsd.url,
      token: 'tok2',
      tokenHeader: 'X-Warp10-Token',
      details: false,
      lingerMs: 0,
    });
    custom.send('m', 1);
    await custom.flush();
    const requests = await tsd.waitForRequests(2);
    expect(
      requests.map((r) => [r.path, r.query, r.headers.authorization, r.headers['x-warp10-token']]),
    ).toEqual([
      ['/write/put', { db: 'x', details: '' }, 'Bearer tok1', undefined],
      ['/api/put', {}, undefined, 'tok2'],
    ]);
  });

  it('retries 5xx with backoff until the TSD takes the batch', async () => {
    const tsd = await fakeTsd({ ...http, mode: { kind: 'status', status: 503 } });
    const c = client({ hosts: [at(tsd)], ...http, lingerMs: 0, backoff: { initialDelayMs: 100, jitter: 0 } });
    c.send('m', 1);
    await tsd.waitForRequests(2);
    await tsd.setMode({ kind: 'accept' });
    expect(await c.flush({ timeoutMs: 10_000 })).toEqual({ ok: true });
    expect(tsd.points).toHaveLength(1);
    const { retries, errors } = c.stats();
    expect(retries).toBe(tsd.requests.length - 1);
    expect(errors).toBe(tsd.requests.length - 1);
    expect(c.stats()).toMatchObject({ sent: 1, rejected: 0 });
  });

  it('waits as long as Retry-After says on 429', async () => {
    const tsd = await fakeTsd({ ...http, mode: { kind: 'status', status: 429, retryAfter: 1 } });
    const c = client({ hosts: [at(tsd)], ...http, lingerMs: 0 });
    c.send('m', 1);
    await tsd.waitForRequests(1);
    await tsd.setMode({ kind: 'accept' });
    expect(await c.flush({ timeoutMs: 10_000 })).toEqual({ ok: true });
    const [first, second] = tsd.requests;
    expect(tsd.requests).toHaveLength(2);
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(900);
  });

  it('per-point rejects from ?details are counted and reported, never retried', async () => {
    const tsd = await fakeTsd({
      ...http,
      mode: { kind: 'reject', reject: (input) => (input.index === 1 ? 'Unknown metric' : undefined) },
    });
    const c = client({ hosts: [at(tsd)], ...http, lingerMs: 0 });
    const events: RejectedEvent[] = [];
    c.on('rejected', (e) => events.push(e));
    const result = await c.write([
      { metric: 'a', timestamp: T0, value: 1, tags: {} },
      { metric: 'b', timestamp: T0, value: 2, tags: {} },
    ]);
    expect(result).toMatchObject({ ok: true, accepted: 1, rejected: 1 });
    expect(result.errors).toEqual([
      { datapoint: expect.objectContaining({ metric: 'b' }), error: 'Unknown metric' },
    ]);
    expect(events).toEqual([{ host: at(tsd), count: 1, errors: result.errors }]);
    expect(tsd.requests).toHaveLength(1);
    expect(c.stats()).toMatchObject({ sent: 1, rejected: 1, retries: 0 });
  });

  it('other 4xx refuse the batch for good: counted, reported, write() fails with the status', async () => {
    const tsd = await fakeTsd({ ...http, mode: { kind: 'status', status: 403 } });
    const c = client({ hosts: [at(tsd)], ...http, lingerMs: 0 });
    const events: RejectedEvent[] = [];
    c.on('rejected', (e) => events.push(e));
    const result = await c.write([{ metric: 'a', timestamp: T0, value: 1, tags: {} }]);
    expect(result).toMatchObject({ ok: false, error: { code: 'rejected', status: 403 }, rejected: 1 });
    expect(events[0]).toMatchObject({ host: at(tsd), count: 1, error: { status: 403 } });
    expect(tsd.requests).toHaveLength(1);
    expect(c.stats()).toMatchObject({ rejected: 1, retries: 0, sent: 0 });
  });

  it('a TSD closing the connection mid-request is retried', async () => {
    const tsd = await fakeTsd({ ...http, mode: { kind: 'close-after', bytes: 100, once: true } });
    const c = client({ hosts: [at(tsd)], ...http, lingerMs: 0 });
    for (let i = 0; i < 100; i++) c.send('m', i, {}, { timestamp: T0 });
    expect(await c.flush({ timeoutMs: 10_000 })).toEqual({ ok: true });
    expect(tsd.points).toHaveLength(100);
    expect(c.stats().retries).toBeGreaterThanOrEqual(1);
  });

  it('a stalled TSD times out and the batch fails over', async () => {
    const stalled = await fakeTsd({ ...http, mode: { kind: 'stall' } });
    const healthy = await fakeTsd(http);
    const c = client({ hosts: [at(stalled), at(healthy)], ...http, lingerMs: 0, requestTimeoutMs: 300 });
    c.send('m', 1);
    expect(await c.flush({ timeoutMs: 10_000 })).toEqual({ ok: true });
    expect(healthy.points).toHaveLength(1);
  });

  it('TSD down at start, then up: everything arrives', async () => {
    const tsd = await downTsd(http);
    const c = client({ hosts: [at(tsd)], ...http, batchSize: 50 });
    for (let i = 0; i < 500; i++) c.send('m', i, {}, { timestamp: T0 });
    await waitFor(() => c.stats().errors >= 2);
    await tsd.start();
    expect(await c.flush({ timeoutMs: 20_000 })).toEqual({ ok: true });
    expect(new Set(tsd.points.map((p) => p.value)).size).toBe(500);
  });

  it('gzip bodies arrive intact', async () => {
    const tsd = await fakeTsd(http);
    const c = client({ hosts: [at(tsd)], ...http, gzip: true, lingerMs: 0 });
    for (let i = 0; i < 100; i++) c.send('m', i, {}, { timestamp: T0 });
    await c.flush();
    expect(tsd.points).toHaveLength(100);
    expect(tsd.requests[0]!.headers['content-encoding']).toBe('gzip');
  });

  it('fails over to the next host when one is down', async () => {
    const down = await downTsd(http);
    const tsd = await fakeTsd(http);
    const c = client({ hosts: [at(down), at(tsd)], ...http, lingerMs: 0 });
    c.send('m', 1);
    expect(await c.flush({ timeoutMs: 10_000 })).toEqual({ ok: true });
    expect(tsd.points).toHaveLength(1);
  });

  it('batches up to batchSize points per request', async () => {
    const tsd = await fakeTsd(http);
    const c = client({ hosts: [at(tsd)], ...http, batchSize: 100, concurrency: 1 });
    for (let i = 0; i < 1000; i++) c.send('m', i, {}, { timestamp: T0 });
    await c.flush();
    expect(tsd.points).toHaveLength(1000);
    expect(tsd.requests).toHaveLength(10);
    expect(tsd.requests.every((r) => (r.body as unknown[]).length === 100)).toBe(true);
  });

  it('lingerMs collects points arriving one by one into one request', async () => {
    const tsd = await fakeTsd(http);
    const c = client({ hosts: [at(tsd)], ...http, lingerMs: 200 });
    for (let i = 0; i < 5; i++) {
      c.send('m', i, {}, { timestamp: T0 });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await tsd.waitForPoints(5);
    expect(tsd.requests).toHaveLength(1);
  });
});
