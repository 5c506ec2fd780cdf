import { writeFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import {
  type FakeTsd,
  makeTempDir,
  simpleRequest,
  startFakeTsd,
  TEST_CLIENT_COMMON_NAME,
  type TlsFixtures,
  tlsFixtures,
} from '@otsdb/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeCredentials } from './__fixtures__/credentials.js';
import { openTelnet, type TelnetSession } from './__fixtures__/telnet-client.js';
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

describe('TLS certificate reload', () => {
  it('serves renewed files to new connections; open ones go on; bad files keep the old certificate', async () => {
    const dir = await makeTempDir('proxy-tls-reload-');
    const opened: TelnetSession[] = [];
    try {
      const cert = join(dir.path, 'cert.pem');
      const key = join(dir.path, 'key.pem');
      // Starts with a certificate from the other CA...
      await writeFile(cert, tls.untrustedServerCert.pem);
      await writeFile(key, tls.untrustedServerKey.pem);
      const proxy = await startProxy(
        {
          listeners: { telnet: false, http: false, telnetTls: { port: 0 }, https: { port: 0 } },
          tls: { cert, key },
          auth: { mode: 'mock' },
        },
        { backend: createMockBackend() },
      );
      proxies.push(proxy);
      const port = proxy.ports.telnetTls!;
      const trusting = async (ca: string) => {
        const s = await openTelnet(port, { tls: { ca, servername: 'localhost' } });
        opened.push(s);
        return s;
      };
      const before = await trusting(tls.untrustedCa.pem);

      // ... renewed by the real CA's: new connections get it once reloaded.
      await writeFile(cert, tls.serverCert.pem);
      await writeFile(key, tls.serverKey.pem);
      expect(await proxy.reloadTls()).toEqual({ ok: true });
      const after = await trusting(tls.ca.pem);
      await expect(trusting(tls.untrustedCa.pem)).rejects.toThrow();
      const https = await simpleRequest(`https://localhost:${proxy.ports.https}/api/put`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` },
        body: JSON.stringify({ metric: 'm', timestamp: 1_700_000_002, value: 3, tags: { host: 'c' } }),
        tls: { ca: tls.ca.pem },
      });
      expect(https.status).toBe(204);

      // A key that does not match the certificate is refused; the renewed pair stays.
      await writeFile(key, tls.untrustedServerKey.pem);
      const bad = await proxy.reloadTls();
      expect(bad?.ok).toBe(false);
      await (await trusting(tls.ca.pem)).end();

      before.write('put m 1700000000 1 host=a user=u password=p\n');
      after.write('put m 1700000001 2 host=b user=u password=p\n');
      await Promise.all([before.end(), after.end()]);
      expect((proxy.backend as MockBackend).points.map((p) => p.tags)).toEqual([
        { host: 'c' },
        { host: 'a' },
        { host: 'b' },
      ]);
    } finally {
      for (const s of opened) s.destroy();
      await dir.remove();
    }
  });

  it('a shutdown does not wait for TLS handshakes that never finish', async () => {
    const proxy = await start({ tls: { handshakeTimeoutMs: 600_000 } as never });
    const silent = await Promise.all(
      [proxy.ports.telnetTls!, proxy.ports.https!].map(
        (port) =>
          new Promise<Socket>((resolve, reject) => {
            const s = netConnect({ port, host: '127.0.0.1' }, () => resolve(s));
            s.once('error', reject);
          }),
      ),
    );
    try {
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        proxy.stop({ timeoutMs: 200 }).then(() => 'stopped'),
        new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve('still waiting for the handshakes'), 20_000);
        }),
      ]);
      clearTimeout(timer);
      expect(outcome).toBe('stopped');
    } finally {
      for (const s of silent) s.destroy();
    }
  });

  it('has nothing to reload without TLS listeners', async () => {
    const proxy = await startProxy(
      { listeners: { telnet: { port: 0 }, http: false }, auth: { mode: 'mock' } },
      { backend: createMockBackend() },
    );
    proxies.push(proxy);
    expect(await proxy.reloadTls()).toBeUndefined();
  });
});

describe('client certificates as principals (auth.certificates)', () => {
  async function startWithCertificates() {
    const dir = await makeTempDir('proxy-certs-');
    const credentials = await writeCredentials(dir.path, [{ name: 'alice', password: 'correct-horse' }]);
    const proxy = await startProxy(
      {
        listeners: { telnet: false, http: false, telnetTls: { port: 0 }, https: { port: 0 } },
        tls: { cert: tls.serverCert.path, key: tls.serverKey.path, ca: tls.ca.path },
        auth: {
          mode: 'file',
          file: { path: credentials, watch: false },
          certificates: { [TEST_CLIENT_COMMON_NAME]: { scopes: ['write'], forcedTags: { tenant: 'certs' } } },
        },
      },
      { backend: createMockBackend() },
    );
    proxies.push(proxy);
    return { proxy, cleanup: () => dir.remove() };
  }

  it('a verified certificate writes without credentials, with its forced tags; credentials still decide', async () => {
    const { proxy, cleanup } = await startWithCertificates();
    try {
      const s = await openTelnet(proxy.ports.telnetTls!, {
        tls: { ca: tls.ca.pem, cert: tls.clientCert.pem, key: tls.clientKey.pem, servername: 'localhost' },
      });
      // The first read goes the point path, later ones the byte path: both are covered.
      s.write('put m 1700000000 1 host=a tenant=evil\nversion\n');
      await s.waitForLines(2);
      s.write('put m 1700000001 2 host=b\nput m 1700000002 3 host=c user=alice password=correct-horse\n');
      expect(await s.end()).toHaveLength(2);
      expect((proxy.backend as MockBackend).points.map((p) => ({ ...p.tags }))).toEqual([
        { host: 'a', tenant: 'certs' },
        { host: 'b', tenant: 'certs' },
        { host: 'c' },
      ]);
      const https = await simpleRequest(`https://localhost:${proxy.ports.https}/api/put`, {
        method: 'POST',
        body: JSON.stringify({ metric: 'm', timestamp: 1_700_000_003, value: 4, tags: { host: 'd' } }),
        tls: { ca: tls.ca.pem, cert: tls.clientCert.pem, key: tls.clientKey.pem },
      });
      expect(https.status).toBe(204);
      expect((proxy.backend as MockBackend).points.at(-1)?.tags).toEqual({ host: 'd', tenant: 'certs' });
    } finally {
      await cleanup();
    }
  });

  it('no certificate, or one the CA did not sign: credentials are required', async () => {
    const { proxy, cleanup } = await startWithCertificates();
    try {
      for (const extra of [{}, { cert: tls.untrustedClientCert.pem, key: tls.untrustedClientKey.pem }]) {
        const s = await openTelnet(proxy.ports.telnetTls!, {
          tls: { ca: tls.ca.pem, servername: 'localhost', ...extra },
        });
        s.write('put m 1700000000 1 host=a\n');
        expect(await s.end()).toEqual([
          'put: unauthorized: credentials required: add the tags user=<name> password=<secret>',
        ]);
      }
      const https = await simpleRequest(`https://localhost:${proxy.ports.https}/api/put`, {
        method: 'POST',
        body: JSON.stringify({ metric: 'm', timestamp: 1_700_000_003, value: 4, tags: { host: 'd' } }),
        tls: { ca: tls.ca.pem },
      });
      expect(https.status).toBe(401);
      expect((proxy.backend as MockBackend).points).toHaveLength(0);
    } finally {
      await cleanup();
    }
  });

  it('is refused without a CA, without a TLS listener, or in auth mode none', async () => {
    const certificates = { x: { scopes: ['write'] as Array<'write'> } };
    await expect(
      startProxy({
        listeners: { telnet: { port: 0 }, http: false },
        auth: { mode: 'mock', certificates },
      }),
    ).rejects.toThrow(
      /tls\.ca: auth\.certificates needs the CA[\s\S]*auth\.certificates: client certificates need a TLS listener/,
    );
    await expect(
      startProxy({
        listeners: { telnet: false, http: false, telnetTls: { port: 0 } },
        tls: { cert: tls.serverCert.path, key: tls.serverKey.path, ca: tls.ca.path },
        auth: { mode: 'none', certificates },
      }),
    ).rejects.toThrow(/auth mode none lets everyone in already/);
  });
});

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
