import { TEST_CLIENT_COMMON_NAME, tlsFixtures } from '@otsdb/testkit/tls-fixtures';
import { waitFor } from '@otsdb/testkit/wait-for';
import { describe, expect, it } from 'vitest';
import { client, fakeTsd, T0 } from './__fixtures__/harness.js';
import { createClient } from './index.js';

// Real TLS with testkit's generated certificates (CA, server cert for localhost, client cert).

describe('TLS', () => {
  it('telnet over TLS, with a client certificate (mutual TLS)', async () => {
    const tls = await tlsFixtures();
    const tsd = await fakeTsd({
      tls: {
        cert: tls.serverCert.pem,
        key: tls.serverKey.pem,
        ca: tls.ca.pem,
        requestCert: true,
        rejectUnauthorized: true,
      },
    });
    const c = client({
      hosts: [`localhost:${tsd.port}`],
      tls: { ca: tls.ca.pem, cert: tls.clientCert.pem, key: tls.clientKey.pem },
    });
    c.send('m', 1, {}, { timestamp: T0 });
    await c.flush();
    expect(await tsd.waitForLines(1)).toEqual(['put m 1700000000 1 host=testhost']);
    expect(tsd.connections[0]).toMatchObject({
      tls: true,
      authorized: true,
      peerCommonName: TEST_CLIENT_COMMON_NAME,
    });
  });

  it('without the client certificate the mutual-TLS TSD gets nothing', async () => {
    const tls = await tlsFixtures();
    const tsd = await fakeTsd({
      tls: {
        cert: tls.serverCert.pem,
        key: tls.serverKey.pem,
        ca: tls.ca.pem,
        requestCert: true,
        rejectUnauthorized: true,
      },
    });
    const c = client({ hosts: [`localhost:${tsd.port}`], tls: { ca: tls.ca.pem } });
    c.send('m', 2, {}, { timestamp: T0 });
    await waitFor(() => c.stats().errors >= 2);
    expect(tsd.lines).toHaveLength(0);
  });

  it('refuses a server certificate the CA did not sign, naming host and cause', async () => {
    const tls = await tlsFixtures();
    const tsd = await fakeTsd({
      tls: { cert: tls.untrustedServerCert.pem, key: tls.untrustedServerKey.pem },
    });
    const error = await createClient({
      hosts: [`localhost:${tsd.port}`],
      tls: { ca: tls.ca.pem },
      checkHost: true,
    }).then(
      () => new Error('expected createClient to reject'),
      (e: unknown) => e as Error,
    );
    expect(error).toMatchObject({ code: 'check_host_failed' });
    expect(error.message).toContain(`localhost:${tsd.port} (TLS)`);
    expect(error.message).toMatch(/certificate|self.signed|verify/i);
    expect(tsd.lines).toHaveLength(0);
  });

  it('HTTPS with the test CA and a client certificate', async () => {
    const tls = await tlsFixtures();
    const tsd = await fakeTsd({ protocol: 'http', tls: true });
    const c = client({
      url: `https://localhost:${tsd.port}`,
      tls: { ca: tls.ca.pem, cert: tls.clientCert.pem, key: tls.clientKey.pem },
      lingerMs: 0,
    });
    c.send('m', 1, {}, { timestamp: T0 });
    expect(await c.flush({ timeoutMs: 10_000 })).toEqual({ ok: true });
    expect(tsd.points).toMatchObject([{ metric: 'm', timestamp: T0, value: 1, tags: { host: 'testhost' } }]);
    expect(tsd.connections[0]).toMatchObject({ tls: true, authorized: true });
  });
});
