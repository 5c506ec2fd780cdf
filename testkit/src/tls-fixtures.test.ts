import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, connect as tlsConnect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { TEST_CLIENT_COMMON_NAME, tlsFixtures } from './tls-fixtures.js';

describe('tlsFixtures', () => {
  it('generates a CA, a server cert for localhost/127.0.0.1/::1 and a client cert, once per process', async () => {
    const f = await tlsFixtures();
    expect(await tlsFixtures()).toBe(f);
    for (const file of [f.ca, f.serverCert, f.serverKey, f.clientCert, f.clientKey, f.untrustedCa]) {
      expect(existsSync(file.path)).toBe(true);
      expect(file.pem).toMatch(/^-----BEGIN /);
    }
    const ca = new X509Certificate(f.ca.pem);
    const server = new X509Certificate(f.serverCert.pem);
    const client = new X509Certificate(f.clientCert.pem);
    expect(ca.ca).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(client.verify(ca.publicKey)).toBe(true);
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkIP('::1')).toBe('::1');
    expect(server.checkHost('example.com')).toBeUndefined();
    expect(client.subject).toContain(`CN=${TEST_CLIENT_COMMON_NAME}`);
    expect(new X509Certificate(f.untrustedServerCert.pem).verify(ca.publicKey)).toBe(false);
    // The CA keys are gone: nothing else can be signed with them.
    expect(existsSync(`${f.dir}/ca-key.pem`)).toBe(false);
  });

  it('works for a real mutual-TLS handshake over ::1', async () => {
    const f = await tlsFixtures();
    const server = createServer({
      cert: f.serverCert.pem,
      key: f.serverKey.pem,
      ca: f.ca.pem,
      requestCert: true,
      rejectUnauthorized: true,
    });
    server.on('secureConnection', (socket) => socket.end(`hello ${socket.getPeerCertificate().subject.CN}`));
    await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
    try {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no address');
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = tlsConnect({
          host: '::1',
          port: address.port,
          ca: f.ca.pem,
          cert: f.clientCert.pem,
          key: f.clientKey.pem,
        });
        let text = '';
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(reply).toBe(`hello ${TEST_CLIENT_COMMON_NAME}`);
    } finally {
      server.close();
    }
  });
});
