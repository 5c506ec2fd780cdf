import type { DataPoint } from '@otsdb/protocol';
import { type FakeTsd, startFakeTsd } from '@otsdb/testkit';
import { encodedLines } from '@otsdb/testkit/encoded-lines';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend, LineBatch } from './backend.js';
import { createForwardBackend, memberOf, memberOfBytes, shardOf, shardOfBytes } from './forward-backend.js';

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

  it('property: a series key hashes the same as a string and as its bytes', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary-ascii', maxLength: 80 }),
        fc.integer({ min: 1, max: 17 }),
        (key, n) => {
          const bytes = Buffer.from(`${key}tail`, 'latin1');
          expect(shardOfBytes(bytes, key.length, n)).toBe(shardOf(key, n));
          expect(memberOfBytes(bytes, key.length, n)).toBe(memberOf(key, n));
        },
      ),
      { numRuns: 2000 },
    );
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

  describe("lines (the telnet listener's byte path)", () => {
    const batchOf = (lines: readonly string[]): LineBatch => encodedLines(lines);
    const lines = (n: number, from = 0) =>
      Array.from(
        { length: n },
        (_, i) => `put fw.lines ${1_700_000_000 + from + i} ${from + i} host=h${(from + i) % 7}`,
      );

    it('go out as they are, spread over several connections to a telnet target', async () => {
      const [a] = await fakeTsds(1);
      const backend = forward({ targets: [`telnet://127.0.0.1:${a!.port}`], connections: 3 });
      expect(backend.writeLines).toBeDefined();
      const writes = await Promise.all(
        Array.from({ length: 6 }, (_, k) => backend.writeLines!(batchOf(lines(100, k * 100)))),
      );
      for (const r of writes) expect(r).toEqual({ ok: true, accepted: 100, rejected: [] });
      await backend.close(5000);
      expect([...a!.lines].sort()).toEqual(lines(600).sort());
      expect(a!.connections.length).toBe(3);
      expect(backend.stats()).toMatchObject({ received: 600, written: 600, failed: 0 });
    });

    it('a line too long for the TSD is refused alone, by its index; the others are written', async () => {
      const [a] = await fakeTsds(1);
      const backend = forward({ targets: [`telnet://127.0.0.1:${a!.port}`], connections: 1 });
      const batch = lines(3);
      batch[1] = `put fw.lines 1700000001 1 host=${'x'.repeat(1100)}`;
      const result = await backend.writeLines!(batchOf(batch));
      expect(result.ok && result.accepted).toBe(2);
      expect(result.ok && result.rejected.map((r) => r.index)).toEqual([1]);
      await backend.close(5000);
      expect(a!.lines).toEqual([batch[0], batch[2]]);
    });

    it('are sliced to the queue, and refused whole when it cannot hold them', async () => {
      const [a] = await fakeTsds(1);
      // 1000 points shared by two connections: 500 each, written in slices of 50.
      const backend = forward({ targets: [`telnet://127.0.0.1:${a!.port}`], maxQueue: 1000, connections: 2 });
      expect(backend.maxBatch).toBe(50);
      expect(await backend.writeLines!(batchOf(lines(400)))).toEqual({
        ok: true,
        accepted: 400,
        rejected: [],
      });
      const tooMany = await backend.writeLines!(batchOf(lines(700)));
      expect(tooMany).toMatchObject({ ok: false, status: 503, code: 'queue_full', accepted: 0 });
      await backend.close(5000);
      expect(a!.lines).toEqual(lines(400));
    });

    it('shard: a series goes where its points would, whichever path its lines took, in order', async () => {
      const [a, b] = await fakeTsds(2);
      const [h] = await fakeTsds(1, 'http');
      const targets = [`telnet://127.0.0.1:${a!.port}`, `telnet://127.0.0.1:${b!.port}`, h!.putUrl];
      const backend = forward({ targets, mode: 'shard', connections: 3 });
      expect(backend.writeLines).toBeDefined();
      // Keys that sort differently as `k=v` strings than as keys; values the screen leaves to the
      // parser (`007`); one line no TSD takes (rejected by its index, the others written).
      const batch = Array.from({ length: 300 }, (_, i) => {
        const series = `a=${i % 5} a1=${i % 3} b.${i % 2}=x`;
        return `put fw.shard ${1_700_000_000 + i} ${i % 10 === 0 ? '007' : String(i)} ${series}`;
      });
      batch[17] = 'put fw.shard 1700000017 nonsense a=1';
      const result = await backend.writeLines!(batchOf(batch));
      expect(result.ok && result.accepted).toBe(299);
      expect(result.ok && result.rejected.map((r) => r.index)).toEqual([17]);
      await backend.close(5000);
      // Where write() sends each series: shardOf its series key over the three targets.
      const received = [a!.points, b!.points, h!.points];
      expect(received.reduce((n, p) => n + p.length, 0)).toBe(299);
      for (const [t, points] of received.entries()) {
        expect(points.length).toBeGreaterThan(0);
        const lastTs = new Map<string, number>();
        for (const p of points) {
          const key = `fw.shard{${Object.keys(p.tags)
            .sort()
            .map((k) => `${k}=${p.tags[k]}`)
            .join(',')}}`;
          expect(shardOf(key, 3), key).toBe(t);
          expect(p.timestamp).toBeGreaterThan(lastTs.get(key) ?? 0);
          lastTs.set(key, p.timestamp);
        }
      }
    });

    it('replicate to every target, telnet or HTTP', async () => {
      const [a, b] = await fakeTsds(2);
      const both = [`telnet://127.0.0.1:${a!.port}`, `telnet://127.0.0.1:${b!.port}`];
      const replicate = forward({ targets: both, mode: 'replicate' });
      expect(await replicate.writeLines!(batchOf(lines(10)))).toEqual({
        ok: true,
        accepted: 10,
        rejected: [],
      });
      await replicate.close(5000);
      expect(a!.lines).toHaveLength(10);
      expect(b!.lines).toHaveLength(10);
      expect(forward({ targets: both, telnetTimestamps: 'seconds' }).writeLines).toBeUndefined();
      // HTTP targets get each line's /api/put entry, next to a telnet target getting the line.
      const [h] = await fakeTsds(1, 'http');
      const [t] = await fakeTsds(1);
      const mixed = forward({ targets: [h!.putUrl, `telnet://127.0.0.1:${t!.port}`], mode: 'replicate' });
      expect(await mixed.writeLines!(batchOf(lines(10)))).toEqual({ ok: true, accepted: 10, rejected: [] });
      await mixed.close(5000);
      expect(t!.lines).toEqual(lines(10));
      expect(h!.points.map((p) => [p.metric, p.timestamp, p.value, p.tags])).toEqual(
        lines(10).map((_, i) => ['fw.lines', 1_700_000_000 + i, i, { host: `h${i % 7}` }]),
      );
    });
  });
});
