import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fixtureNodes } from '../test/fixtures.js';
import type { NodeSource, NodesResult } from './catchpoint-api.js';
import { loadNodeCache, saveNodeCache } from './node-cache.js';
import { NodeDirectory, NodeRefresher, type RefreshOutcome } from './node-directory.js';
import type { NodeInfo } from './node-info.js';

const NODES = fixtureNodes();

/** A NodeSource answering from a script; each call takes the next answer (the last repeats). */
class ScriptedSource implements NodeSource {
  readonly api = 'v1' as const;
  calls = 0;
  signals: Array<AbortSignal | undefined> = [];
  constructor(private readonly answers: Array<NodesResult | 'hang'>) {}
  fetchNodes(signal?: AbortSignal): Promise<NodesResult> {
    this.signals.push(signal);
    const a = this.answers[Math.min(this.calls, this.answers.length - 1)]!;
    this.calls++;
    if (a === 'hang') {
      return new Promise((resolve) => {
        signal?.addEventListener('abort', () =>
          resolve({ ok: false, error: { code: 'aborted', message: 'aborted' } }),
        );
      });
    }
    return Promise.resolve(a);
  }
}

const ok = (nodes: NodeInfo[]): NodesResult => ({ ok: true, nodes });
const fail: NodesResult = { ok: false, error: { code: 'http', status: 503, message: 'HTTP 503' } };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cp-nodes-'));
});
afterEach(async () => {
  vi.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});

describe('node cache file', () => {
  it('round-trips, leaving no temporary file behind', async () => {
    const file = join(dir, 'nodes.json');
    const w = await saveNodeCache(file, {
      version: 1,
      fetchedAt: '2024-05-02T12:00:00.000Z',
      api: 'v1',
      nodes: NODES,
    });
    expect(w).toEqual({ ok: true });
    expect(await loadNodeCache(file)).toEqual({
      ok: true,
      cache: { version: 1, fetchedAt: '2024-05-02T12:00:00.000Z', api: 'v1', nodes: NODES },
    });
    expect(await readdir(dir)).toEqual(['nodes.json']);
  });

  it('replaces the old file whole', async () => {
    const file = join(dir, 'nodes.json');
    await saveNodeCache(file, { version: 1, fetchedAt: 'a', api: 'v1', nodes: NODES });
    await saveNodeCache(file, { version: 1, fetchedAt: 'b', api: 'v2', nodes: [NODES[0]!] });
    const r = await loadNodeCache(file);
    expect(r.ok && r.cache.nodes).toEqual([NODES[0]]);
  });

  it.each([
    ['missing', undefined, 'missing'],
    ['not JSON', '{"version":1,', 'invalid'],
    ['wrong shape', '{"version":1,"fetchedAt":"x","api":"v1","nodes":[{"id":"x"}]}', 'invalid'],
    ['another version', '{"version":2,"fetchedAt":"x","api":"v1","nodes":[]}', 'invalid'],
  ])('reports a %s cache as such', async (_label, content, code) => {
    const file = join(dir, 'nodes.json');
    if (content !== undefined) await writeFile(file, content);
    const r = await loadNodeCache(file);
    expect(r).toEqual({ ok: false, error: expect.objectContaining({ code }) });
  });

  it('reports a write it could not do, and cleans up', async () => {
    const r = await saveNodeCache(join(dir, 'no-such-dir', 'nodes.json'), {
      version: 1,
      fetchedAt: 'x',
      api: 'v1',
      nodes: [],
    });
    expect(r).toEqual({ ok: false, error: expect.objectContaining({ code: 'write_failed' }) });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('NodeRefresher', () => {
  const make = (
    source: NodeSource | undefined,
    extra: Partial<ConstructorParameters<typeof NodeRefresher>[0]> = {},
  ) => {
    const directory = new NodeDirectory();
    const outcomes: RefreshOutcome[] = [];
    const refresher = new NodeRefresher({
      directory,
      source,
      cacheFile: join(dir, 'nodes.json'),
      intervalMs: 60_000,
      retryMinMs: 1000,
      jitter: 0,
      onRefresh: (o) => outcomes.push(o),
      ...extra,
    });
    return { directory, refresher, outcomes };
  };

  it('starts from the cache, then replaces it with the API list and rewrites the cache', async () => {
    const file = join(dir, 'nodes.json');
    await saveNodeCache(file, {
      version: 1,
      fetchedAt: '2024-01-01T00:00:00.000Z',
      api: 'v1',
      nodes: [NODES[0]!],
    });
    const source = new ScriptedSource([ok(NODES)]);
    const { directory, refresher } = make(source);
    const { firstRefresh } = await refresher.start();
    // The cache is in use before the API answered.
    expect(directory.origin === 'cache' || directory.origin === 'api').toBe(true);
    expect(await firstRefresh).toEqual({ ok: true, trigger: 'start', nodes: 3 });
    expect(directory.size).toBe(3);
    expect(directory.origin).toBe('api');
    expect(directory.get(1001)?.city).toBe('New York');
    const saved = JSON.parse(await readFile(file, 'utf8'));
    expect(saved.nodes).toHaveLength(3);
    await refresher.stop();
  });

  it('keeps the last good list when the API fails, and retries with growing delays', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const source = new ScriptedSource([ok(NODES), fail, fail, fail, ok([NODES[0]!])]);
    const { directory, refresher, outcomes } = make(source);
    await (await refresher.start()).firstRefresh;
    expect(directory.size).toBe(3);

    // Next refresh after the interval; it fails and the list stays.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(source.calls).toBe(2);
    expect(directory.size).toBe(3);
    // Retries after 1 s, then 2 s (capped exponential backoff).
    await vi.advanceTimersByTimeAsync(999);
    expect(source.calls).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.calls).toBe(3);
    await vi.advanceTimersByTimeAsync(1999);
    expect(source.calls).toBe(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.calls).toBe(4);
    expect(directory.size).toBe(3);
    await vi.advanceTimersByTimeAsync(4000);
    expect(source.calls).toBe(5);
    expect(directory.size).toBe(1);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, false, false, true]);
    await refresher.stop();
  });

  it('spreads the schedule by the jitter', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const source = new ScriptedSource([ok(NODES)]);
    const { refresher } = make(source, { jitter: 0.1, random: () => 1 });
    await (await refresher.start()).firstRefresh;
    await vi.advanceTimersByTimeAsync(65_999);
    expect(source.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.calls).toBe(2);
    await refresher.stop();
  });

  it('an empty list from an API that had nodes is a fault: the list stays', async () => {
    const source = new ScriptedSource([ok(NODES), ok([])]);
    const { directory, refresher } = make(source);
    await (await refresher.start()).firstRefresh;
    const second = await refresher.refreshNow();
    expect(second).toEqual({
      ok: false,
      trigger: 'manual',
      error: expect.objectContaining({ code: 'invalid_response' }),
    });
    expect(directory.size).toBe(3);
    await refresher.stop();
  });

  it('an unknown node asks for a refresh, at most once per interval', async () => {
    let now = 0;
    const source = new ScriptedSource([ok(NODES)]);
    const { refresher } = make(source, { unknownRefreshMinIntervalMs: 10_000, now: () => now });
    await (await refresher.start()).firstRefresh;
    expect(refresher.requestRefresh()).toBe(true);
    expect(refresher.requestRefresh()).toBe(false);
    await refresher.refreshNow();
    now += 9_999;
    expect(refresher.requestRefresh()).toBe(false);
    now += 1;
    expect(refresher.requestRefresh()).toBe(true);
    await refresher.refreshNow();
    expect(source.calls).toBe(3);
    await refresher.stop();
  });

  it('callers during a refresh share it', async () => {
    const source = new ScriptedSource([ok(NODES)]);
    const { refresher } = make(source);
    const { firstRefresh } = await refresher.start();
    const [a, b] = await Promise.all([refresher.refreshNow(), refresher.refreshNow(), firstRefresh]);
    expect(a).toBe(b);
    expect(source.calls).toBe(1);
    await refresher.stop();
  });

  it('stop aborts a refresh in flight and schedules nothing more', async () => {
    const source = new ScriptedSource(['hang']);
    const { refresher, directory } = make(source);
    const { firstRefresh } = await refresher.start();
    await refresher.stop();
    expect(source.signals[0]?.aborted).toBe(true);
    expect((await firstRefresh).ok).toBe(false);
    expect(refresher.scheduled).toBe(false);
    expect(directory.size).toBe(0);
    expect(refresher.requestRefresh()).toBe(false);
  });

  it('without an API uses the cache alone', async () => {
    const file = join(dir, 'nodes.json');
    await saveNodeCache(file, { version: 1, fetchedAt: '2024-01-01T00:00:00.000Z', api: 'v2', nodes: NODES });
    const { refresher, directory } = make(undefined);
    const first = await (await refresher.start()).firstRefresh;
    expect(first).toEqual({
      ok: false,
      trigger: 'start',
      error: expect.objectContaining({ code: 'no_source' }),
    });
    expect(directory.size).toBe(3);
    expect(directory.origin).toBe('cache');
    expect(directory.updatedAt).toBe(Date.parse('2024-01-01T00:00:00.000Z'));
    expect(refresher.requestRefresh()).toBe(false);
    await refresher.stop();
  });
});
