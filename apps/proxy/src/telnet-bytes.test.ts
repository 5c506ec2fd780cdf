import { makeTempDir, type TempDir } from '@otsdb/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCredentials } from './__fixtures__/credentials.js';
import { openTelnet } from './__fixtures__/telnet-client.js';
import type { Backend, BackendWriteResult, LineBatch } from './backends/backend.js';
import { createMockBackend, type MockBackend } from './backends/mock-backend.js';
import { type ProxyHandle, startProxy } from './proxy.js';

// The telnet listener's byte path (lines forwarded as they are, credentials cut out) against its
// point path (each line parsed into a point): for any input the same replies and the same points.

let dir: TempDir;
let credentials: string;

beforeAll(async () => {
  dir = await makeTempDir('proxy-bytes-');
  credentials = await writeCredentials(dir.path, [
    { name: 'alice', password: 'correct-horse' },
    { name: 'reader', password: 'r3ad', scopes: ['read'] },
    { name: 'app', password: 'app-pass', metrics: ['app.*'] },
    { name: 'tenant', password: 't', forcedTags: { tenant: 't1', zone: 'z9' } },
  ]);
});
afterAll(() => dir.remove());

/** A mock backend that counts the lines that came as bytes. */
function countingMock(lines: boolean): MockBackend & { calls: { lines: number } } {
  const mock = createMockBackend({ lines, protocolOptions: { maxTags: 4 } });
  const calls = { lines: 0 };
  const writeLines = mock.writeLines?.bind(mock);
  return Object.assign(mock, {
    calls,
    ...(writeLines === undefined
      ? {}
      : {
          writeLines(batch: LineBatch): Promise<BackendWriteResult> {
            calls.lines += batch.count;
            return writeLines(batch);
          },
        }),
  });
}

async function startWith(backend: Backend): Promise<ProxyHandle> {
  return startProxy(
    {
      listeners: { telnet: { port: 0 }, http: false },
      auth: { mode: 'file', file: { path: credentials, watch: false }, failureLimit: false },
      protocol: { maxTags: 4 },
    },
    { backend },
  );
}

/**
 * Sends each group of lines on one connection, waiting after each for the proxy to have answered
 * everything before it (a `sync` command's reply), so later groups find the credentials of the
 * earlier ones verified; returns the replies without the sync answers.
 */
async function send(proxy: ProxyHandle, groups: readonly string[]): Promise<string[]> {
  const s = await openTelnet(proxy.ports.telnet!);
  try {
    for (let i = 0; i < groups.length; i++) {
      s.write(`${groups[i]}sync${i}\n`);
      const marker = `unknown command: sync${i}.`;
      for (let seen = s.lines().length + 1; !s.lines().some((l) => l.startsWith(marker)); seen++) {
        await s.waitForLines(seen);
      }
    }
    const replies = await s.end(10_000);
    return replies.filter((l) => !l.startsWith('unknown command: sync'));
  } finally {
    s.destroy();
  }
}

const creds = [
  ' user=alice password=correct-horse',
  ' password=correct-horse user=alice',
  ' user=tenant password=t',
  ' user=app password=app-pass',
  ' user=reader password=r3ad',
  ' user=alice password=wrong',
  ' user=alice',
  ' Password=correct-horse user=alice password=correct-horse',
  ' user=alice password=correct-horse user=alice',
  '',
];
const metric = fc.constantFrom('sys.cpu', 'app.req', 'app.x-y_z/1', 'm');
const value = fc.constantFrom('1', '-7', '42.5', '.5', '5.', '1e3', '007', '12345678901234567890', 'x', '-');
const tag = fc.constantFrom('host=a', 'dc=lga', 'tenant=evil', 'zone=q', 'host=a', 'k=é', 'a=b=c', 'cpu=0');
const line = fc
  .record({
    metric,
    ts: fc.constantFrom('1700000000', '1700000000123', '1700000000.5', '0'),
    value,
    tags: fc.array(tag, { maxLength: 5 }),
    creds: fc.constantFrom(...creds),
    sep: fc.constantFrom(' ', ' ', ' ', '  '),
    end: fc.constantFrom('\n', '\n', '\r\n', ' \n'),
  })
  .map((l) => `put ${l.metric} ${l.ts} ${l.value}${l.tags.map((t) => l.sep + t).join('')}${l.creds}${l.end}`);
// Lines the byte path takes once their user is verified: plain values, distinct tags.
const plainLine = fc
  .record({
    metric,
    ts: fc.integer({ min: 1_600_000_000, max: 1_800_000_000 }),
    value: fc.constantFrom('1', '-7', '42.5', '.5', '5.', '007'),
    tags: fc.uniqueArray(fc.constantFrom('host=a', 'dc=lga', 'cpu=0', 'rack=r1', 'tenant=evil'), {
      minLength: 1,
      maxLength: 3,
      selector: (t) => t.split('=')[0],
    }),
    who: fc.constantFrom(
      'user=alice password=correct-horse',
      'user=alice password=correct-horse',
      'user=tenant password=t',
      'user=app password=app-pass',
    ),
  })
  .map((l) => `put ${l.metric} ${l.ts} ${l.value} ${l.tags.join(' ')} ${l.who}\n`);
const command = fc.constantFrom('version\n', 'bogus\n', '\n', 'put\n', 'help\n');
const group = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: plainLine },
      { weight: 4, arbitrary: line },
      { weight: 1, arbitrary: command },
    ),
    { maxLength: 12 },
  )
  .map((lines) => lines.join(''));
const input = fc.array(group, { minLength: 1, maxLength: 5 });

describe('telnet byte path', () => {
  let bytes: ProxyHandle;
  let parsed: ProxyHandle;
  let bytesMock: ReturnType<typeof countingMock>;
  let parsedMock: ReturnType<typeof countingMock>;
  beforeAll(async () => {
    bytesMock = countingMock(true);
    parsedMock = countingMock(false);
    bytes = await startWith(bytesMock);
    parsed = await startWith(parsedMock);
  });
  afterAll(async () => {
    await Promise.all([bytes.stop({ timeoutMs: 2000 }), parsed.stop({ timeoutMs: 2000 })]);
  });

  it('forwards plain lines without parsing them: credentials cut out, forced tags in, order kept', async () => {
    bytesMock.clear();
    bytesMock.calls.lines = 0;
    const before = bytes.stats();
    const alice = ' user=alice password=correct-horse';
    const replies = await send(bytes, [
      // Verifies alice (point path) ...
      `put sys.cpu 1700000000 1 host=a${alice}\n`,
      // ... so these are taken as bytes, except the double-spaced one (valid, point path) and
      // the one the rules refuse.
      [
        `put sys.cpu 1700000001 2${alice} host=b`,
        `put sys.cpu 1700000002 3  host=c${alice}`,
        'put sys.cpu 1700000003 4 host=d password=correct-horse user=alice',
        `put sys.cpu 1700000004 5 k0=0 k1=1 k2=2 k3=3 k4=4${alice}`,
        `put sys.cpu 1700000005 6 host=e${alice}`,
      ].join('\n') + '\n',
      'put app.req 1700000006 7 host=f user=app password=app-pass\n',
      'put app.req 1700000007 8 host=g user=app password=app-pass\nput sys.cpu 1700000008 9 host=h user=app password=app-pass\n',
      'put m 1700000009 10 host=i tenant=evil user=tenant password=t\n',
      'put m 1700000010 11 tenant=evil host=j user=tenant password=t\n',
    ]);
    expect(replies).toEqual([
      'put: illegal argument: Too many tags: 5 maximum allowed: 4, tags: {k0=0, k1=1, k2=2, k3=3, k4=4}',
      "put: forbidden: metric 'sys.cpu' is not among the metrics 'app' may write",
    ]);
    expect(bytesMock.points.map((p) => [p.timestamp, { ...p.tags }])).toEqual([
      [1700000000, { host: 'a' }],
      [1700000001, { host: 'b' }],
      [1700000002, { host: 'c' }],
      [1700000003, { host: 'd' }],
      [1700000005, { host: 'e' }],
      [1700000006, { host: 'f' }],
      [1700000007, { host: 'g' }],
      [1700000009, { host: 'i', tenant: 't1', zone: 'z9' }],
      [1700000010, { host: 'j', tenant: 't1', zone: 'z9' }],
    ]);
    // Byte path: b, d, e, g, j.
    expect(bytesMock.calls.lines).toBe(5);
    // Counted alike on both paths: 11 put lines and 6 sync commands, 9 points accepted.
    const after = bytes.stats();
    expect(after.telnet.lines - before.telnet.lines).toBe(17);
    expect(after.points.received - before.points.received).toBe(11);
    expect(after.points.accepted - before.points.accepted).toBe(9);
  });

  it('property: the same replies and the same points, in the same order, as the point path', async () => {
    await fc.assert(
      fc.asyncProperty(input, async (groups) => {
        bytesMock.clear();
        parsedMock.clear();
        const [a, b] = await Promise.all([send(bytes, groups), send(parsed, groups)]);
        expect(a).toEqual(b);
        const strip = (m: MockBackend) =>
          m.points.map((p) => ({
            metric: p.metric,
            timestamp: p.timestamp,
            value: p.value,
            tags: { ...p.tags },
          }));
        expect(strip(bytesMock)).toEqual(strip(parsedMock));
      }),
      { numRuns: 80 },
    );
    // Not vacuous: both paths were taken.
    expect(bytesMock.calls.lines).toBeGreaterThan(10);
    expect(parsedMock.calls.lines).toBe(0);
  });
});
