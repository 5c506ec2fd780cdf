import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from './run-process.js';
import { makeTempDir } from './temp-dir.js';

/** A PEM file: its contents and where it lies (for programs that want a path). */
export interface PemFile {
  readonly pem: string;
  readonly path: string;
}

export interface TlsFixtures {
  /** Directory holding all files; removed at process exit. */
  readonly dir: string;
  /** Test CA that signed the server and client certificates. */
  readonly ca: PemFile;
  /** Server certificate for localhost, 127.0.0.1 and ::1 (subjectAltName). */
  readonly serverCert: PemFile;
  readonly serverKey: PemFile;
  /** Client certificate (CN `otsdb-test-client`, clientAuth) for mutual TLS. */
  readonly clientCert: PemFile;
  readonly clientKey: PemFile;
  /** An unrelated CA, and certificates it signed, for "must not trust this" tests. */
  readonly untrustedCa: PemFile;
  readonly untrustedServerCert: PemFile;
  readonly untrustedServerKey: PemFile;
  readonly untrustedClientCert: PemFile;
  readonly untrustedClientKey: PemFile;
}

/** Common name of `clientCert`, for asserting on the authenticated peer. */
export const TEST_CLIENT_COMMON_NAME = 'otsdb-test-client';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'make-tls-fixtures.sh');
let cached: Promise<TlsFixtures> | undefined;

async function generate(): Promise<TlsFixtures> {
  const dir = await makeTempDir('otsdb-tls-');
  try {
    const run = await runProcess('bash', [script, dir.path], { timeoutMs: 60_000 });
    if (run.exitCode !== 0) {
      throw new Error(
        `make-tls-fixtures.sh failed (exit ${run.exitCode}${run.timedOut ? ', timed out' : ''}): ${run.stderr.trim()}`,
      );
    }
    const load = async (name: string): Promise<PemFile> => {
      const path = join(dir.path, name);
      return { path, pem: await readFile(path, 'utf8') };
    };
    return {
      dir: dir.path,
      ca: await load('ca.pem'),
      serverCert: await load('server.pem'),
      serverKey: await load('server-key.pem'),
      clientCert: await load('client.pem'),
      clientKey: await load('client-key.pem'),
      untrustedCa: await load('untrusted-ca.pem'),
      untrustedServerCert: await load('untrusted-server.pem'),
      untrustedServerKey: await load('untrusted-server-key.pem'),
      untrustedClientCert: await load('untrusted-client.pem'),
      untrustedClientKey: await load('untrusted-client-key.pem'),
    };
  } catch (err) {
    await dir.remove();
    throw err;
  }
}

/**
 * Real certificates made with openssl by `scripts/make-tls-fixtures.sh`, generated once per test
 * process into a temp dir (removed at exit) and shared by every caller in that process.
 */
export function tlsFixtures(): Promise<TlsFixtures> {
  cached ??= generate().catch((err: unknown) => {
    // Let a later call try again instead of caching the failure.
    cached = undefined;
    throw err;
  });
  return cached;
}
