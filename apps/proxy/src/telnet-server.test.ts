import type { DataPoint } from '@otsdb/protocol';
import { makeTempDir, type TempDir, waitFor } from '@otsdb/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeCredentials } from './__fixtures__/credentials.js';
import { openTelnet, type TelnetSession } from './__fixtures__/telnet-client.js';
import type { Backend, BackendWriteResult } from './backends/backend.js';
import { createMockBackend, type MockBackend } from './backends/mock-backend.js';
import type { ProxyConfigInput } from './config.js';
import { type ProxyHandle, startProxy } from './proxy.js';

const WRITE_TOKEN = 'w-token-0123456789abcdef0123456789';
const READ_TOKEN = 'r-token-0123456789abcdef0123456789';
const EXPIRED_TOKEN = 'x-token-0123456789abcdef0123456789';

let dir: TempDir;
let credentials: string;
const proxies: ProxyHandle[] = [];
const sessions: TelnetSession[] = [];

beforeAll(async () => {
  dir = await makeTempDir('proxy-telnet-');
  credentials = await writeCredentials(
    dir.path,
    [
      { name: 'alice', password: 'correct-horse' },
      { name: 'reader', password: 'r3ad', scopes: ['read'] },
      { name: 'app', password: 'app-pass', metrics: ['app.*'] },
      { name: 'tenant', password: 't', forcedTags: { tenant: 't1' } },
      { name: 'disabled', password: 'x', active: false },
    ],
    [
      { name: 'writer', token: WRITE_TOKEN },
      { name: 'grafana', token: READ_TOKEN, scopes: ['read'] },
      { name: 'old', token: EXPIRED_TOKEN, expires: '2001-01-01T00:00:00Z' },
    ],
  );
  return () => dir.remove();
});

afterEach(async () => {
  for (const s of sessions.splice(0)) s.destroy();
  await Promise.all(proxies.splice(0).map((p) => p.stop({ timeoutMs: 2000 })));
});

async function start(
  config: ProxyConfigInput = {},
  backend: Backend = createMockBackend(),
): Promise<{ proxy: ProxyHandle; port: number }> {
  const proxy = await startProxy(
    {
      listeners: { telnet: { port: 0 }, http: false },
      auth: { mode: 'file', file: { path: credentials, watch: false }, failureLimit: false },
      ...config,
    },
    { backend },
  );
  proxies.push(proxy);
  return { proxy, port: proxy.ports.telnet! };
}

async function session(port: number): Promise<TelnetSession> {
  const s = await openTelnet(port);
  sessions.push(s);
  return s;
}

const points = (proxy: ProxyHandle) =>
  (proxy.backend as MockBackend).points.map(({ metric, timestamp, value, tags }) => ({
    metric,
    timestamp,
    value,
    tags,
  }));

describe('telnet listener: bad input, exact replies', () => {
  it('answers each bad line as a TSD would and keeps the good lines flowing', async () => {
    const { proxy, port } = await start();
    const ok = 'user=alice password=correct-horse';
    const table: Array<[line: string, reply: string | undefined]> = [
      [`put sys.cpu 1700000000 1 host=a ${ok}`, undefined],
      [
        'put sys.cpu 1700000001 2 host=a',
        'put: unauthorized: credentials required: add the tags user=<name> password=<secret>',
      ],
      ['put sys.cpu 1700000002 3 host=a user=alice password=wrong', 'put: unauthorized: invalid credentials'],
      [
        'put sys.cpu 1700000002 3 host=a user=nobody password=wrong',
        'put: unauthorized: invalid credentials',
      ],
      [
        'put sys.cpu 1700000003 4 host=a password=correct-horse',
        "put: illegal argument: tag 'password' is present without 'user'",
      ],
      [
        'put sys.cpu 1700000004 5 host=a user=alice',
        "put: illegal argument: tag 'user' is present without 'password'",
      ],
      [
        'put sys.cpu 1700000005 6 host=a user=alice user=mallory password=correct-horse',
        "put: illegal argument: tag 'user' appears twice with different values",
      ],
      [
        `put sys.cpu 1700000006 7 host=a Password=correct-horse ${ok}`,
        "put: illegal argument: tag key 'Password' looks like the 'password' tag in another case; refusing to forward it",
      ],
      [
        'put sys.cpu 1700000007 8 host=a user=reader password=r3ad',
        "put: forbidden: 'reader' may not write (no 'write' scope)",
      ],
      [
        'put sys.cpu 1700000008 9 host=a user=app password=app-pass',
        "put: forbidden: metric 'sys.cpu' is not among the metrics 'app' may write",
      ],
      ['put app.req 1700000009 10 host=a user=app password=app-pass', undefined],
      ['put app.req 1700000010 11 host=a tenant=evil user=tenant password=t', undefined],
      [
        'put sys.cpu 1700000011 12 host=a user=disabled password=x',
        'put: unauthorized: account disabled or token expired',
      ],
      [`put sys.cpu 1700000012 13 host=a user=x password=${WRITE_TOKEN}`, undefined],
      [
        `put sys.cpu 1700000013 14 host=a user=x password=${READ_TOKEN}`,
        "put: forbidden: 'grafana' may not write (no 'write' scope)",
      ],
      [
        `put sys.cpu 1700000014 15 host=a user=x password=${EXPIRED_TOKEN}`,
        'put: unauthorized: account disabled or token expired',
      ],
      [`put sys.cpu notatime 1 host=a ${ok}`, "put: invalid value: Invalid character 'n' in notatime"],
      [
        `put sys.cpu 1700000015 16 ${ok}`,
        'put: illegal argument: Need at least one tag (metric=sys.cpu, tags={})',
      ],
      [
        `put sys.cpu 1700000016 17 a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9 ${ok}`,
        'put: illegal argument: Too many tags: 9 maximum allowed: 8, tags: {a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8, i=9}',
      ],
      [
        `put sys.cpu 1700000017 1 host=${'x'.repeat(2000)} ${ok}`,
        'put: illegal argument: frame length (2064) exceeds the allowed maximum (1024)',
      ],
      [`put sys.cpu 1700000018 18.50 host=b ${ok}`, undefined],
      ['diediedie', "unknown command: diediedie.  Try `help'."],
      ['', "unknown command: .  Try `help'."],
      ['PUT sys.cpu 1700000019 19 host=b', "unknown command: PUT.  Try `help'."],
      ['help', 'available commands: stats version exit help put '],
      [
        `put sys.cpu 1700000020 20 host=c user=alice password=p@ss:w0rd!`,
        'put: unauthorized: invalid credentials',
      ],
    ];
    const s = await session(port);
    s.write(table.map(([line]) => `${line}\r\n`).join(''));
    const replies = await s.end();
    expect(replies).toEqual(table.flatMap(([, reply]) => (reply === undefined ? [] : [reply])));
    expect(points(proxy)).toEqual([
      { metric: 'sys.cpu', timestamp: 1_700_000_000, value: 1, tags: { host: 'a' } },
      { metric: 'app.req', timestamp: 1_700_000_009, value: 10, tags: { host: 'a' } },
      { metric: 'app.req', timestamp: 1_700_000_010, value: 11, tags: { host: 'a', tenant: 't1' } },
      { metric: 'sys.cpu', timestamp: 1_700_000_012, value: 13, tags: { host: 'a' } },
      { metric: 'sys.cpu', timestamp: 1_700_000_018, value: 18.5, tags: { host: 'b' } },
    ]);
    expect((proxy.backend as MockBackend).points[4]!.valueText).toBe('18.50');
    const stats = proxy.stats();
    expect(stats.points.rejected).toMatchObject({
      unauthorized: 6,
      credentials: 4,
      forbidden: 3,
      invalid: 3,
      line_too_long: 1,
    });
  });

  it('answers version and stats and closes on exit', async () => {
    const { port } = await start({ auth: { mode: 'none' } });
    const s = await session(port);
    s.write('version\nstats\nexit\nput m 1700000000 1 host=a\n');
    await s.closed;
    const lines = s.lines();
    expect(lines[0]).toMatch(/^opentsdb-proxy \d+\.\d+\.\d+ built at revision unknown \(MINT\)$/);
    expect(lines[1]).toBe('Built on unknown by unknown@unknown:unknown');
    expect(lines.slice(2).every((l) => /^proxy\.[a-z_.]+ \d+ \d+ host=/.test(l))).toBe(true);
    expect(lines).toContain(
      `proxy.telnet.lines ${lines[2]!.split(' ')[1]} 2 host=${lines[2]!.split('host=')[1]!.split(' ')[0]}`,
    );
  });
});

describe('telnet listener: credentials', () => {
  it('strips user and password even without authentication (mode none)', async () => {
    const { proxy, port } = await start({ auth: { mode: 'none' } });
    const s = await session(port);
    s.write('put m 1700000000 1 host=a user=u password=p\nput m 1700000001 2 host=b\n');
    expect(await s.end()).toEqual([]);
    expect(points(proxy)).toEqual([
      { metric: 'm', timestamp: 1_700_000_000, value: 1, tags: { host: 'a' } },
      { metric: 'm', timestamp: 1_700_000_001, value: 2, tags: { host: 'b' } },
    ]);
  });

  it('asks the store once per connection for a repeated pair', async () => {
    const { proxy, port } = await start();
    const s = await session(port);
    const lines = Array.from(
      { length: 500 },
      (_, i) => `put m ${1_700_000_000 + i} ${i} host=a user=alice password=correct-horse\n`,
    );
    s.write(lines.join(''));
    expect(await s.end()).toEqual([]);
    expect(points(proxy)).toHaveLength(500);
    expect(proxy.stats().auth.authenticator?.verifications).toBe(1);
  });

  it('verifies a connection pair again once the cache TTL passed (a changed password stops working)', async () => {
    const own = await makeTempDir('proxy-telnet-ttl-');
    try {
      const file = await writeCredentials(own.path, [{ name: 'carol', password: 'old-pw' }]);
      const { proxy, port } = await start({
        auth: { mode: 'file', file: { path: file, watch: false }, failureLimit: false, cacheTtlMs: 200 },
      });
      const s = await session(port);
      s.write('put m 1700000000 1 host=a user=carol password=old-pw\n');
      await waitFor(() => points(proxy).length === 1);
      await writeCredentials(own.path, [{ name: 'carol', password: 'new-pw' }]);
      expect(await proxy.reloadAuth()).toMatchObject({ ok: true, changed: true });
      await new Promise((r) => setTimeout(r, 300));
      s.write(
        'put m 1700000001 2 host=a user=carol password=old-pw\nput m 1700000002 3 host=a user=carol password=new-pw\n',
      );
      expect(await s.end()).toEqual(['put: unauthorized: invalid credentials']);
      expect(points(proxy).map((p) => p.value)).toEqual([1, 3]);
    } finally {
      await own.remove();
    }
  });

  it('limits failed authentications per source address', async () => {
    const { port } = await start({
      auth: {
        mode: 'file',
        file: { path: credentials, watch: false },
        failureLimit: { burst: 2, refillPerSecond: 0.01 },
      },
    });
    const s = await session(port);
    s.write(
      [
        'put m 1700000000 1 host=a user=alice password=one',
        'put m 1700000000 1 host=a user=alice password=two',
        'put m 1700000000 1 host=a user=alice password=three',
        'put m 1700000000 1 host=a user=alice password=correct-horse',
      ].join('\n') + '\n',
    );
    expect(await s.end()).toEqual([
      'put: unauthorized: invalid credentials',
      'put: unauthorized: invalid credentials',
      'put: unauthorized: too many failed attempts; try again later',
      'put: unauthorized: too many failed attempts; try again later',
    ]);
  });

  it('rate-limits points per principal', async () => {
    const { proxy, port } = await start({ limits: { pointsPerSecond: 0.001, burst: 3 } });
    const s = await session(port);
    s.write(
      Array.from(
        { length: 5 },
        (_, i) => `put m ${1_700_000_000 + i} 1 host=a user=alice password=correct-horse\n`,
      ).join(''),
    );
    expect(await s.end()).toEqual([
      "put: Please throttle writes: more than 0.001 points/s for 'alice'",
      "put: Please throttle writes: more than 0.001 points/s for 'alice'",
    ]);
    expect(points(proxy)).toHaveLength(3);
    expect(proxy.stats().points.rejected.rate_limited).toBe(2);
  });
});

/** A backend whose writes wait until released; `writable` follows the points held. */
function gatedBackend(highWater: number) {
  const mock = createMockBackend();
  const held: Array<{ points: DataPoint[]; resolve: (r: BackendWriteResult) => void }> = [];
  let heldPoints = 0;
  const drains = new Set<() => void>();
  let maxHeld = 0;
  const backend: Backend & { release(): void; readonly maxHeld: number; readonly heldPoints: number } = {
    type: 'gated',
    get writable() {
      return heldPoints < highWater;
    },
    write(points) {
      heldPoints += points.length;
      maxHeld = Math.max(maxHeld, heldPoints);
      return new Promise((resolve) => held.push({ points, resolve }));
    },
    onDrain(listener) {
      drains.add(listener);
      return () => drains.delete(listener);
    },
    stats: () => mock.stats(),
    close: async () => {
      backend.release();
    },
    release() {
      for (const h of held.splice(0)) {
        heldPoints -= h.points.length;
        void mock.write(h.points).then(h.resolve);
      }
      for (const d of [...drains]) d();
    },
    get maxHeld() {
      return maxHeld;
    },
    get heldPoints() {
      return heldPoints;
    },
  };
  return { backend, mock };
}

describe('telnet listener: backpressure and outages', () => {
  it('pauses reading while the backend is full and loses nothing', async () => {
    const { backend, mock } = gatedBackend(200);
    const { port } = await start(
      { auth: { mode: 'none' }, limits: { maxPendingPointsPerConnection: 100 } },
      backend,
    );
    const s = await session(port);
    const n = 20_000;
    let text = '';
    for (let i = 0; i < n; i++) text += `put m ${1_700_000_000 + i} ${i} host=a\n`;
    s.write(text);
    await waitFor(() => backend.heldPoints > 0);
    // Reading stopped: what is held stays near the bound (one socket read may overshoot it).
    await new Promise((r) => setTimeout(r, 200));
    expect(backend.heldPoints).toBeLessThan(n);
    const ending = s.end(30_000);
    while (mock.points.length < n) {
      backend.release();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await ending).toEqual([]);
    expect(mock.points.map((p) => p.value)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(backend.maxHeld).toBeLessThan(n / 2);
  });

  it('refuses with an error line when the backend fails', async () => {
    const mock = createMockBackend();
    const { port } = await start({ auth: { mode: 'none' } }, mock);
    mock.failWith({ status: 503, message: 'TSD down' });
    const s = await session(port);
    s.write('put m 1700000000 1 host=a\nput m 1700000001 2 host=a\n');
    expect(await s.end()).toEqual(['put: storage error: 2 of 2 points not written: TSD down']);
  });
});

describe('self-metrics', () => {
  it('writes proxy.* points into the backend when asked to', async () => {
    const { proxy } = await start({
      auth: { mode: 'none' },
      selfMetrics: { intervalMs: 1000, tags: { host: 'p1' } },
    });
    const mock = proxy.backend as MockBackend;
    await waitFor(() => mock.points.some((p) => p.metric === 'proxy.points.received'), { timeoutMs: 10_000 });
    const rejected = mock.points.filter((p) => p.metric === 'proxy.points.rejected');
    expect(rejected.map((p) => p.tags)).toContainEqual({ host: 'p1', reason: 'unauthorized' });
  });
});

describe('telnet listener: limits', () => {
  it('refuses connections beyond maxConnections', async () => {
    const { proxy, port } = await start({ auth: { mode: 'none' }, limits: { maxConnections: 2 } });
    const a = await session(port);
    const b = await session(port);
    a.write('version\n');
    b.write('version\n');
    await a.waitForLines(2);
    await b.waitForLines(2);
    const c = await session(port);
    await c.closed;
    expect(c.lines()).toEqual([]);
    expect(proxy.stats().connections.refused).toBe(1);
    a.write('put m 1700000000 1 host=a\n');
    expect(await a.end()).toHaveLength(2);
  });

  it('closes idle connections', async () => {
    const { proxy, port } = await start({ auth: { mode: 'none' }, limits: { idleTimeoutMs: 300 } });
    const s = await session(port);
    await s.closed;
    expect(proxy.stats().connections.idleClosed).toBe(1);
  });
});
