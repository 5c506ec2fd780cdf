import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeCatchpointApi, v2NodesFrom } from '../test/fake-catchpoint-api.js';
import { fixture } from '../test/fixtures.js';
import { CatchpointV1Client, CatchpointV2Client } from './catchpoint-api.js';

const v1Raw = (fixture('nodes-v1') as { items: unknown[] }).items;

describe('Catchpoint REST API v1', () => {
  let api: FakeCatchpointApi;
  beforeEach(async () => {
    api = new FakeCatchpointApi({ v1Nodes: v1Raw });
    await api.start();
  });
  afterEach(async () => {
    await api.stop();
  });

  const client = (over: Partial<ConstructorParameters<typeof CatchpointV1Client>[0]> = {}) =>
    new CatchpointV1Client({
      baseUrl: api.baseUrl,
      clientId: 'client-id-1',
      clientSecret: 'client-secret-1',
      timeoutMs: 5000,
      ...over,
    });

  it('gets a token by client credentials, then the nodes with the token base64-encoded as bearer', async () => {
    const r = await client().fetchNodes();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.nodes.map((n) => n.id)).toEqual([312, 1001, 2050]);
    expect(r.nodes[0]).toEqual({
      id: 312,
      name: 'Jinan, CN - Unicom',
      asn: 4837,
      city: 'Jinan',
      country: 'China',
      region: 'Shandong',
      continent: 'Asia',
      isp: 'China Unicom',
      networkType: 'Backbone',
    });
    const [tokenReq, nodesReq] = api.requests;
    expect(tokenReq).toMatchObject({ method: 'POST', path: '/ui/api/token' });
    expect(tokenReq!.contentType).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(tokenReq!.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'client-id-1',
      client_secret: 'client-secret-1',
    });
    expect(nodesReq).toMatchObject({ method: 'GET', path: '/ui/api/v1/nodes' });
    expect(nodesReq!.authorization).toBe(`Bearer ${Buffer.from('token-1').toString('base64')}`);
  });

  it('reuses the token until shortly before it expires', async () => {
    let now = 1_000_000;
    const c = client({ now: () => now });
    await c.fetchNodes();
    await c.fetchNodes();
    expect(api.tokensIssued).toBe(1);
    // 1800 s lifetime, renewed 60 s early.
    now += (1800 - 61) * 1000;
    await c.fetchNodes();
    expect(api.tokensIssued).toBe(1);
    now += 2000;
    expect(c.hasValidToken).toBe(false);
    await c.fetchNodes();
    expect(api.tokensIssued).toBe(2);
  });

  it('on 401 (token revoked or expired early) gets a new token and retries once', async () => {
    const c = client();
    await c.fetchNodes();
    api.expireTokens();
    const r = await c.fetchNodes();
    expect(r.ok).toBe(true);
    expect(api.tokensIssued).toBe(2);
    expect(api.count('/ui/api/v1/nodes')).toBe(3);
  });

  it('gives up after a second 401 and says it is an authentication problem', async () => {
    const c = client();
    api.failNext('/ui/api/v1/nodes', { status: 401 });
    api.failNext('/ui/api/v1/nodes', { status: 401 });
    const r = await c.fetchNodes();
    expect(r).toEqual({ ok: false, error: expect.objectContaining({ code: 'auth', status: 401 }) });
  });

  it('reports refused client credentials without echoing the secret', async () => {
    const r = await client({ clientSecret: 'wrong-secret-value' }).fetchNodes();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('auth');
    expect(r.error.message).toContain('invalid_client');
    expect(r.error.message).not.toContain('wrong-secret-value');
  });

  it.each([
    ['a 5xx', { status: 503 }, 'http'],
    ['an answer that is not JSON', 'garbage', 'invalid_response'],
    ['a connection reset', 'reset', 'network'],
  ] as const)('turns %s into an error value', async (_label, fault, code) => {
    api.failNext('/ui/api/v1/nodes', fault);
    const r = await client().fetchNodes();
    expect(r).toEqual({ ok: false, error: expect.objectContaining({ code }) });
  });

  it('times out a server that never answers', async () => {
    api.failNext('/ui/api/token', 'hang');
    const r = await client({ timeoutMs: 300 }).fetchNodes();
    expect(r).toEqual({ ok: false, error: expect.objectContaining({ code: 'timeout' }) });
  });

  it('stops when aborted', async () => {
    api.failNext('/ui/api/token', 'hang');
    const ac = new AbortController();
    const p = client().fetchNodes(ac.signal);
    setTimeout(() => ac.abort(), 50);
    expect(await p).toEqual({ ok: false, error: expect.objectContaining({ code: 'aborted' }) });
  });

  it('refuses an answer larger than the limit', async () => {
    const r = await client({ maxResponseBytes: 200 }).fetchNodes();
    expect(r).toEqual({ ok: false, error: expect.objectContaining({ code: 'too_large' }) });
  });

  it('keeps a base URL path prefix', async () => {
    const r = await client({ baseUrl: `${api.baseUrl}/` }).fetchNodes();
    expect(r.ok).toBe(true);
  });
});

describe('Catchpoint REST API v2', () => {
  let api: FakeCatchpointApi;
  afterEach(async () => {
    await api.stop();
  });

  const many = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ id: 5000 + i, name: `Node ${i}`, city: { name: `City ${i}` } }));

  it('pages through nodes/all with the API key as bearer', async () => {
    api = new FakeCatchpointApi({ v2Nodes: many(23) });
    await api.start();
    const c = new CatchpointV2Client({ baseUrl: api.baseUrl, apiKey: 'api-key-1', pageSize: 10 });
    const r = await c.fetchNodes();
    expect(r.ok && r.nodes.map((n) => n.id)).toEqual(Array.from({ length: 23 }, (_, i) => 5000 + i));
    expect(api.requests.map((q) => q.path)).toEqual([
      '/api/v2/nodes/all?pageNumber=1&pageSize=10',
      '/api/v2/nodes/all?pageNumber=2&pageSize=10',
      '/api/v2/nodes/all?pageNumber=3&pageSize=10',
    ]);
    expect(api.requests.every((q) => q.authorization === 'Bearer api-key-1')).toBe(true);
  });

  it('reads v2 node objects (no continent, region or ISP)', async () => {
    api = new FakeCatchpointApi({ v2Nodes: v2NodesFrom(v1Raw) });
    await api.start();
    const r = await new CatchpointV2Client({ baseUrl: api.baseUrl, apiKey: 'api-key-1' }).fetchNodes();
    expect(r.ok && r.nodes[1]).toEqual({
      id: 1001,
      name: 'New York, US - Level3',
      asn: 3356,
      city: 'New York',
      country: 'United States',
      networkType: 'Backbone',
    });
  });

  it('pages by page size when the answer has no hasMore, ending on a short page', async () => {
    api = new FakeCatchpointApi({ v2Nodes: many(20), v2HasMore: false });
    await api.start();
    const r = await new CatchpointV2Client({
      baseUrl: api.baseUrl,
      apiKey: 'api-key-1',
      pageSize: 10,
    }).fetchNodes();
    expect(r.ok && r.nodes).toHaveLength(20);
    // Pages 1 and 2 are full, page 3 is empty.
    expect(api.count('/api/v2/nodes/all')).toBe(3);
  });

  it('refuses a list that never ends instead of keeping a partial one', async () => {
    api = new FakeCatchpointApi({ v2Nodes: many(50) });
    await api.start();
    const r = await new CatchpointV2Client({
      baseUrl: api.baseUrl,
      apiKey: 'api-key-1',
      pageSize: 10,
      maxPages: 3,
    }).fetchNodes();
    expect(r).toEqual({ ok: false, error: expect.objectContaining({ code: 'invalid_response' }) });
  });

  it('reports a wrong key as an authentication error', async () => {
    api = new FakeCatchpointApi({ v2Nodes: many(1) });
    await api.start();
    const r = await new CatchpointV2Client({ baseUrl: api.baseUrl, apiKey: 'nope' }).fetchNodes();
    expect(r).toEqual({ ok: false, error: expect.objectContaining({ code: 'auth', status: 401 }) });
    if (!r.ok) expect(r.error.message).not.toContain('nope');
  });

  it('fails the whole refresh when a later page fails', async () => {
    api = new FakeCatchpointApi({ v2Nodes: many(15) });
    await api.start();
    api.failNext('/api/v2/nodes/all?pageNumber=2', { status: 500 });
    const r = await new CatchpointV2Client({
      baseUrl: api.baseUrl,
      apiKey: 'api-key-1',
      pageSize: 10,
    }).fetchNodes();
    expect(r).toEqual({ ok: false, error: expect.objectContaining({ code: 'http', status: 500 }) });
  });
});
