import { afterEach, describe, expect, it } from 'vitest';
import { downTsd, fakeTsd } from './__fixtures__/harness.js';
import { makeEndpoint } from './endpoints.js';
import { HttpTransport, type HttpTransportOptions } from './http-transport.js';
import type { Batch, TransportHooks } from './transport.js';

const hooks: TransportHooks = { onConnect() {}, onDisconnect() {}, onReplay() {}, onRemoteLine() {} };
const options: HttpTransportOptions = {
  tls: undefined,
  requestPath: '/api/put?details',
  headers: { 'content-type': 'application/json' },
  gzip: false,
  connections: 2,
  connectTimeoutMs: 2000,
  requestTimeoutMs: 2000,
  keepAliveMs: 1000,
};
const entries = [
  '{"metric":"a","timestamp":1,"value":1,"tags":{"x":"y"}}',
  '{"metric":"b","timestamp":1,"value":2,"tags":{"x":"y"}}',
];
const body = Buffer.from(entries.map((e) => `${e},`).join(''));
const batch: Batch = {
  runs: [body.subarray(0, 10), body.subarray(10)],
  count: 2,
  bytes: body.length,
  firstSeq: 0,
  owner: undefined,
  replay: false,
};
const signal = new AbortController().signal;
const http = { protocol: 'http' as const };

describe('HttpTransport', () => {
  let transport: HttpTransport | undefined;
  afterEach(async () => {
    await transport?.close(0);
    transport = undefined;
  });

  it('POSTs the batch as one JSON array to the put path with the given headers', async () => {
    const tsd = await fakeTsd(http);
    transport = new HttpTransport(
      { ...options, headers: { ...options.headers, authorization: 'Bearer t' } },
      hooks,
    );
    const result = await transport.deliver(batch, makeEndpoint('127.0.0.1', tsd.port), signal);
    expect(result).toEqual({ kind: 'success', value: { accepted: 2, rejected: 0, errors: [] } });
    expect(tsd.requests).toHaveLength(1);
    expect(tsd.requests[0]).toMatchObject({
      method: 'POST',
      path: '/api/put',
      query: { details: '' },
      headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
      body: entries.map((e) => JSON.parse(e)),
    });
    expect(transport.connectedHosts()).toEqual([`127.0.0.1:${tsd.port}`]);
  });

  it('gzips the body when asked', async () => {
    const tsd = await fakeTsd(http);
    transport = new HttpTransport({ ...options, gzip: true }, hooks);
    await transport.deliver(batch, makeEndpoint('127.0.0.1', tsd.port), signal);
    expect(tsd.requests[0]?.headers['content-encoding']).toBe('gzip');
    expect(tsd.requests[0]?.body).toEqual(entries.map((e) => JSON.parse(e)));
  });

  it('5xx and 429 are retryable, with the Retry-After delay', async () => {
    const tsd = await fakeTsd({ ...http, mode: { kind: 'status', status: 503 } });
    transport = new HttpTransport(options, hooks);
    const endpoint = makeEndpoint('127.0.0.1', tsd.port);
    const first = await transport.deliver(batch, endpoint, signal);
    await tsd.setMode({ kind: 'status', status: 429, retryAfter: 7 });
    const second = await transport.deliver(batch, endpoint, signal);
    expect(first).toMatchObject({
      kind: 'retryable',
      retryAfterMs: undefined,
      error: { code: 'http_status', status: 503 },
    });
    expect(second).toMatchObject({ kind: 'retryable', retryAfterMs: 7000, error: { status: 429 } });
  });

  it('a 400 with ?details reports the refused points; other 4xx refuse the batch', async () => {
    const tsd = await fakeTsd({
      ...http,
      mode: { kind: 'reject', reject: (i) => (i.index === 1 ? 'Unknown metric' : undefined) },
    });
    transport = new HttpTransport(options, hooks);
    const endpoint = makeEndpoint('127.0.0.1', tsd.port);
    const partial = await transport.deliver(batch, endpoint, signal);
    expect(partial).toMatchObject({ kind: 'success', value: { accepted: 1, rejected: 1 } });
    if (partial.kind === 'success') {
      expect(partial.value.errors).toEqual([
        { datapoint: expect.objectContaining({ metric: 'b' }), error: 'Unknown metric' },
      ]);
    }
    await tsd.setMode({ kind: 'status', status: 401 });
    const refused = await transport.deliver(batch, endpoint, signal);
    expect(refused).toMatchObject({ kind: 'failure', error: { code: 'rejected', status: 401 } });
    if (refused.kind === 'failure') expect(refused.error.message).toContain('fake TSD answers 401');
  });

  it('a refused connection is retryable and names the host', async () => {
    const tsd = await downTsd(http);
    transport = new HttpTransport(options, hooks);
    const result = await transport.deliver(batch, makeEndpoint('127.0.0.1', tsd.port), signal);
    expect(result).toMatchObject({ kind: 'retryable', error: { code: 'connect_failed' } });
    if (result.kind === 'retryable') expect(result.error.message).toContain(`127.0.0.1:${tsd.port}`);
  });

  it('a stalled TSD times out as retryable', async () => {
    const tsd = await fakeTsd({ ...http, mode: { kind: 'stall' } });
    transport = new HttpTransport({ ...options, requestTimeoutMs: 200 }, hooks);
    const result = await transport.deliver(batch, makeEndpoint('127.0.0.1', tsd.port), signal);
    expect(result).toMatchObject({ kind: 'retryable', error: { code: 'timeout' } });
  });

  it('an aborted request ends as closed, not as a retry', async () => {
    const tsd = await fakeTsd(http);
    transport = new HttpTransport(options, hooks);
    const controller = new AbortController();
    controller.abort();
    const result = await transport.deliver(batch, makeEndpoint('127.0.0.1', tsd.port), controller.signal);
    expect(result).toMatchObject({ kind: 'failure', error: { code: 'closed' } });
  });
});
