import { waitFor } from '@otsdb/testkit/wait-for';
import { describe, expect, it } from 'vitest';
import { at, client, downTsd, fakeTsd, T0, valuesOf } from './__fixtures__/harness.js';
import type { RejectedEvent } from './index.js';

// The client over telnet against testkit's fault-injecting fake TSD.

describe('telnet delivery', () => {
  it('writes put lines with the host tag: automatic, overridden per call, or off', async () => {
    const tsd = await fakeTsd();
    const c = client({ hosts: [at(tsd)] });
    c.send('a', 1, { x: 'y' }, { timestamp: T0 });
    c.send('b', 2.5, { host: 'other' }, { timestamp: T0 + 1 });
    c.send('c', 10n ** 18n, { x: 'y' }, { timestamp: 1_700_000_002_123 });
    expect(await c.flush()).toEqual({ ok: true });
    expect(await tsd.waitForLines(3)).toEqual([
      'put a 1700000000 1 x=y host=testhost',
      'put b 1700000001 2.5 host=other',
      'put c 1700000002123 1000000000000000000 x=y host=testhost',
    ]);
    const off = client({ hosts: [at(tsd)], hostTag: false });
    off.send('d', 1, { x: 'y' }, { timestamp: T0 });
    await off.flush();
    expect((await tsd.waitForLines(4))[3]).toBe('put d 1700000000 1 x=y');
  });

  it('stamps points without a timestamp with the current second', async () => {
    const tsd = await fakeTsd();
    const c = client({ hosts: [at(tsd)] });
    const before = Math.floor(Date.now() / 1000);
    c.send('m', 1);
    await c.flush();
    const [line] = await tsd.waitForLines(1);
    const ts = Number(line!.split(' ')[2]);
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });

  it("telnetTimestamps 'seconds' writes whole seconds, 'fractional' writes sec.mmm", async () => {
    const tsd = await fakeTsd();
    const seconds = client({ hosts: [at(tsd)], telnetTimestamps: 'seconds' });
    seconds.send('m', 1, {}, { timestamp: 1_700_000_000_999 });
    seconds.send('m', 1, {}, { timestamp: T0 });
    await seconds.flush();
    await tsd.waitForLines(2);
    const fractional = client({ hosts: [at(tsd)], telnetTimestamps: 'fractional' });
    for (const ts of [1_700_000_000_007, 1_700_000_000_070, 1_700_000_000_700, T0 + 1]) {
      fractional.send('m', 1, {}, { timestamp: ts });
    }
    await fractional.flush();
    const lines = await tsd.waitForLines(6);
    expect(lines.map((l) => l.split(' ')[2])).toEqual([
      '1700000000',
      '1700000000',
      '1700000000.007',
      '1700000000.070',
      '1700000000.700',
      '1700000001',
    ]);
  });

  it('sendLine and sendPoint forward the value text unchanged', async () => {
    const tsd = await fakeTsd();
    const c = client({ hosts: [at(tsd)], hostTag: false });
    expect(c.sendLine('put m 1700000000 1.50 a=b\n')).toEqual({ ok: true });
    expect(c.sendLine('m 1700000000 007 a=b')).toEqual({ ok: true });
    expect(
      c.sendPoint({ metric: 'p', timestamp: T0, value: 2.5, valueText: '2.50', tags: { a: 'b' } }),
    ).toEqual({
      ok: true,
    });
    expect(c.sendLine('put m notatime 1 a=b')).toMatchObject({
      ok: false,
      error: { code: 'invalid_timestamp' },
    });
    expect(c.sendLine('put m 1700000000 1')).toMatchObject({ ok: false, error: { code: 'missing_tags' } });
    await c.flush();
    expect(await tsd.waitForLines(3)).toEqual([
      'put m 1700000000 1.50 a=b',
      'put m 1700000000 007 a=b',
      'put p 1700000000 2.50 a=b',
    ]);
  });

  it('adds gateway credentials as tags on each line and never logs them', async () => {
    const tsd = await fakeTsd({
      mode: { kind: 'reject', reject: () => 'bad tag password=s3cret-pw s3cret-pw' },
    });
    const logged: string[] = [];
    const log = (fields: Record<string, unknown>, message: string) =>
      logged.push(JSON.stringify(fields) + message);
    const logger = { debug: log, info: log, warn: log, error: log, child: () => logger };
    const c = client({ hosts: [at(tsd)], user: 'agent', password: 's3cret-pw', logger, logIntervalMs: 0 });
    const events: RejectedEvent[] = [];
    c.on('rejected', (e) => events.push(e));
    c.send('m', 1, { a: 'b' }, { timestamp: T0 });
    await c.flush();
    expect(await tsd.waitForLines(1)).toEqual([
      'put m 1700000000 1 a=b host=testhost user=agent password=s3cret-pw',
    ]);
    await waitFor(() => c.stats().rejected === 1);
    await c.close();
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).not.toContain('s3cret-pw');
    expect(JSON.stringify(events)).not.toContain('s3cret-pw');
  });

  it('counts and reports what the TSD writes back as rejected points', async () => {
    const tsd = await fakeTsd({
      mode: {
        kind: 'reject',
        reject: (input) =>
          input.protocol === 'telnet' && input.line.includes(' bad ')
            ? 'Invalid metric name ("bad")'
            : undefined,
      },
    });
    const c = client({ hosts: [at(tsd)] });
    const events: RejectedEvent[] = [];
    c.on('rejected', (e) => events.push(e));
    c.send('good', 1, {}, { timestamp: T0 });
    c.send('bad', 1, {}, { timestamp: T0 });
    await c.flush();
    await waitFor(() => events.length === 1);
    expect(events[0]).toEqual({
      host: at(tsd),
      count: 1,
      errors: [{ datapoint: undefined, error: 'put: illegal argument: Invalid metric name ("bad")' }],
    });
    expect(c.stats()).toMatchObject({ sent: 2, rejected: 1 });
  });

  it('joins many points into few writes', async () => {
    const tsd = await fakeTsd();
    const c = client({ hosts: [at(tsd)], batchSize: 1000 });
    for (let i = 0; i < 10_000; i++) c.send('m', i, { a: 'b' }, { timestamp: T0 });
    await c.flush();
    const lines = await tsd.waitForLines(10_000);
    expect(new Set(lines).size).toBe(10_000);
    expect(tsd.connections).toHaveLength(1);
  });

  it('TSD down at start: points wait in the queue and all arrive once it is up', async () => {
    const tsd = await downTsd();
    const c = client({ hosts: [at(tsd)] });
    for (let i = 0; i < 1000; i++) c.send('m', i, { a: 'b' }, { timestamp: T0 });
    await waitFor(() => c.stats().errors >= 2);
    expect(c.stats().sent).toBe(0);
    await tsd.start();
    expect(await c.flush({ timeoutMs: 20_000 })).toEqual({ ok: true });
    expect(new Set(await tsd.waitForLines(1000)).size).toBe(1000);
    expect(c.stats()).toMatchObject({ dropped: 0, queued: 0, inFlight: 0 });
    expect(c.stats().retries).toBeGreaterThanOrEqual(2);
  });

  it('TSD restarted mid-stream: nothing queued within the bound is lost', async () => {
    const tsd = await fakeTsd();
    const c = client({ hosts: [at(tsd)], batchSize: 200 });
    let n = 0;
    const burst = async () => {
      for (let i = 0; i < 300; i++, n++) c.send('m', n, { a: 'b' }, { timestamp: T0 });
      await new Promise((resolve) => setImmediate(resolve));
    };
    for (let i = 0; i < 10; i++) await burst();
    await tsd.stop(); // crash: connections reset, port closed
    for (let i = 0; i < 10; i++) await burst();
    await waitFor(() => c.stats().errors >= 1);
    await tsd.start();
    for (let i = 0; i < 10; i++) await burst();
    expect(await c.flush({ timeoutMs: 20_000 })).toEqual({ ok: true });
    // flush() means written to the socket; the TSD reads a moment later.
    const missing = () => {
      const received = new Set(valuesOf(tsd.lines));
      return Array.from({ length: n }, (_, i) => String(i)).filter((v) => !received.has(v));
    };
    await waitFor(() => missing().length === 0).catch(() => undefined);
    expect(missing()).toEqual([]);
    expect(c.stats()).toMatchObject({ dropped: 0, abandoned: 0 });
    expect(c.stats().replayed).toBeGreaterThan(0);
  });

  it('TSD closing the connection mid-batch: the batch is written again, nothing lost', async () => {
    const tsd = await fakeTsd({ mode: { kind: 'close-after', lines: 250, once: true } });
    const c = client({ hosts: [at(tsd)], batchSize: 1000 });
    for (let i = 0; i < 3000; i++) c.send('m', i, { a: 'b' }, { timestamp: T0 });
    expect(await c.flush({ timeoutMs: 20_000 })).toEqual({ ok: true });
    await waitFor(() => new Set(valuesOf(tsd.lines)).size === 3000);
    expect(tsd.connections.length).toBeGreaterThanOrEqual(2);
    expect(c.stats().errors + c.stats().replayed).toBeGreaterThanOrEqual(1);
  });

  it('a TSD answering garbage does not break the client', async () => {
    const tsd = await fakeTsd({ mode: { kind: 'garbage' } });
    const c = client({ hosts: [at(tsd)] });
    for (let i = 0; i < 10; i++) c.send('m', i, {}, { timestamp: T0 });
    expect(await c.flush({ timeoutMs: 10_000 })).toEqual({ ok: true });
    await tsd.waitForLines(10);
    await waitFor(() => c.stats().rejected >= 1);
  });

  it('a stalled TSD is detected and traffic fails over to the next host', async () => {
    const stalled = await fakeTsd({ mode: { kind: 'stall' } });
    const healthy = await fakeTsd();
    const c = client({ hosts: [at(stalled), at(healthy)], writeTimeoutMs: 300, batchSize: 2000 });
    const value = 'v'.repeat(900);
    for (let i = 0; i < 20_000; i++) c.send('m', i, { a: value }, { timestamp: T0 });
    expect(await c.flush({ timeoutMs: 30_000 })).toEqual({ ok: true });
    await waitFor(() => new Set(valuesOf(healthy.lines)).size === 20_000, { timeoutMs: 20_000 });
    expect(c.stats().errors).toBeGreaterThanOrEqual(1);
  });

  it('failover: uses the first healthy host and returns to it after its cooldown', async () => {
    const primary = await downTsd();
    const backup = await fakeTsd();
    const c = client({ hosts: [at(primary), at(backup)], hostCooldownMs: 200 });
    c.send('m', 1, { a: 'b' }, { timestamp: T0 });
    await c.flush();
    await backup.waitForLines(1);
    expect(c.stats().host).toBe(at(backup));
    await primary.start();
    await new Promise((resolve) => setTimeout(resolve, 250));
    c.send('m', 2, { a: 'b' }, { timestamp: T0 });
    await c.flush();
    await primary.waitForLines(1);
    expect(c.stats().host).toBe(at(primary));
  });

  it('spread: batches go round-robin to every healthy host', async () => {
    const a = await fakeTsd();
    const b = await fakeTsd();
    const c = client({ hosts: [at(a), at(b)], hostPolicy: 'spread', batchSize: 10, concurrency: 1 });
    for (let i = 0; i < 100; i++) c.send('m', i, { a: 'b' }, { timestamp: T0 });
    await c.flush();
    await waitFor(() => a.lines.length + b.lines.length === 100);
    expect(a.lines).toHaveLength(50);
    expect(b.lines).toHaveLength(50);
  });
});
