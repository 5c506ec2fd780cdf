import { fileURLToPath } from 'node:url';
import { runProcess } from '@otsdb/testkit/run-process';
import { waitFor } from '@otsdb/testkit/wait-for';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { at, client, downTsd, fakeTsd, T0, track, valuesOf } from './__fixtures__/harness.js';
import { Client, createClient } from './index.js';

describe('send(): synchronous validation, never throws', () => {
  it('answers { ok: true } for a good point and the reason for a bad one', async () => {
    const tsd = await downTsd();
    const c = client({ hosts: [at(tsd)] });
    expect(c.send('sys.cpu.user', 42, { cpu: '0' })).toEqual({ ok: true });
    const bad = [
      c.send('bad metric', 1, { a: 'b' }),
      c.send('m', Number.NaN, { a: 'b' }),
      c.send('m', 1, { 'bad key': 'x' }),
      c.send('m', 1, { a: 'b' }, { timestamp: -5 }),
      c.send('m', '12' as never, { a: 'b' }),
    ];
    expect(bad.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      'invalid_metric',
      'invalid_value',
      'invalid_tag',
      'invalid_timestamp',
      'invalid_value',
    ]);
    for (const r of bad) if (!r.ok) expect(r.error.message.length).toBeGreaterThan(0);
    expect(c.stats()).toMatchObject({ invalid: 5, queued: 1 });
  });

  it('needs a tag unless the host tag supplies one', async () => {
    const tsd = await downTsd();
    expect(client({ hosts: [at(tsd)] }).send('m', 1)).toEqual({ ok: true });
    expect(client({ hosts: [at(tsd)], hostTag: false }).send('m', 1)).toMatchObject({
      ok: false,
      error: { code: 'missing_tags' },
    });
    expect(
      client({ hosts: [at(tsd)], hostTag: false, protocolOptions: { tagsOptional: true } }).send('m', 1),
    ).toEqual({ ok: true });
  });

  it('counts the host tag against maxTags', async () => {
    const tsd = await downTsd();
    const c = client({ hosts: [at(tsd)] });
    const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, 'v']));
    expect(c.send('m', 1, tags(8))).toMatchObject({ ok: false, error: { code: 'too_many_tags' } });
    expect(c.send('m', 1, tags(7))).toEqual({ ok: true });
    expect(c.send('m', 1, { ...tags(7), host: 'explicit' })).toEqual({ ok: true });
    const one = client({ hosts: [at(tsd)], protocolOptions: { maxTags: 1 } });
    expect(one.send('m', 1)).toEqual({ ok: true });
    expect(one.send('m', 1, { a: 'b' })).toMatchObject({ ok: false, error: { code: 'too_many_tags' } });
  });

  it('refuses a telnet line longer than maxLineLength (OpenTSDB drops the connection on one)', async () => {
    const tsd = await downTsd();
    const c = client({ hosts: [at(tsd)], maxLineLength: 100 });
    expect(c.send('m', 1, { a: 'x'.repeat(200) })).toMatchObject({
      ok: false,
      error: { code: 'line_too_long' },
    });
    expect(c.send('m', 1, { a: 'é'.repeat(40) })).toMatchObject({
      ok: false,
      error: { code: 'line_too_long' },
    });
    expect(c.send('m', 1, { a: 'x'.repeat(40) })).toEqual({ ok: true });
  });

  it('never throws, whatever it is given', async () => {
    const tsd = await downTsd();
    const c = client({ hosts: [at(tsd)], maxQueue: 10 });
    fc.assert(
      fc.property(
        fc.anything(),
        fc.anything(),
        fc.anything(),
        fc.anything(),
        (metric, value, tags, options) => {
          const results = [
            c.send(metric as never, value as never, tags as never, options as never),
            c.sendPoint(metric as never),
            c.sendPoint({ metric, value, tags, timestamp: options } as never),
            c.sendLine(metric as never),
          ];
          return results.every((r) => typeof r.ok === 'boolean');
        },
      ),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string(), (line) => typeof c.sendLine(line).ok === 'boolean'),
      { numRuns: 300 },
    );
  });

  it('sends tag keys named like Object.prototype members as ordinary tags', async () => {
    const tsd = await fakeTsd();
    const c = client({ hosts: [at(tsd)], hostTag: false });
    const tags = JSON.parse('{"__proto__":"p","constructor":"c","toString":"t"}');
    expect(c.send('m', 1, tags, { timestamp: T0 })).toEqual({ ok: true });
    expect(c.sendLine('put m 1700000000 2 __proto__=x hasOwnProperty=y')).toEqual({ ok: true });
    expect(c.sendPoint({ metric: 'm', timestamp: T0, value: 3, tags: { ['__proto__']: 'z' } })).toEqual({
      ok: true,
    });
    expect(c.send('m', 4, JSON.parse('{"__proto__":"bad value"}'))).toMatchObject({
      ok: false,
      error: { code: 'invalid_tag' },
    });
    await c.flush();
    expect(await tsd.waitForLines(3)).toEqual([
      'put m 1700000000 1 __proto__=p constructor=c toString=t',
      'put m 1700000000 2 __proto__=x hasOwnProperty=y',
      'put m 1700000000 3 __proto__=z',
    ]);
  });

  it('never adds tags from a polluted Object.prototype', async () => {
    const tsd = await fakeTsd();
    const c = client({ hosts: [at(tsd)] });
    const proto = Object.prototype as Record<string, unknown>;
    proto.injected = 'x';
    proto.host = 'not-mine';
    try {
      expect(c.send('m', 1, { a: 'b' }, { timestamp: T0 })).toEqual({ ok: true });
    } finally {
      delete proto.injected;
      delete proto.host;
    }
    await c.flush();
    expect(await tsd.waitForLines(1)).toEqual(['put m 1700000000 1 a=b host=testhost']);
  });

  it('refuses a metric object whose toString cannot be called, without throwing', async () => {
    const tsd = await downTsd();
    const c = client({ hosts: [at(tsd)] });
    expect(c.send(Object.create(null), 1, { a: 'b' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_metric' },
    });
    expect(
      c.sendPoint({ metric: 'm', timestamp: T0, value: 1, tags: { a: Object.create(null) } }),
    ).toMatchObject({
      ok: false,
      error: { code: 'invalid_tag' },
    });
  });

  it('refuses an invalid point before the drop policy runs: nothing queued is dropped for it', async () => {
    const tsd = await downTsd();
    const c = client({ hosts: [at(tsd)], maxQueue: 2, dropPolicy: 'drop_oldest' });
    expect(c.send('m', 1, { a: 'b' })).toEqual({ ok: true });
    expect(c.send('m', 2, { a: 'b' })).toEqual({ ok: true });
    expect(c.send('m', 3, { a: 'b c' })).toMatchObject({ ok: false, error: { code: 'invalid_tag' } });
    expect(c.send('m', 4, { a: 'Zü rich' })).toMatchObject({ ok: false, error: { code: 'invalid_tag' } });
    expect(c.stats()).toMatchObject({ queued: 2, dropped: 0, invalid: 2 });
  });

  it('refuses a point whose getters throw, without throwing', async () => {
    const tsd = await downTsd();
    const c = client({ hosts: [at(tsd)] });
    const boom = () => {
      throw new Error('boom');
    };
    const tags = Object.defineProperty({ a: 'b' }, 'c', { get: boom, enumerable: true });
    const r = c.send('m', 1, tags);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain('boom');
    const point = Object.defineProperty({ timestamp: T0, value: 1, tags: {} }, 'metric', { get: boom });
    expect(c.sendPoint(point as never)).toMatchObject({ ok: false });
    expect(await c.write([point as never])).toMatchObject({ ok: false, error: { code: 'invalid_point' } });
    expect(c.stats()).toMatchObject({ queued: 0 });
  });

  it('never writes a blank or newline from extraChars into a telnet line; HTTP carries it', async () => {
    const tsd = await downTsd();
    const protocolOptions = { extraChars: ' \n' };
    const telnet = client({ hosts: [at(tsd)], protocolOptions });
    expect(telnet.send('m', 1, { a: 'x\nput evil 1 1 k=v' })).toMatchObject({ ok: false });
    expect(telnet.send('m', 1, { a: 'x\ny' })).toMatchObject({ ok: false, error: { code: 'invalid_line' } });
    expect(telnet.send('m', 1, { a: 'x y' })).toMatchObject({ ok: false, error: { code: 'invalid_line' } });
    const http = client({ hosts: [at(tsd)], protocol: 'http', protocolOptions });
    expect(http.send('m', 1, { a: 'x y' })).toEqual({ ok: true });
  });

  it('lets the caller reuse its tags object at once', async () => {
    const tsd = await fakeTsd();
    const c = client({ hosts: [at(tsd)], hostTag: false });
    const tags: Record<string, string> = { a: '1' };
    c.send('m', 1, tags, { timestamp: T0 });
    tags.a = '2';
    c.send('m', 2, tags, { timestamp: T0 });
    await c.flush();
    expect(await tsd.waitForLines(2)).toEqual(['put m 1700000000 1 a=1', 'put m 1700000000 2 a=2']);
  });
});

describe('bounded queue', () => {
  it('drop_oldest: past maxQueue the oldest points go, counted; the newest arrive', async () => {
    const tsd = await downTsd();
    const c = client({ hosts: [at(tsd)], maxQueue: 100 });
    for (let i = 0; i < 150; i++) expect(c.send('m', i, {}, { timestamp: T0 }).ok).toBe(true);
    expect(c.stats()).toMatchObject({ dropped: 50, queued: 100 });
    await tsd.start();
    expect(await c.flush({ timeoutMs: 10_000 })).toEqual({ ok: true });
    expect(valuesOf(await tsd.waitForLines(100))).toEqual(
      Array.from({ length: 100 }, (_, i) => String(i + 50)),
    );
  });

  it('drops are logged once per interval, not per point', async () => {
    const tsd = await downTsd();
    const warnings: string[] = [];
    const log = () => {};
    const logger = {
      debug: log,
      info: log,
      error: log,
      warn: (_f: object, m: string) => warnings.push(m),
      child: () => logger,
    };
    const c = client({
      hosts: [at(tsd)],
      maxQueue: 10,
      logger,
      logIntervalMs: 60_000,
    });
    for (let i = 0; i < 1000; i++) c.send('m', i, {}, { timestamp: T0 });
    expect(c.stats().dropped).toBe(990);
    expect(warnings.filter((w) => w.includes('dropped'))).toEqual([
      'queue full (maxQueue 10, policy drop_oldest): dropped 1 points',
    ]);
    await c.close({ timeoutMs: 0 });
    expect(warnings.filter((w) => w.includes('dropped'))[1]).toContain('dropped 989 points');
  });

  it('drop_oldest while everything held is in flight drops the new point', async () => {
    const tsd = await downTsd();
    const c = client({ hosts: [at(tsd)], maxQueue: 10, batchSize: 10 });
    for (let i = 0; i < 10; i++) c.send('m', i, {}, { timestamp: T0 });
    await waitFor(() => c.stats().inFlight === 10);
    expect(c.send('m', 99, {}, { timestamp: T0 })).toMatchObject({
      ok: false,
      error: { code: 'queue_full' },
    });
    expect(c.stats().dropped).toBe(1);
  });

  it('drop_newest keeps the oldest and says queue_full', async () => {
    const tsd = await downTsd();
    const c = client({ hosts: [at(tsd)], maxQueue: 3, dropPolicy: 'drop_newest' });
    const results = [0, 1, 2, 3, 4].map((i) => c.send('m', i, {}, { timestamp: T0 }));
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false, false]);
    expect(results[3]).toMatchObject({
      error: { code: 'queue_full', message: expect.stringMatching(/maxQueue 3/) },
    });
    expect(c.stats()).toMatchObject({ dropped: 2, refused: 0 });
    await tsd.start();
    await c.flush({ timeoutMs: 10_000 });
    expect(valuesOf(await tsd.waitForLines(3))).toEqual(['0', '1', '2']);
  });

  it('reject refuses at the door without counting a drop', async () => {
    const tsd = await downTsd();
    const c = client({ hosts: [at(tsd)], maxQueue: 2, dropPolicy: 'reject' });
    const results = [0, 1, 2].map((i) => c.send('m', i, {}, { timestamp: T0 }));
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    expect(c.stats()).toMatchObject({ dropped: 0, refused: 1 });
  });

  it('maxQueueBytes bounds the queue by size too, with the same policies', async () => {
    const tsd = await downTsd();
    const line =
      'put m 1700000000 0 a=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx host=testhost\n';
    const tags = { a: 'x'.repeat(58) };
    const oldest = client({ hosts: [at(tsd)], maxQueueBytes: 1024 });
    for (let i = 0; i < 40; i++) expect(oldest.send('m', i % 10, tags, { timestamp: T0 }).ok).toBe(true);
    const fits = Math.floor(1024 / line.length);
    expect(oldest.stats()).toMatchObject({ queued: fits, dropped: 40 - fits });
    const reject = client({ hosts: [at(tsd)], maxQueueBytes: 1024, dropPolicy: 'reject' });
    const results = Array.from({ length: 40 }, () => reject.send('m', 0, tags, { timestamp: T0 }));
    expect(results.filter((r) => r.ok)).toHaveLength(fits);
    expect(reject.stats()).toMatchObject({ queued: fits, refused: 40 - fits, dropped: 0 });
    const txn = await reject.write([{ metric: 'm', timestamp: T0, value: 0, tags }]);
    expect(txn).toMatchObject({ ok: false, error: { code: 'queue_full' } });
    expect(reject.stats().queued).toBe(fits);
  });

  it('writable turns false at the high-water mark and drain fires below half of it', async () => {
    const tsd = await downTsd();
    const c = client({ hosts: [at(tsd)], maxQueue: 100, highWaterMark: 50 });
    let drains = 0;
    c.on('drain', () => drains++);
    for (let i = 0; i < 49; i++) c.send('m', i, {}, { timestamp: T0 });
    expect(c.writable).toBe(true);
    c.send('m', 49, {}, { timestamp: T0 });
    expect(c.writable).toBe(false);
    await tsd.start();
    await waitFor(() => drains === 1);
    expect(c.writable).toBe(true);
  });

  it('mps limits the send rate', async () => {
    const tsd = await fakeTsd();
    const c = client({ hosts: [at(tsd)], mps: 100 });
    const started = Date.now();
    for (let i = 0; i < 50; i++) c.send('m', i, {}, { timestamp: T0 });
    await c.flush({ timeoutMs: 10_000 });
    await tsd.waitForLines(50);
    // 10 go at once (the burst), the other 40 at 100/s need at least 0.4 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  });
});

describe('flush, close, write', () => {
  it('close flushes, ends the connection, and is idempotent', async () => {
    const tsd = await fakeTsd();
    const c = client({ hosts: [at(tsd)] });
    for (let i = 0; i < 5000; i++) c.send('m', i, {}, { timestamp: T0 });
    const first = c.close({ timeoutMs: 10_000 });
    expect(c.close()).toBe(first);
    expect(await first).toEqual({ ok: true, abandoned: 0 });
    expect(tsd.lines).toHaveLength(5000);
    await tsd.waitUntil((t) => t.openConnections === 0);
    expect(c.send('m', 1)).toMatchObject({ ok: false, error: { code: 'closed' } });
    expect(await c.write([{ metric: 'm', timestamp: 1, value: 1, tags: {} }])).toMatchObject({
      ok: false,
      error: { code: 'closed' },
    });
  });

  it('close gives up at the deadline when the TSD is down and counts what was abandoned', async () => {
    const tsd = await downTsd();
    const c = client({ hosts: [at(tsd)], batchSize: 4 });
    for (let i = 0; i < 10; i++) c.send('m', i, {}, { timestamp: T0 });
    const started = Date.now();
    expect(await c.close({ timeoutMs: 200 })).toEqual({ ok: false, abandoned: 10 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(c.stats()).toMatchObject({ abandoned: 10, queued: 0, inFlight: 0 });
  });

  it('flush with a timeout reports it instead of waiting forever', async () => {
    const tsd = await downTsd();
    const c = client({ hosts: [at(tsd)] });
    c.send('m', 1, {}, { timestamp: T0 });
    expect(await c.flush({ timeoutMs: 100 })).toMatchObject({ ok: false, error: { code: 'timeout' } });
  });

  it('flush waits only for points queued before it', async () => {
    const tsd = await fakeTsd();
    const c = client({ hosts: [at(tsd)], mps: 20 });
    c.send('m', 1, {}, { timestamp: T0 });
    const flushed = c.flush();
    for (let i = 0; i < 100; i++) c.send('m', i, {}, { timestamp: T0 });
    expect(await flushed).toEqual({ ok: true });
    expect(c.stats().queued).toBeGreaterThan(50);
  });

  it('write() resolves once its points are written, refuses what the queue cannot hold', async () => {
    const tsd = await downTsd();
    const c = client({ hosts: [at(tsd)], maxQueue: 10 });
    const point = (v: number) => ({ metric: 'm', timestamp: T0, value: v, tags: { a: 'b' } });
    const pending = c.write([point(1), point(2), point(3)]);
    expect(await c.write(Array.from({ length: 8 }, (_, i) => point(i)))).toMatchObject({
      ok: false,
      error: { code: 'queue_full' },
    });
    const invalid = await c.write([point(1), { ...point(2), metric: 'bad metric' }]);
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid_point' }, invalid: [{ index: 1 }] });
    let settled = false;
    void pending.then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    await tsd.start();
    expect(await pending).toEqual({ ok: true, accepted: 3, rejected: 0, errors: [] });
    expect(c.stats()).toMatchObject({ refused: 8, invalid: 1 });
    expect(await c.write([])).toEqual({ ok: true, accepted: 0, rejected: 0, errors: [] });
  });

  it('write() of points dropped by a later drop_oldest fails with code dropped', async () => {
    const tsd = await downTsd();
    const c = client({ hosts: [at(tsd)], maxQueue: 2 });
    const pending = c.write([{ metric: 'm', timestamp: T0, value: 1, tags: { a: 'b' } }]);
    c.send('m', 2, {}, { timestamp: T0 });
    c.send('m', 3, {}, { timestamp: T0 });
    expect(await pending).toMatchObject({ ok: false, error: { code: 'dropped' } });
  });

  it('write() pending at close fails with code closed', async () => {
    const tsd = await downTsd();
    const c = client({ hosts: [at(tsd)] });
    const pending = c.write([{ metric: 'm', timestamp: T0, value: 1, tags: { a: 'b' } }]);
    await c.close({ timeoutMs: 50 });
    expect(await pending).toMatchObject({ ok: false, error: { code: 'closed' } });
  });
});

describe('process lifetime', () => {
  it('an idle client does not keep the process alive once its points are delivered', async () => {
    const tsd = await fakeTsd();
    const script = [
      "import { Client } from '@otsdb/client';",
      `const c = new Client({ host: '127.0.0.1', port: ${tsd.port}, hostTag: 'child' });`,
      'c.send("m", 1, {}, { timestamp: 1700000000 });',
    ].join('\n');
    const run = await runProcess(
      process.execPath,
      ['--conditions=@otsdb/source', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: fileURLToPath(new URL('..', import.meta.url)), timeoutMs: 20_000 },
    );
    expect(run).toMatchObject({ exitCode: 0, timedOut: false });
    expect(tsd.lines).toEqual(['put m 1700000000 1 host=child']);
  });
});

describe('createClient', () => {
  it('checkHost rejects naming the host and the cause', async () => {
    const up = await fakeTsd();
    const down = await downTsd();
    const error = await createClient({ hosts: [at(up), at(down)], checkHost: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ClientError', code: 'check_host_failed', host: at(down) });
    const message = (error as Error).message;
    expect(message).toContain(at(down));
    expect(message).toContain('ECONNREFUSED');
    expect(message).not.toContain(at(up));
  });

  it('checkHost resolves when every host answers', async () => {
    const up = await fakeTsd();
    const c = track(await createClient({ hosts: [at(up)], checkHost: true }));
    expect(c).toBeInstanceOf(Client);
  });

  it('bad options throw invalid_config at once', () => {
    expect(() => new Client({ hosts: ['a:99999'] })).toThrow(/hosts\[0\]: port must be/);
    expect(() => new Client({ host: 'a', hostTag: 'bad,value' })).toThrow(/hostTag/);
    expect(() => new Client({ host: 'a', protocolOptions: { maxTags: 0 } })).toThrow(/protocolOptions/);
    expect(() => new Client({ host: 'a', user: 'u', password: 'p@ss' })).toThrow(
      /password: has characters a telnet tag value cannot carry/,
    );
  });
});
