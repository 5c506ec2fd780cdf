/**
 * Whatever arrives, handleRead answers: 200 with JSON, or a 4xx/501 in OpenTSDB's envelope.
 * Never a throw, never a 500.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, type Harness, harness, pt, T0 } from './__fixtures__/store-harness.js';
import type { ReadRequest } from './index.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
  const points = [];
  for (let i = 0; i < 40; i++) {
    points.push(pt('sys.cpu', i * 15, i % 7, { host: `web${i % 3}`, dc: i % 2 ? 'lga' : 'sjc' }));
    points.push(pt('sys.mem', i * 15, i + 0.5, { host: `web${i % 3}` }, String(i + 0.5)));
  }
  await h.write(points);
});
afterAll(cleanup);

async function check(req: ReadRequest): Promise<void> {
  const r = await h.store.handleRead(req);
  expect([200, 400, 404, 405, 501]).toContain(r.status);
  const body = JSON.parse(r.body) as unknown;
  if (r.status !== 200) {
    expect(body).toMatchObject({ error: { code: r.status, message: expect.any(String) } });
  }
}

const paths = [
  '/api/query',
  '/api/query/last',
  '/api/suggest',
  '/api/search/lookup',
  '/api/version',
  '/api/aggregators',
  '/api/v1/query',
  '/api/search',
  '/api',
  '/',
];

const aggregators = ['sum', 'avg', 'none', 'p99', 'zimsum', 'count', 'dev', 'mimmax', 'first', 'bogus', ''];
const rates = [
  'rate',
  'rate{counter}',
  'rate{counter,65535,100}',
  'rate{dropcounter,,}',
  'rate{',
  'rate{x,y,z,w}',
];
const downsamples = [
  '1m-avg',
  '15s-sum-nan',
  '1h-max-null',
  '0all-sum',
  '30s-count-zero',
  '1ms-count-zero',
  '1m-avg-bogus',
  '1dc-sum',
  '0s-sum',
  '99999999999999999999y-sum',
  '7m-dev',
];
const metrics = [
  'sys.cpu',
  'sys.mem',
  'sys.cpu{host=*}',
  'sys.cpu{host=web0|web1}',
  'sys.cpu{}{dc=regexp([)}',
  'sys.cpu{dc=wildcard(*l*)}{host=not_iliteral_or(WEB1)}',
  'sys.cpu{host=regexp(^web[12]$)}',
  'sys.cpu{host}',
  'sys.cpu{=}',
  '{host=*}',
  'nope',
  '',
];
const fragment = fc.constantFrom(
  ...aggregators,
  ...rates,
  ...downsamples,
  ...metrics,
  'explicit_tags',
  'percentiles[50]',
);
/** Mostly well-formed `m` values (so most reach the engine), sometimes fragments in any order. */
const mParam = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...aggregators),
        fc.option(fc.constantFrom(...rates), { nil: undefined }),
        fc.option(fc.constantFrom(...downsamples), { nil: undefined }),
        fc.constantFrom(...metrics),
      )
      .map((parts) => parts.filter((p) => p !== undefined).join(':')),
  },
  { weight: 1, arbitrary: fc.array(fragment, { minLength: 1, maxLength: 5 }).map((f) => f.join(':')) },
);

const timeText = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(String(T0), '3h-ago', `${T0 + 30}`) },
  fc.constantFrom(
    '1h-ago',
    '2h-ago',
    'now',
    '0',
    '-1',
    String(T0),
    String(T0 * 1000),
    `${T0}.5`,
    '1970/01/01',
    '2023/11/14-23:00:00',
    '1ms-ago',
    '9999999999999999999',
    'x-ago',
  ),
  fc.string({ maxLength: 12 }),
);

describe('handleRead never fails', () => {
  it('on arbitrary methods, paths, query strings and bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'get', ''),
        fc.oneof(
          fc.constantFrom(...paths),
          fc.string({ maxLength: 30 }).map((s) => '/api/' + s),
        ),
        fc.string({ maxLength: 80 }).map((s) => (s === '' ? '' : '?' + s)),
        fc.option(fc.uint8Array({ maxLength: 120 }), { nil: undefined }),
        (method, path, search, body) => check({ method, path, search, body }),
      ),
      { numRuns: 400 },
    );
  });

  it('on query strings built from plausible pieces', async () => {
    await fc.assert(
      fc.asyncProperty(
        timeText,
        fc.option(timeText, { nil: undefined }),
        fc.array(mParam, { maxLength: 3 }),
        fc.subarray(['ms', 'show_query', 'show_tsuids', 'arrays']),
        (start, end, subs, flags) => {
          const params = new URLSearchParams();
          params.set('start', start);
          if (end !== undefined) params.set('end', end);
          for (const m of subs) params.append('m', m);
          for (const f of flags) params.set(f, '');
          return check({
            method: 'GET',
            path: '/api/query',
            search: '?' + params.toString(),
            body: undefined,
          });
        },
      ),
      { numRuns: 400 },
    );
  });

  it('on JSON bodies shaped like queries', async () => {
    const scalar = fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fragment,
    );
    const filter = fc.record(
      {
        type: fc.oneof(
          fc.constantFrom('literal_or', 'wildcard', 'regexp', 'iliteral_or', 'not_literal_or'),
          scalar,
        ),
        tagk: fc.oneof(fc.constantFrom('host', 'dc'), scalar),
        filter: fc.oneof(fc.constantFrom('*', 'web1', 'web*', '(', 'lga|sjc'), scalar),
        groupBy: fc.oneof(fc.boolean(), scalar),
      },
      { requiredKeys: [] },
    );
    const sub = fc.record(
      {
        aggregator: fc.oneof(fragment, scalar),
        metric: fc.oneof(fragment, scalar),
        downsample: fc.oneof(fragment, scalar),
        rate: fc.oneof(fc.boolean(), scalar),
        rateOptions: fc.oneof(
          fc.record(
            {
              counter: fc.boolean(),
              counterMax: fc.oneof(fc.integer(), scalar),
              resetValue: scalar,
              dropResets: scalar,
            },
            { requiredKeys: [] },
          ),
          scalar,
        ),
        filters: fc.oneof(fc.array(filter, { maxLength: 3 }), scalar),
        tags: fc.oneof(fc.dictionary(fc.constantFrom('host', 'dc', 'x'), fc.oneof(fragment, scalar)), scalar),
        tsuids: fc.oneof(fc.array(fc.string({ maxLength: 18 }), { maxLength: 2 }), scalar),
        explicitTags: scalar,
      },
      { requiredKeys: [] },
    );
    const query = fc.record(
      {
        start: fc.oneof(timeText, fc.integer(), scalar),
        end: fc.oneof(timeText, scalar),
        queries: fc.oneof(fc.array(sub, { maxLength: 3 }), scalar),
        msResolution: scalar,
        showQuery: scalar,
        timezone: fc.oneof(fc.constantFrom('UTC', 'Asia/Kabul', 'Nowhere/City'), scalar),
        useCalendar: scalar,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths.slice(0, 4)), query, (path, q) =>
        check({ method: 'POST', path, search: '', body: new TextEncoder().encode(JSON.stringify(q)) }),
      ),
      { numRuns: 400 },
    );
  });
});
