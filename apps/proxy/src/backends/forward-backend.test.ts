import type { DataPoint } from '@otsdb/protocol';
import { type FakeTsd, startFakeTsd } from '@otsdb/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from './backend.js';
import { createForwardBackend, shardOf } from './forward-backend.js';

const fakes: FakeTsd[] = [];
const backends: Backend[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((b) => b.close(1000)));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function fakeTsds(n: number, protocol: 'telnet' | 'http' = 'telnet'): Promise<FakeTsd[]> {
  const list = await Promise.all(Array.from({ length: n }, () => startFakeTsd({ protocol })));
  fakes.push(...list);
  return list;
}

function forward(...args: Parameters<typeof createForwardBackend>) {
  const b = createForwardBackend(...args);
  backends.push(b);
  return b;
}

const points = (n: number, hosts = 10): DataPoint[] =>
  Array.from({ length: n }, (_, i) => ({
    metric: 'fw.test',
    timestamp: 1_700_000_000 + i,
    value: i,
    tags: { host: `h${i % hosts}` },
  }));

describe('forward backend', () => {
  it('shard: each series always goes to the same target', async () => {
    const [a, b] = await fakeTsds(2);
    const backend = forward({
      targets: [`telnet://127.0.0.1:${a!.port}`, `telnet://127.0.0.1:${b!.port}`],
      mode: 'shard',
    });
    const result = await backend.write(points(200));
    expect(result).toEqual({ ok: true, accepted: 200, rejected: [] });
    await backend.close(5000);
    const hostsAt = (f: FakeTsd) => new Set(f.points.map((p) => p.tags.host));
    expect(a!.points.length + b!.points.length).toBe(200);
    expect(a!.points.length).toBeGreaterThan(0);
    expect(b!.points.length).toBeGreaterThan(0);
    for (const host of hostsAt(a!)) expect(hostsAt(b!).has(host)).toBe(false);
    for (const host of hostsAt(a!)) expect(shardOf(`fw.test{host=${host}}`, 2)).toBe(0);
  });

  it('replicate: every point to every target', async () => {
    const [a, b] = await fakeTsds(2, 'http');
    const backend = forward({ targets: [a!.putUrl, b!.putUrl], mode: 'replicate' });
    expect(await backend.write(points(50))).toEqual({ ok: true, accepted: 50, rejected: [] });
    expect(a!.points).toHaveLength(50);
    expect(b!.points).toHaveLength(50);
  });

  it('failover: the second target takes over while the first is down', async () => {
    const [a, b] = await fakeTsds(2, 'http');
    await a!.setMode({ kind: 'refuse' });
    const backend = forward({ targets: [a!.putUrl, b!.putUrl], mode: 'failover' });
    expect(await backend.write(points(20))).toEqual({ ok: true, accepted: 20, rejected: [] });
    expect(b!.points).toHaveLength(20);
  });

  it('reports the points a TSD refused, and writes the others', async () => {
    const [a] = await fakeTsds(1, 'http');
    await a!.setMode({ kind: 'reject', reject: ({ index }) => (index === 1 ? 'Unknown metric' : undefined) });
    const backend = forward({ targets: [a!.putUrl] });
    const result = await backend.write(points(3));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.accepted).toBe(2);
    expect(result.rejected.map((r) => r.message)).toEqual(['Unknown metric']);
    expect(backend.stats()).toMatchObject({ received: 3, written: 2, rejected: 1, failed: 0 });
  });

  it('refuses a point too long for a telnet TSD alone and writes the rest', async () => {
    const [a] = await fakeTsds(1);
    const backend = forward({ targets: [`telnet://127.0.0.1:${a!.port}`] });
    const batch = points(3);
    batch[1] = { ...batch[1]!, tags: { host: 'x'.repeat(1100) } };
    const result = await backend.write(batch);
    expect(result.ok && result.accepted).toBe(2);
    expect(result.ok && result.rejected.map((r) => r.index)).toEqual([1]);
    await backend.close(5000);
    expect(a!.points.map((p) => p.value)).toEqual(['0', '2']);
  });

  it('splits large writes into slices that fit the queue', async () => {
    const [a] = await fakeTsds(1, 'http');
    const backend = forward({ targets: [a!.putUrl], maxQueue: 1000 });
    expect(backend.maxBatch).toBe(100);
    expect(await backend.write(points(900))).toEqual({ ok: true, accepted: 900, rejected: [] });
    const tooMany = await backend.write(points(1001));
    expect(tooMany).toMatchObject({ ok: false, status: 503, code: 'queue_full', accepted: 0 });
    expect(a!.points).toHaveLength(900);
  });
});
