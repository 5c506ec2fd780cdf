import { type FakeTsd, simpleRequest, startFakeTsd, type TlsFixtures, tlsFixtures } from '@otsdb/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openTelnet } from './__fixtures__/telnet-client.js';
import { createMockBackend, type MockBackend } from './backends/mock-backend.js';
import type { ProxyConfigInput } from './config.js';
import { type ProxyHandle, startProxy } from './proxy.js';

let tls: TlsFixtures;
const proxies: ProxyHandle[] = [];
const fakes: FakeTsd[] = [];

beforeAll(async () => {
  tls = await tlsFixtures();
});
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.stop({ timeoutMs: 2000 })));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function start(extra: Partial<ProxyConfigInput> = {}) {
  const proxy = await startProxy(
    {
      listeners: { telnet: false, http: false, telnetTls: { port: 0 }, https: { port: 0 } },
      tls: { cert: tls.serverCert.path, key: tls.serverKey.path, ca: tls.ca.path, ...(extra.tls ?? {}) },
      auth: { mode: 'mock' },
    },
    { backend: createMockBackend() },
  );
  proxies.push(proxy);
  return proxy;
}

describe('TLS listeners', () => {
  it('takes telnet puts over TLS and strips the credentials', async () => {
    const proxy = await start();
    const s = await openTelnet(proxy.ports.telnetTls!, { tls: { ca: tls.ca.pem, servername: 'localhost' } });
    s.write('put sys.cpu 1700000000 1 host=a user=u password=p\nversion\n');
    const replies = await s.end();
    expect(replies[0]).toMatch(/^opentsdb-proxy /);
    expect((proxy.backend as MockBackend).points.map((p) => p.tags)).toEqual([{ host: 'a' }]);
  });

  it('serves the HTTP API over HTTPS', async () => {
    const proxy = await start();
    const r = await simpleRequest(`https://localhost:${proxy.ports.https}/api/put`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` },
      body: JSON.stringify({ metric: 'a.b', timestamp: 1_700_000_000, value: 1, tags: { host: 'a' } }),
      tls: { ca: tls.ca.pem },
    });
    expect(r.status).toBe(204);
  });

  it('requires a client certificate signed by the CA when configured (mutual TLS)', async () => {
    const proxy = await start({ tls: { requireClientCert: true } as never });
    const port = proxy.ports.telnetTls!;
    const withCert = await openTelnet(port, {
      tls: { ca: tls.ca.pem, cert: tls.clientCert.pem, key: tls.clientKey.pem, servername: 'localhost' },
    });
    withCert.write('version\n');
    expect(await withCert.end()).toHaveLength(2);

    const refused = async (options: { cert?: string; key?: string }) => {
      // TLS 1.3 finishes the client handshake before the server checks the certificate: the
      // refusal shows as a closed connection without any reply.
      try {
        const s = await openTelnet(port, { tls: { ca: tls.ca.pem, servername: 'localhost', ...options } });
        s.write('version\n');
        await s.closed;
        return s.lines();
      } catch {
        return [];
      }
    };
    expect(await refused({})).toEqual([]);
    expect(await refused({ cert: tls.untrustedClientCert.pem, key: tls.untrustedClientKey.pem })).toEqual([]);
    expect(proxy.stats().connections.tlsErrors).toBeGreaterThanOrEqual(2);
  });
});

describe('TLS to the TSD', () => {
  it('forwards over TLS, verifying the TSD certificate', async () => {
    const fake = await startFakeTsd({ protocol: 'telnet', tls: true });
    fakes.push(fake);
    const proxy = await startProxy({
      listeners: { telnet: { port: 0 }, http: false },
      backend: {
        type: 'forward',
        forward: { targets: [`tls://localhost:${fake.port}`], tls: { ca: tls.ca.path } },
      },
    });
    proxies.push(proxy);
    const s = await openTelnet(proxy.ports.telnet!);
    s.write('put sys.cpu 1700000000 1 host=a user=u password=p\n');
    expect(await s.end()).toEqual([]);
    await fake.waitForLines(1);
    expect(fake.lines).toEqual(['put sys.cpu 1700000000 1 host=a']);
    expect(fake.connections[0]?.tls).toBe(true);
  });
});
