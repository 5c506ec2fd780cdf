import {
  makeTempDir,
  simpleRequest,
  startVictoriaMetrics,
  type TempDir,
  type VictoriaMetrics,
} from '@otsdb/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeCredentials } from './__fixtures__/credentials.js';
import { openTelnet } from './__fixtures__/telnet-client.js';
import { type ProxyHandle, startProxy } from './proxy.js';

let vm: VictoriaMetrics;
let dir: TempDir;
let credentials: string;
const proxies: ProxyHandle[] = [];
const basic = `Basic ${Buffer.from('alice:correct-horse').toString('base64')}`;

beforeAll(async () => {
  vm = await startVictoriaMetrics();
  dir = await makeTempDir('proxy-vm-');
  credentials = await writeCredentials(dir.path, [
    { name: 'alice', password: 'correct-horse' },
    { name: 'tenant', password: 't', forcedTags: { tenant: 't1' } },
  ]);
});
afterAll(async () => {
  await vm?.stop();
  await dir?.remove();
});
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.stop({ timeoutMs: 5000 })));
});

async function proxyTo(target: string) {
  const proxy = await startProxy({
    listeners: { telnet: { port: 0 }, http: { port: 0 } },
    auth: { mode: 'file', file: { path: credentials, watch: false } },
    // VictoriaMetrics takes points without tags; OpenTSDB would not. Keep OpenTSDB's rule here.
    backend: { type: 'forward', forward: { targets: [target], telnetTimestamps: 'as-is' } },
  });
  proxies.push(proxy);
  return proxy;
}

const now = Math.floor(Date.now() / 1000) - 60;

async function telnetLines(port: number, lines: string[]) {
  const s = await openTelnet(port);
  s.write(lines.map((l) => `${l}\n`).join(''));
  return s.end();
}

describe('end to end through the proxy into VictoriaMetrics', () => {
  it.each([
    ['telnet', () => `telnet://127.0.0.1:${vm.telnetPort}`],
    ['http', () => vm.putUrl],
  ])('telnet in, %s forward: points arrive exactly, credentials never', async (kind, target) => {
    const proxy = await proxyTo(target());
    const metric = `e2e.tin.${kind}`;
    const replies = await telnetLines(proxy.ports.telnet!, [
      `put ${metric} ${now} 42 host=web01 user=alice password=correct-horse`,
      `put ${metric} ${now + 1} -1.5 host=web02 dc=lga user=alice password=correct-horse`,
      `put ${metric} ${now + 2} 7 host=web03 user=alice password=wrong`,
      `put ${metric} ${now + 3} 123456789012 host=web01 user=tenant password=t tenant=evil`,
    ]);
    expect(replies).toEqual(['put: unauthorized: invalid credentials']);
    await proxy.stop();
    const points = await vm.waitForPoints(`{__name__="${metric}"}`, 3);
    expect(points).toEqual([
      { metric, tags: { dc: 'lga', host: 'web02' }, timestamp: (now + 1) * 1000, value: -1.5 },
      { metric, tags: { host: 'web01' }, timestamp: now * 1000, value: 42 },
      { metric, tags: { host: 'web01', tenant: 't1' }, timestamp: (now + 3) * 1000, value: 123456789012 },
    ]);
  });

  it.each([
    ['telnet', () => `telnet://127.0.0.1:${vm.telnetPort}`],
    ['http', () => vm.putUrl],
  ])('HTTP in, %s forward: acknowledged points arrive exactly', async (kind, target) => {
    const proxy = await proxyTo(target());
    const metric = `e2e.hin.${kind}`;
    const body = [
      { metric, timestamp: now, value: 1, tags: { host: 'a', user: 'alice', password: 'correct-horse' } },
      { metric, timestamp: now + 1, value: 0.25, tags: { host: 'b' } },
      { metric, timestamp: now + 2, value: 'x', tags: { host: 'c' } },
    ];
    const r = await simpleRequest(`http://127.0.0.1:${proxy.ports.http}/api/put?details`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ success: 2, failed: 1 });
    const points = await vm.waitForPoints(`{__name__="${metric}"}`, 2);
    expect(points).toEqual([
      { metric, tags: { host: 'a' }, timestamp: now * 1000, value: 1 },
      { metric, tags: { host: 'b' }, timestamp: (now + 1) * 1000, value: 0.25 },
    ]);
  });

  it('keeps milliseconds over HTTP in and HTTP out', async () => {
    const proxy = await proxyTo(vm.putUrl);
    const metric = 'e2e.ms';
    const ms = now * 1000 + 123;
    const r = await simpleRequest(`http://127.0.0.1:${proxy.ports.http}/api/put`, {
      method: 'POST',
      headers: { authorization: basic },
      body: JSON.stringify([{ metric, timestamp: ms, value: 3, tags: { host: 'a' } }]),
    });
    expect(r.status).toBe(204);
    expect(await vm.waitForPoints(`{__name__="${metric}"}`, 1)).toEqual([
      { metric, tags: { host: 'a' }, timestamp: ms, value: 3 },
    ]);
  });

  it('never lets a user or password label reach the TSD', async () => {
    const all = await vm.exportPoints('{__name__=~"e2e\\\\..*"}');
    expect(all.length).toBeGreaterThan(0);
    for (const p of all) {
      expect(Object.keys(p.tags)).not.toContain('user');
      expect(Object.keys(p.tags)).not.toContain('password');
    }
  });
});
