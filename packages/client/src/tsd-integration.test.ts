import { startVictoriaMetrics, type VictoriaMetrics } from '@otsdb/testkit/victoria-metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client, type ClientOptions } from './index.js';

// The real TSD: VictoriaMetrics speaking OpenTSDB telnet and HTTP put, read back via its export API.

const fastRetry = { initialDelayMs: 20, maxDelayMs: 200, multiplier: 2, jitter: 0.5 };
const BASE = 1_700_000_000;

let vm: VictoriaMetrics;
const clients: Client[] = [];

beforeAll(async () => {
  vm = await startVictoriaMetrics();
});
afterAll(async () => {
  await vm?.stop();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 1000 })));
});

function client(options: Omit<ClientOptions, 'hosts'> & { port: number }): Client {
  const { port, ...rest } = options;
  const c = new Client({ hosts: [`127.0.0.1:${port}`], hostTag: 'vmtest', backoff: fastRetry, ...rest });
  clients.push(c);
  return c;
}

describe('against VictoriaMetrics', () => {
  it('telnet: every point reads back exactly (ms written as sec.mmm arrive as whole seconds)', async () => {
    const c = client({ port: vm.telnetPort, telnetTimestamps: 'fractional' });
    const values = [0, 1, -1, 1.5, 1e-7, 123456789, -2.25e10, 42n];
    values.forEach((value, i) => {
      expect(c.send('it.telnet.values', value, { kind: 'seconds' }, { timestamp: BASE + i })).toEqual({
        ok: true,
      });
      expect(c.send('it.telnet.values', value, { kind: 'ms' }, { timestamp: (BASE + i) * 1000 + 7 })).toEqual(
        {
          ok: true,
        },
      );
    });
    expect(c.sendLine('put it.telnet.line 1700000100 1.50 kind=line')).toEqual({ ok: true });
    expect((await c.close()).ok).toBe(true);
    const points = await vm.waitForPoints('{__name__=~"it.telnet.*"}', values.length * 2 + 1);
    const expected = [
      {
        metric: 'it.telnet.line',
        tags: { host: 'vmtest', kind: 'line' },
        timestamp: 1_700_000_100_000,
        value: 1.5,
      },
      ...values.map((value, i) => ({
        metric: 'it.telnet.values',
        tags: { host: 'vmtest', kind: 'ms' },
        // VictoriaMetrics 1.79 reads `sec.mmm` as seconds and cuts the fraction, even with
        // -opentsdbTrimTimestamp=1ms; OpenTSDB would keep the millisecond.
        timestamp: (BASE + i) * 1000,
        value: Number(value),
      })),
      ...values.map((value, i) => ({
        metric: 'it.telnet.values',
        tags: { host: 'vmtest', kind: 'seconds' },
        timestamp: (BASE + i) * 1000,
        value: Number(value),
      })),
    ];
    expect(points).toEqual(expected);
  });

  it('http: every point reads back exactly, millisecond timestamps included', async () => {
    const c = client({ port: vm.httpPutPort, protocol: 'http', lingerMs: 0 });
    const write = await c.write(
      Array.from({ length: 50 }, (_, i) => ({
        metric: 'it.http.values',
        timestamp: (BASE + i) * 1000 + i,
        value: i * 0.5 - 3,
        tags: { dc: 'x' },
      })),
    );
    expect(write).toEqual({ ok: true, accepted: 50, rejected: 0, errors: [] });
    const points = await vm.waitForPoints('it.http.values', 50);
    expect(points).toEqual(
      Array.from({ length: 50 }, (_, i) => ({
        metric: 'it.http.values',
        tags: { dc: 'x', host: 'vmtest' },
        timestamp: (BASE + i) * 1000 + i,
        value: i * 0.5 - 3,
      })),
    );
  });

  it.each(['telnet', 'http'] as const)(
    '%s: VictoriaMetrics restarted mid-stream, every queued point still arrives',
    async (protocol) => {
      const metric = `it.restart.${protocol}`;
      const c = client({
        port: protocol === 'telnet' ? vm.telnetPort : vm.httpPutPort,
        protocol,
        batchSize: 100,
        lingerMs: 0,
      });
      const total = 3000;
      let sent = 0;
      const sendSome = async (count: number) => {
        for (let i = 0; i < count; i++, sent++) {
          expect(c.send(metric, sent, {}, { timestamp: BASE + sent }).ok).toBe(true);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      };
      while (sent < total / 3) await sendSome(50);
      const restarting = vm.restart();
      while (sent < (2 * total) / 3) await sendSome(50);
      await restarting;
      while (sent < total) await sendSome(50);
      expect(await c.flush({ timeoutMs: 30_000 })).toEqual({ ok: true });
      const points = await vm.waitForPoints(metric, total, { timeoutMs: 30_000 });
      const seen = new Set(points.map((p) => `${p.timestamp}:${p.value}`));
      for (let i = 0; i < total; i++) expect(seen.has(`${(BASE + i) * 1000}:${i}`)).toBe(true);
      expect(c.stats()).toMatchObject({ dropped: 0, abandoned: 0, rejected: 0 });
    },
    60_000,
  );
});
