import { cp, open as openFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataPoint } from '@otsdb/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, harness, pt, T0, tempDir } from './__fixtures__/store-harness.js';
import { openLocalStore } from './index.js';

afterEach(cleanup);

const NOW = (T0 + 7200) * 1000;

async function segments(dir: string): Promise<string[]> {
  return (await readdir(join(dir, 'wal'))).filter((f) => f.endsWith('.seg')).sort();
}

/** Every point of metric `m` as "<series tags>@<ms>" -> value text, read back through the API. */
async function dump(h: Awaited<ReturnType<typeof harness>>, metric = 'm'): Promise<Record<string, string>> {
  const r = await h.get('/api/query', `?start=${T0 - 3600}&end=${T0 + 7200}&m=none:${metric}&ms=true`);
  expect(r.status, r.text).toBe(200);
  const out: Record<string, string> = {};
  const results = r.json as { tags: Record<string, string>; dps: Record<string, number> }[];
  for (const res of results) {
    const id = Object.entries(res.tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    // Keep the literal text of each value so integer/float survives the comparison.
    const raw = r.text.slice(r.text.indexOf(JSON.stringify(res.tags)));
    for (const ts of Object.keys(res.dps)) {
      const m = new RegExp(`"${ts}":([^,}]+)`).exec(raw);
      out[`${id}@${ts}`] = m![1]!;
    }
  }
  return out;
}

const points = (n: number, offset = 0): DataPoint[] =>
  Array.from({ length: n }, (_, i) => pt('m', offset + i, i % 3 === 0 ? i + 0.5 : i, { host: `h${i % 4}` }));

describe('durability', () => {
  it('close and reopen give back exactly the same data, integers and floats included', async () => {
    const dir = await tempDir();
    const a = await harness({ dataDir: dir });
    await a.write(points(200));
    await a.write([pt('m', 5, 42, { host: 'h1' })]); // overwrites h1@5
    await a.write([pt('m', -100, 7, { host: 'h1' })]); // out of order, before everything
    const before = await dump(a);
    // 42 is an integer, but h1's next point (9.5 at +9) is a float, and a TSD's iterator then
    // computes in double: the integer prints as 42.0 (and 7 at -100, followed by 1, as 7).
    expect(before[`host=h1@${(T0 + 5) * 1000}`]).toBe('42.0');
    expect(before[`host=h0@${T0 * 1000}`]).toBe('0.5');
    expect(before[`host=h1@${(T0 - 100) * 1000}`]).toBe('7');
    await a.close();

    const b = await harness({ dataDir: dir });
    expect(await dump(b)).toEqual(before);
    expect(b.store.stats()).toMatchObject({
      series: 4,
      points: 201,
      recovery: { points: 202, tornTails: 0 },
    });
  });

  it('a write resolves only once its points are on disk', async () => {
    // Copy the directory right after the acknowledgement, while the store is still open (as if
    // the machine died then): the copy must already hold the points.
    const dir = await tempDir();
    const a = await harness({ dataDir: dir });
    await a.write(points(50));
    const copy = await tempDir();
    await cp(dir, copy, { recursive: true });
    await writeFile(join(copy, 'LOCK'), '999999999'); // a dead owner, like after a crash
    const b = await harness({ dataDir: copy });
    expect(Object.keys(await dump(b))).toHaveLength(50);
  });

  it('group commit: concurrent writes share fsyncs with "batch", not with "always"', async () => {
    const batch = await harness({ fsync: 'batch' });
    await Promise.all(Array.from({ length: 20 }, (_, i) => batch.write(points(5, i * 10))));
    expect(batch.store.stats().fsyncs).toBeLessThanOrEqual(2);

    const always = await harness({ fsync: 'always' });
    await Promise.all(Array.from({ length: 20 }, (_, i) => always.write(points(5, i * 10))));
    expect(always.store.stats().fsyncs).toBe(20);

    const none = await harness({ fsync: 'none' });
    await none.write(points(5));
    expect(none.store.stats().fsyncs).toBe(0);
  });

  it('segments roll by size and all of them replay', async () => {
    const dir = await tempDir();
    const a = await harness({ dataDir: dir, maxSegmentBytes: 500 });
    for (let i = 0; i < 20; i++) await a.write(points(10, i * 10));
    const before = await dump(a);
    await a.close();
    expect((await segments(dir)).length).toBeGreaterThan(3);
    const b = await harness({ dataDir: dir });
    expect(await dump(b)).toEqual(before);
  });
});

describe('torn and corrupt tails', () => {
  /** Two segments: the first holds batch A, the second (newest) batch B. */
  async function twoSegments(): Promise<{ dir: string; last: string; lastSize: number }> {
    const dir = await tempDir();
    const a = await harness({ dataDir: dir });
    await a.write(points(10, 0));
    await a.close();
    const b = await harness({ dataDir: dir });
    await b.write(points(10, 100));
    await b.close();
    const segs = await segments(dir);
    expect(segs).toHaveLength(2);
    const last = join(dir, 'wal', segs[1]!);
    return { dir, last, lastSize: (await stat(last)).size };
  }

  it('a record cut short is dropped and the file truncated; earlier points survive', async () => {
    const { dir, last, lastSize } = await twoSegments();
    const fh = await openFile(last, 'r+');
    await fh.truncate(lastSize - 5);
    expect(last).toMatch(/2\.seg$/);
    await fh.close();
    const h = await harness({ dataDir: dir });
    const data = await dump(h);
    expect(Object.keys(data)).toHaveLength(10); // batch A only
    expect(h.store.stats().recovery).toMatchObject({ tornTails: 1, bytesTruncated: lastSize - 5 - 16 });
    // Cut back to its bare header, the segment holds nothing and retention removes it.
    expect(await segments(dir)).toHaveLength(1);
  });

  it('garbage after the last record is cut; every record before it survives', async () => {
    const { dir, last, lastSize } = await twoSegments();
    const fh = await openFile(last, 'a');
    await fh.write(Buffer.from([0x13, 0x37, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3]));
    await fh.close();
    const h = await harness({ dataDir: dir });
    expect(Object.keys(await dump(h))).toHaveLength(20);
    expect(h.store.stats().recovery).toMatchObject({ tornTails: 1, bytesTruncated: 11 });
    expect((await stat(last)).size).toBe(lastSize);
  });

  it('a record whose CRC does not match is dropped', async () => {
    const { dir, last, lastSize } = await twoSegments();
    const fh = await openFile(last, 'r+');
    await fh.write(Buffer.from([0xff]), 0, 1, lastSize - 3); // inside the payload
    await fh.close();
    const h = await harness({ dataDir: dir });
    expect(Object.keys(await dump(h))).toHaveLength(10);
    expect(h.store.stats().recovery.tornTails).toBe(1);
  });

  it('a segment whose header never reached the disk is removed', async () => {
    const { dir } = await twoSegments();
    await writeFile(join(dir, 'wal', '00000000000000000099.seg'), Buffer.from('OTSD'));
    const h = await harness({ dataDir: dir });
    expect(Object.keys(await dump(h))).toHaveLength(20);
    expect(await segments(dir)).not.toContain('00000000000000000099.seg');
  });

  it('a file that is not a segment stops the open instead of being "repaired"', async () => {
    const { dir } = await twoSegments();
    await writeFile(join(dir, 'wal', '00000000000000000099.seg'), Buffer.alloc(64, 0x41));
    await expect(openLocalStore({ dataDir: dir, retentionCheckIntervalMs: 0 })).rejects.toThrow(
      /not a local store segment/,
    );
    // the refusal released the lock: fixing the directory lets it open
    await writeFile(join(dir, 'wal', '00000000000000000099.seg'), Buffer.from('OTS'));
    const h = await harness({ dataDir: dir });
    expect(Object.keys(await dump(h))).toHaveLength(20);
  });
});

describe('retention', () => {
  it('drops old points from memory and deletes segments holding nothing newer', async () => {
    let now = NOW;
    const dir = await tempDir();
    const h = await harness({ dataDir: dir, clock: () => now, retention: '1h', maxSegmentAgeMs: 600_000 });
    // Old points (ts = now - 50 min) go into the first segment.
    await h.write([{ metric: 'm', timestamp: now - 3_000_000, value: 1, tags: { host: 'old' } }]);
    now += 11 * 60_000; // past the roll age: the next write opens a new segment
    await h.write([{ metric: 'm', timestamp: now, value: 2, tags: { host: 'new' } }]);
    expect(await segments(dir)).toHaveLength(2);

    now += 20 * 60_000; // the old point is now 81 minutes old, the new one 20
    expect(await h.store.enforceRetention()).toEqual({ segmentsDeleted: 1, pointsDropped: 1 });
    expect(await segments(dir)).toHaveLength(1);
    const r = await h.get('/api/query', `?start=${T0}&m=sum:m{host=*}`);
    expect((r.json as { tags: { host: string } }[]).map((x) => x.tags.host)).toEqual(['new']);
    expect(h.store.stats()).toMatchObject({
      series: 1,
      points: 1,
      retention: { segmentsDeleted: 1, pointsDropped: 1 },
    });

    // An idle active segment is closed once it is old enough, so it can expire too.
    now += 61 * 60_000;
    expect((await h.store.enforceRetention()).segmentsDeleted).toBe(1);
    expect(await segments(dir)).toHaveLength(0);
    expect(h.store.stats().points).toBe(0);
  });

  it('points already older than the retention are acknowledged but not kept, also after a restart', async () => {
    const dir = await tempDir();
    const h = await harness({ dataDir: dir, retention: 3_600_000 });
    await h.write([
      { metric: 'm', timestamp: NOW - 7_200_000, value: 1, tags: { host: 'a' } },
      { metric: 'm', timestamp: NOW - 60_000, value: 2, tags: { host: 'a' } },
    ]);
    expect(h.store.stats()).toMatchObject({ points: 1, writes: { expiredOnArrival: 1 } });
    await h.close();
    const again = await harness({ dataDir: dir, retention: 3_600_000 });
    expect(again.store.stats()).toMatchObject({ points: 1, recovery: { expired: 1 } });
  });
});

describe('write contract', () => {
  it.each([
    [{ metric: '', timestamp: T0, value: 1, tags: {} }, /metric ""/],
    [{ metric: 'a{b}', timestamp: T0, value: 1, tags: {} }, /metric "a\{b\}"/],
    [{ metric: 'm', timestamp: T0, value: 1, tags: { 'x=y': 'z' } }, /tag "x=y"/],
    [{ metric: 'm', timestamp: T0, value: 1, tags: { h: '' } }, /tag "h"/],
    [{ metric: 'm', timestamp: 0, value: 1, tags: {} }, /timestamp 0/],
    [{ metric: 'm', timestamp: 1.5, value: 1, tags: {} }, /timestamp 1.5/],
    [{ metric: 'm', timestamp: 99_999_999_999_999, value: 1, tags: {} }, /more than 13 digits/],
    [{ metric: 'm', timestamp: T0, value: Number.NaN, tags: {} }, /value NaN/],
    [{ metric: 'm', timestamp: T0, value: 2n ** 64n, tags: {} }, /64-bit/],
  ])('refuses %o with a 400', async (point, message) => {
    const h = await harness();
    const r = await h.store.write([pt('m', 0, 1, { host: 'ok' }), point as DataPoint]);
    expect(r).toMatchObject({ ok: false, status: 400, message: expect.stringMatching(message) });
    expect(r.ok === false && r.message.startsWith('point 1:')).toBe(true);
    expect(h.store.stats().points).toBe(0); // nothing from a refused call is kept
  });

  it('bigint values are integers; valueText decides integer vs float like a TSD', async () => {
    const h = await harness();
    await h.write([
      { metric: 'm', timestamp: T0, value: 5n, tags: { k: 'a' } },
      { metric: 'm', timestamp: T0, value: 5, tags: { k: 'b' }, valueText: '5.0' },
      { metric: 'm', timestamp: T0, value: 5, tags: { k: 'c' }, valueText: '5' },
    ]);
    expect(Object.values(await dump(h)).sort()).toEqual(['5', '5', '5.0']);
  });

  it('refuses with 503 beyond the pending-points bound, and after close', async () => {
    const h = await harness({ maxPendingPoints: 10 });
    const r = await h.store.write(points(11));
    expect(r).toMatchObject({ ok: false, status: 503, message: expect.stringMatching(/queue is full/) });
    expect(h.store.stats().writes.refused).toBe(1);
    expect(await h.store.write(points(10))).toEqual({ ok: true });
    await h.close();
    expect(await h.store.write(points(1))).toMatchObject({ ok: false, status: 503 });
  });

  it('one data directory is opened by one store at a time', async () => {
    const dir = await tempDir();
    const h = await harness({ dataDir: dir });
    await expect(openLocalStore({ dataDir: dir })).rejects.toThrow(/already open/);
    await h.close();
    const again = await harness({ dataDir: dir });
    expect(again.store.stats().writable).toBe(true);
  });

  it('rejects bad configuration', async () => {
    const dir = await tempDir();
    await expect(openLocalStore({ dataDir: dir, retention: '15x' })).rejects.toThrow(/retention/);
    await expect(openLocalStore({ dataDir: dir, retention: -1 })).rejects.toThrow(/retention/);
    await expect(openLocalStore({ dataDir: dir, fsync: 'sometimes' as 'none' })).rejects.toThrow(/fsync/);
    await expect(openLocalStore({ dataDir: '' })).rejects.toThrow(/dataDir/);
  });
});
