import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, simpleRequest, type TempDir } from '@otsdb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeCredentials } from '../__fixtures__/credentials.js';
import { openTelnet } from '../__fixtures__/telnet-client.js';
import { type ProxyHandle, startProxy } from '../proxy.js';
import { createMockBackend } from './mock-backend.js';

let dir: TempDir;
const proxies: ProxyHandle[] = [];
beforeEach(async () => {
  dir = await makeTempDir('proxy-local-');
});
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.stop({ timeoutMs: 2000 })));
  await dir.remove();
});

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('local backend through the proxy', () => {
  it('stores what telnet and HTTP write and answers /api/query', async () => {
    const credentials = await writeCredentials(dir.path, [
      { name: 'alice', password: 'pw', scopes: ['write', 'read'] },
      { name: 'acme', password: 'pw', scopes: ['write', 'read'], forcedTags: { tenant: 'acme' } },
    ]);
    const proxy = await startProxy({
      listeners: { telnet: { port: 0 }, http: { port: 0 } },
      auth: { mode: 'file', file: { path: credentials, watch: false } },
      backend: { type: 'local', local: { dataDir: join(dir.path, 'data'), fsync: 'none' } },
    });
    proxies.push(proxy);
    // Recent timestamps: the store drops points older than its retention (15 days by default).
    const t0 = Math.floor(Date.now() / 1000 / 60) * 60 - 600;
    const s = await openTelnet(proxy.ports.telnet!);
    s.write(`put lb.cpu ${t0} 1 host=a user=alice password=pw\n`);
    s.write(`put lb.cpu ${t0} 5 host=b user=acme password=pw tenant=other\n`);
    expect(await s.end()).toEqual([]);
    const http = `http://127.0.0.1:${proxy.ports.http}`;
    const put = await simpleRequest(`${http}/api/put`, {
      method: 'POST',
      headers: { authorization: basic('alice', 'pw') },
      body: JSON.stringify({ metric: 'lb.cpu', timestamp: t0 + 60, value: 2, tags: { host: 'a' } }),
    });
    expect(put.status).toBe(204);

    const query = (who: string) =>
      simpleRequest(`${http}/api/query?start=${t0 - 600}&end=${t0 + 600}&m=sum:lb.cpu{host=*}`, {
        headers: { authorization: basic(who, 'pw') },
      });
    const all = await query('alice');
    expect(all.status).toBe(200);
    const series = JSON.parse(all.body) as Array<{
      tags: Record<string, string>;
      dps: Record<string, number>;
    }>;
    expect(series.map((x) => [x.tags.host, x.dps])).toEqual([
      ['a', { [t0]: 1, [t0 + 60]: 2 }],
      ['b', { [t0]: 5 }],
    ]);
    const mine = JSON.parse((await query('acme')).body) as Array<{ tags: Record<string, string> }>;
    expect(mine.map((x) => x.tags)).toEqual([{ host: 'b', tenant: 'acme' }]);
  });
});

describe('mock backend file', () => {
  it('appends accepted points as put lines', async () => {
    const file = join(dir.path, 'points.txt');
    const mock = createMockBackend({ file });
    const proxy = await startProxy({ listeners: { telnet: { port: 0 }, http: false } }, { backend: mock });
    proxies.push(proxy);
    const s = await openTelnet(proxy.ports.telnet!);
    s.write('put mf.a 1700000000 1.50 host=a user=u password=p\nput mf.b 1700000001 2 dc=x host=b\n');
    expect(await s.end()).toEqual([]);
    await proxy.stop();
    expect(await readFile(file, 'utf8')).toBe(
      'put mf.a 1700000000 1.50 host=a\nput mf.b 1700000001 2 dc=x host=b\n',
    );
  });
});
