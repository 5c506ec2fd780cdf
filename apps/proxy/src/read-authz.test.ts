import { createPrincipal } from '@otsdb/auth';
import { describe, expect, it } from 'vitest';
import { authorizeReadRequest, tagToFilter } from './read-authz.js';

const free = createPrincipal({ name: 'ops', scopes: ['read'] });
const tenant = createPrincipal({
  name: 'acme',
  scopes: ['read'],
  metricPatterns: ['app.*'],
  forcedTags: { tenant: 'acme' },
});
const get = (path: string, search: string) => ({ method: 'GET', path, search, body: undefined });
const post = (path: string, body: unknown) => ({
  method: 'POST',
  path,
  search: '',
  body: Buffer.from(JSON.stringify(body)),
});
const bodyOf = (d: ReturnType<typeof authorizeReadRequest>) =>
  d.ok && d.body !== undefined ? JSON.parse(Buffer.from(d.body).toString()) : undefined;

describe('authorizeReadRequest', () => {
  it('passes an unrestricted principal through unchanged', () => {
    const req = get('/api/query', '?start=1h-ago&m=sum:sys.cpu');
    expect(authorizeReadRequest(free, req)).toEqual({ ok: true, search: req.search, body: undefined });
  });

  it('adds the forced tag as a filter to every m= sub-query', () => {
    const d = authorizeReadRequest(
      tenant,
      get(
        '/api/query',
        '?start=1h-ago&m=sum:app.req{host=*}&m=sum:1m-avg:rate{counter,,1000}:app.err{}{dc=lga}&m=avg:app.x',
      ),
    );
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(new URLSearchParams(d.search).getAll('m')).toEqual([
      'sum:app.req{host=*}{tenant=literal_or(acme)}',
      'sum:1m-avg:rate{counter,,1000}:app.err{}{dc=lga,tenant=literal_or(acme)}',
      'avg:app.x{}{tenant=literal_or(acme)}',
    ]);
  });

  it('refuses metrics outside the patterns, tsuids, and unbalanced specs', () => {
    expect(authorizeReadRequest(tenant, get('/api/query', '?start=1h-ago&m=sum:sys.cpu'))).toEqual({
      ok: false,
      status: 403,
      message: "metric 'sys.cpu' is not among the metrics 'acme' may read",
    });
    expect(authorizeReadRequest(tenant, get('/api/query', '?tsuid=sum:000001000001000001'))).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(authorizeReadRequest(tenant, get('/api/query', '?m=sum:app.x{host=a'))).toMatchObject({
      ok: false,
      status: 400,
    });
  });

  it('turns legacy tags into filters before adding the forced one (OpenTSDB replaces one list by the other)', () => {
    const d = authorizeReadRequest(
      tenant,
      post('/api/query', {
        start: '1h-ago',
        queries: [
          { metric: 'app.req', aggregator: 'sum', tags: { host: '*', dc: 'lga|sjc', env: 'regexp(pr.*)' } },
        ],
      }),
    );
    expect(bodyOf(d)).toEqual({
      start: '1h-ago',
      queries: [
        {
          metric: 'app.req',
          aggregator: 'sum',
          filters: [
            { type: 'wildcard', tagk: 'host', filter: '*', groupBy: true },
            { type: 'literal_or', tagk: 'dc', filter: 'lga|sjc', groupBy: true },
            { type: 'regexp', tagk: 'env', filter: 'pr.*', groupBy: true },
            { type: 'literal_or', tagk: 'tenant', filter: 'acme', groupBy: false },
          ],
        },
      ],
    });
    expect(tagToFilter('host', 'web*')).toEqual({
      type: 'wildcard',
      tagk: 'host',
      filter: 'web*',
      groupBy: true,
    });
  });

  it('overrides the forced tag in last-point and lookup queries', () => {
    const last = authorizeReadRequest(
      tenant,
      get('/api/query/last', '?timeseries=app.req{host=a,tenant=other}'),
    );
    expect(last.ok && new URLSearchParams(last.search).get('timeseries')).toBe('app.req{host=a,tenant=acme}');
    const lastBody = authorizeReadRequest(
      tenant,
      post('/api/query/last', { queries: [{ metric: 'app.req' }] }),
    );
    expect(bodyOf(lastBody)).toEqual({ queries: [{ metric: 'app.req', tags: { tenant: 'acme' } }] });
    const lookup = authorizeReadRequest(
      tenant,
      post('/api/search/lookup', { metric: 'app.req', tags: [{ key: 'tenant', value: '*' }] }),
    );
    expect(bodyOf(lookup)).toEqual({ metric: 'app.req', tags: [{ key: 'tenant', value: 'acme' }] });
    expect(authorizeReadRequest(tenant, get('/api/search/lookup', '?m=sys.cpu'))).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('filters metric suggestions and refuses tag suggestions', () => {
    const d = authorizeReadRequest(tenant, get('/api/suggest', '?type=metrics&q=a'));
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.filterResponse?.(['app.req', 'sys.cpu', 'app.err'])).toEqual(['app.req', 'app.err']);
    expect(authorizeReadRequest(tenant, get('/api/suggest', '?type=tagv&q=a'))).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('lets version and aggregators through', () => {
    expect(authorizeReadRequest(tenant, get('/api/version', '')).ok).toBe(true);
    expect(authorizeReadRequest(tenant, get('/api/aggregators', '')).ok).toBe(true);
  });
});
