import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, type Harness, harness, pt, T0 } from './__fixtures__/store-harness.js';

afterEach(cleanup);

let h: Harness;
beforeEach(async () => {
  h = await harness();
  await h.write([
    pt('sys.cpu.user', 0, 1, { host: 'web01', dc: 'lga' }),
    pt('sys.cpu.user', 60, 2, { host: 'web01', dc: 'lga' }),
    pt('sys.cpu.user', 30, 2.5, { host: 'web02', dc: 'lga' }, '2.5'),
    pt('sys.cpu.system', 0, 3, { host: 'db01', dc: 'sjc' }),
    pt('sys.mem', 0, 4, { host: 'web01' }),
    pt('net.bytes', 0, 5, { iface: 'eth0', host: 'web02' }),
  ]);
});

describe('routing and envelopes', () => {
  it.each([
    ['/api/nope', 404, 'Endpoint not found'],
    ['/nope', 404, 'Endpoint not found'],
    ['/', 404, 'Endpoint not found'],
    ['/api/v2/query', 501, 'Requested API version is greater than the max implemented'],
    ['/api/vx/query', 404, 'Endpoint not found'], // not a version: the endpoint "vx"
    ['/api/v1x/query', 400, 'Invalid API version format supplied'],
    ['/api/query/exp', 501, 'Expression queries are not supported by the local store'],
    ['/api/search/tsmeta', 400, 'Searching is not enabled'],
    ['/api/search/whatever', 400, 'Invalid search query type supplied'],
  ])('%s -> %i %s', async (path, status, message) => {
    const r = await h.get(path, '');
    expect(r.status).toBe(status);
    expect((r.json as { error: { code: number; message: string } }).error).toMatchObject({
      code: status,
      message,
    });
  });

  it('unknown endpoints answer exactly like a TSD', async () => {
    expect((await h.get('/api/nope', '')).text).toBe('{"error":{"code":404,"message":"Endpoint not found"}}');
  });

  it('checks methods per endpoint', async () => {
    const r = await h.store.handleRead({ method: 'PUT', path: '/api/query', search: '', body: undefined });
    expect(r.status).toBe(405);
    expect(JSON.parse(r.body)).toEqual({
      error: {
        code: 405,
        message: 'Method not allowed',
        details: 'The HTTP method [PUT] is not permitted for this endpoint',
      },
    });
    const del = await h.store.handleRead({
      method: 'DELETE',
      path: '/api/query',
      search: '',
      body: undefined,
    });
    expect(JSON.parse(del.body).error).toMatchObject({ code: 400, message: 'Bad request' });
  });

  it('accepts a version prefix and any case in endpoint names; answers JSON', async () => {
    const r = await h.store.handleRead({
      method: 'GET',
      path: '/api/v1/AGGREGATORS/',
      search: '',
      body: undefined,
    });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=UTF-8');
  });

  it('/api/version says what answers', async () => {
    const r = await h.get('/api/version', '');
    expect(r.json).toMatchObject({ version: expect.any(String), short_revision: 'otsdb-proxy' });
  });

  it('/api/aggregators lists every aggregator, sorted', async () => {
    const names = (await h.get('/api/aggregators', '')).json as string[];
    expect(names).toEqual([...names].sort());
    for (const n of [
      'sum',
      'avg',
      'min',
      'max',
      'count',
      'dev',
      'zimsum',
      'mimmin',
      'mimmax',
      'none',
      'p99',
      'first',
      'last',
    ]) {
      expect(names).toContain(n);
    }
  });
});

describe('/api/suggest', () => {
  it.each([
    ['?type=metrics', ['net.bytes', 'sys.cpu.system', 'sys.cpu.user', 'sys.mem']],
    ['?type=metrics&q=sys.cpu', ['sys.cpu.system', 'sys.cpu.user']],
    ['?type=metrics&q=sys&max=2', ['sys.cpu.system', 'sys.cpu.user']],
    ['?type=metrics&q=sys&max=0', ['sys.cpu.system', 'sys.cpu.user', 'sys.mem']], // 0 = default 25
    ['?type=tagk', ['dc', 'host', 'iface']],
    ['?type=tagv&q=web', ['web01', 'web02']],
    ['?type=tagv&q=nothing', []],
  ])('%s', async (search, expected) => {
    const r = await h.get('/api/suggest', search);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual(expected);
  });

  it('defaults to 25 suggestions', async () => {
    await h.write(
      Array.from({ length: 40 }, (_, i) => pt(`many.m${String(i).padStart(2, '0')}`, 0, 1, { h: 'x' })),
    );
    const r = await h.get('/api/suggest', '?type=metrics&q=many.');
    expect(r.json).toHaveLength(25);
    expect((r.json as string[])[0]).toBe('many.m00');
  });

  it('POST body', async () => {
    const r = await h.post('/api/suggest', { type: 'tagv', q: 'l', max: 10 });
    expect(r.json).toEqual(['lga']);
  });

  it.each([
    ['', 'Missing parameter <code>type</code>'],
    ['?type=bogus', "Invalid 'type' parameter:bogus"],
    ['?type=metrics&max=x', "Unable to parse 'max' as a number"],
  ])('%s -> 400 %s', async (search, message) => {
    const r = await h.get('/api/suggest', search);
    expect(r.status).toBe(400);
    expect((r.json as { error: { message: string } }).error.message).toBe(message);
  });

  it('POST without a type', async () => {
    const r = await h.post('/api/suggest', { q: 'x' });
    expect((r.json as { error: { message: string } }).error.message).toBe("Missing 'type' parameter");
  });
});

describe('/api/search/lookup', () => {
  type Lookup = {
    type: string;
    metric?: string;
    tags: { key: string | null; value: string | null }[];
    limit: number;
    results: { tsuid: string; metric: string; tags: Record<string, string> }[];
    startIndex: number;
    totalResults: number;
  };
  const lookup = async (m: string, extra = ''): Promise<Lookup> => {
    const r = await h.get('/api/search/lookup', `?m=${encodeURIComponent(m)}${extra}`);
    expect(r.status, r.text).toBe(200);
    return r.json as Lookup;
  };
  const hosts = (l: Lookup): string[] => l.results.map((r) => `${r.metric}:${r.tags.host}`).sort();

  it('has OpenTSDB shape', async () => {
    const l = await lookup('sys.cpu.user{host=*}');
    expect(Object.keys(l)).toEqual([
      'type',
      'metric',
      'tags',
      'limit',
      'time',
      'results',
      'startIndex',
      'totalResults',
    ]);
    expect(l).toMatchObject({
      type: 'LOOKUP',
      metric: 'sys.cpu.user',
      tags: [{ key: 'host', value: '*' }],
      limit: 25,
    });
    expect(l.totalResults).toBe(2);
    expect(l.results[0]).toEqual({
      tsuid: expect.stringMatching(/^([0-9A-F]{6}){5}$/), // metric + 2 tag pairs
      metric: 'sys.cpu.user',
      tags: { dc: 'lga', host: 'web01' },
    });
  });

  it.each([
    ['sys.cpu.user', ['sys.cpu.user:web01', 'sys.cpu.user:web02']],
    ['sys.cpu.user{host=web01}', ['sys.cpu.user:web01']],
    ['sys.cpu.user{host=web01,host=web02}', ['sys.cpu.user:web01', 'sys.cpu.user:web02']], // same key: OR
    ['sys.cpu.user{host=web01,host=*}', ['sys.cpu.user:web01', 'sys.cpu.user:web02']], // wildcard wins
    ['{host=web01}', ['sys.cpu.user:web01', 'sys.mem:web01']], // no metric: all metrics
    ['{dc=*}', ['sys.cpu.system:db01', 'sys.cpu.user:web01', 'sys.cpu.user:web02']],
    ['{dc=lga,host=web02}', ['sys.cpu.user:web02']], // different keys: AND
    ['{*=web02}', ['net.bytes:web02', 'sys.cpu.user:web02']], // any key with that value
    ['{=eth0,=sjc}', ['net.bytes:web02', 'sys.cpu.system:db01']], // values alone: OR
    ['*{iface=}', ['net.bytes:web02']], // key with any value
  ])('%s', async (m, expected) => {
    expect(hosts(await lookup(m))).toEqual(expected);
  });

  it('limit', async () => {
    const l = await lookup('{dc=*}', '&limit=1');
    expect(l.results).toHaveLength(1);
    expect(l).toMatchObject({ limit: 1, totalResults: 1 });
  });

  it('POST body', async () => {
    const r = await h.post('/api/search/lookup', {
      metric: 'sys.cpu.user',
      tags: [{ key: 'host', value: 'web02' }],
    });
    expect(hosts(r.json as Lookup)).toEqual(['sys.cpu.user:web02']);
  });

  it.each([
    ['', 400, 'Missing parameter <code>m</code>', undefined],
    ['?m=%7Bhost%7D', 400, 'Unable to parse query', "When parsing tag 'host': invalid tag: host"],
    ['?m=nope', 404, 'Unable to resolve one or more UIDs', "No such name for 'metrics': 'nope'"],
    ['?m=sys.mem%7Bnope=*%7D', 404, 'Unable to resolve one or more UIDs', "No such name for 'tagk': 'nope'"],
    ['?m=sys.mem&limit=x', 400, "Unable to convert 'limit' to a valid number", undefined],
  ])('%s -> %i', async (search, status, message, details) => {
    const r = await h.get('/api/search/lookup', search);
    expect(r.status).toBe(status);
    expect((r.json as { error: object }).error).toEqual({
      code: status,
      message,
      ...(details === undefined ? {} : { details }),
    });
  });
});

describe('/api/query/last', () => {
  type Last = {
    metric?: string;
    timestamp: number;
    value: string;
    tags?: Record<string, string>;
    tsuid: string;
  };

  it('newest point of each matching series; value as a string', async () => {
    const r = await h.get('/api/query/last', '?timeseries=sys.cpu.user&resolve');
    expect(r.status, r.text).toBe(200);
    const last = (r.json as Last[]).sort((a, b) => a.tags!.host!.localeCompare(b.tags!.host!));
    expect(last).toEqual([
      {
        metric: 'sys.cpu.user',
        timestamp: (T0 + 60) * 1000,
        value: '2',
        tags: { dc: 'lga', host: 'web01' },
        tsuid: expect.any(String),
      },
      {
        metric: 'sys.cpu.user',
        timestamp: (T0 + 30) * 1000,
        value: '2.5',
        tags: { dc: 'lga', host: 'web02' },
        tsuid: expect.any(String),
      },
    ]);
    expect(Object.keys(last[0]!)).toEqual(['metric', 'timestamp', 'value', 'tags', 'tsuid']);
  });

  it('without resolve only timestamp, value and tsuid; tags narrow the series', async () => {
    const r = await h.get('/api/query/last', '?timeseries=sys.cpu.user%7Bhost=web01%7D');
    expect(r.json).toEqual([{ timestamp: (T0 + 60) * 1000, value: '2', tsuid: expect.any(String) }]);
    const byTsuid = await h.get('/api/query/last', `?tsuids=${(r.json as Last[])[0]!.tsuid}&resolve`);
    expect((byTsuid.json as Last[])[0]).toMatchObject({ metric: 'sys.cpu.user', value: '2' });
  });

  it('backScan limits how many hours back from the current hour are searched', async () => {
    // The harness clock is T0 + 2 h; the data is in the hour starting at T0.
    const one = await h.post('/api/query/last', { queries: [{ metric: 'sys.mem' }], backScan: 1 });
    expect(one.json).toEqual([]);
    const two = await h.post('/api/query/last', {
      queries: [{ metric: 'sys.mem' }],
      backScan: 2,
      resolveNames: true,
    });
    expect(two.json).toEqual([
      {
        metric: 'sys.mem',
        timestamp: T0 * 1000,
        value: '4',
        tags: { host: 'web01' },
        tsuid: expect.any(String),
      },
    ]);
  });

  it.each([
    ['', 400, 'Missing sub queries'],
    ['?timeseries=nope', 400, "No such name for 'metrics': 'nope'"],
    ['?timeseries=sys.mem&back_scan=x', 400, 'Unable to parse back_scan parameter'],
    ['?timeseries=sys.mem&back_scan=-1', 400, 'Backscan must be zero or a positive number'],
    ['?timeseries=sys.mem%7Bhost%7D', 400, "When parsing tag 'host': invalid tag: host"],
  ])('%s -> %i %s', async (search, status, message) => {
    const r = await h.get('/api/query/last', search);
    expect(r.status).toBe(status);
    expect((r.json as { error: { message: string } }).error.message).toBe(message);
  });
});
