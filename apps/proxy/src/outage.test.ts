import { type FakeTsd, simpleRequest, startFakeTsd, waitFor } from '@otsdb/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { openTelnet } from './__fixtures__/telnet-client.js';
import { type ProxyHandle, startProxy } from './proxy.js';

const proxies: ProxyHandle[] = [];
const fakes: FakeTsd[] = [];

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.stop({ timeoutMs: 2000 })));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function setup(protocol: 'telnet' | 'http', limits: Record<string, unknown> = {}) {
  const fake = await startFakeTsd({ protocol });
  fakes.push(fake);
  const target = protocol === 'http' ? fake.putUrl : `telnet://127.0.0.1:${fake.port}`;
  const proxy = await startProxy({
    listeners: { telnet: { port: 0 }, http: { port: 0 } },
    backend: {
      type: 'forward',
      forward: { targets: [target], maxQueue: 1000, hostCooldownMs: 50 },
    },
    limits,
  });
  proxies.push(proxy);
  return { fake, proxy };
}

const body = (n: number, from = 0) =>
  JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      metric: 'o.p',
      timestamp: 1_700_000_000 + from + i,
      value: i,
      tags: { host: 'a' },
    })),
  );

describe('TSD outage', () => {
  it('HTTP: buffers within the queue bound, then refuses clearly; the buffered points arrive later', async () => {
    const { fake, proxy } = await setup('http', { ackTimeoutMs: 500 });
    await fake.setMode({ kind: 'refuse' });
    const url = `http://127.0.0.1:${proxy.ports.http}/api/put`;
    const first = await simpleRequest(url, { method: 'POST', body: body(600) });
    expect(first.status).toBe(503);
    expect(JSON.parse(first.body).error.message).toContain('did not acknowledge within 500 ms');
    const second = await simpleRequest(url, { method: 'POST', body: body(600, 600) });
    expect(second.status).toBe(503);
    expect(second.headers['retry-after']).toBe('5');
    expect(JSON.parse(second.body).error.message).toBe('queue cannot take 600 points: 600 of 1000 held');
    await fake.setMode({ kind: 'accept' });
    await fake.waitForPoints(600, { timeoutMs: 20_000 });
    const third = await simpleRequest(url, { method: 'POST', body: body(10, 2000) });
    expect(third.status).toBe(204);
    await fake.waitForPoints(610, { timeoutMs: 20_000 });
    expect(proxy.stats().backend.failed).toBe(600);
  });

  it('telnet: stops reading while the TSD is down and loses nothing', async () => {
    const { fake, proxy } = await setup('telnet');
    await fake.setMode({ kind: 'refuse' });
    const s = await openTelnet(proxy.ports.telnet!);
    const n = 5000;
    let text = '';
    for (let i = 0; i < n; i++) text += `put o.t ${1_700_000_000 + i} ${i} host=a\n`;
    s.write(text);
    // The client's queue reaches its high-water mark and the connection is paused.
    await waitFor(() => proxy.stats().backend.queued >= 800);
    expect(proxy.stats().backend.queued).toBeLessThanOrEqual(1000);
    await fake.setMode({ kind: 'accept' });
    expect(await s.end(30_000)).toEqual([]);
    await fake.waitForLines(n, { timeoutMs: 30_000 });
    const values = new Set(fake.lines.map((l) => Number(l.split(' ')[3])));
    expect(values.size).toBe(n);
    expect(proxy.stats().points.rejected.backend).toBe(0);
  });
});

describe('graceful shutdown', () => {
  it('stops listening, hands on what it read and waits for the writes', async () => {
    const { fake, proxy } = await setup('http');
    await fake.setMode({ kind: 'slow', delayMs: 300 });
    const s = await openTelnet(proxy.ports.telnet!);
    let text = '';
    for (let i = 0; i < 100; i++) text += `put g.s ${1_700_000_000 + i} ${i} host=a\n`;
    s.write(text);
    await waitFor(() => proxy.stats().points.accepted === 100);
    const put = simpleRequest(`http://127.0.0.1:${proxy.ports.http}/api/put`, {
      method: 'POST',
      body: body(5, 500),
    });
    await waitFor(() => proxy.stats().points.accepted === 105);
    await proxy.stop({ timeoutMs: 10_000 });
    expect((await put).status).toBe(204);
    await s.closed;
    expect(fake.points.length).toBe(105);
    await expect(openTelnet(proxy.ports.telnet!)).rejects.toThrow(/ECONNREFUSED/);
  });
});
