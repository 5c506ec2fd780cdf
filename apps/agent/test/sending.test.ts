import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type FakeTsd, startFakeTsd } from '@otsdb/testkit/fake-tsd';
import { makeTempDir, type TempDir } from '@otsdb/testkit/temp-dir';
import { TEST_CLIENT_COMMON_NAME, tlsFixtures } from '@otsdb/testkit/tls-fixtures';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../src/__fixtures__/capture-logger.js';
import type { AgentConfigInput } from '../src/config.js';
import { type AgentHandle, startAgent } from '../src/main.js';

// How the agent's sending options reach the wire: TLS (CA, client certificate) on telnet and
// HTTP, gateway credentials as telnet tags or Basic auth, failover across --hosts-list. The
// fake TSD records what arrived; delivery into a real TSD is covered by agent-e2e.test.ts.

let tmp: TempDir;
const tsds: FakeTsd[] = [];
let agent: AgentHandle | undefined;

beforeEach(async () => {
  tmp = await makeTempDir('agent-sending-');
});
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  for (const tsd of tsds.splice(0)) await tsd.close();
  await tmp.remove();
});

const LINES = ['net.a 1700000000 1 k=v', 'net.b 1700000001 2 k=v', 'net.c 1700000002 3 k=v'];

/** Runs the agent over `LINES` in --stdin mode and waits for it to finish. */
async function send(config: Partial<AgentConfigInput>) {
  const { logger, records } = captureLogger('info');
  agent = await startAgent(
    { stdin: true, tags: ['host=h1'], selfStats: false, shutdownTimeout: 10, ...config },
    { logger, stdin: Readable.from([`${LINES.join('\n')}\n`]) },
  );
  const exit = await agent.done;
  return { exit, logs: records };
}

async function fake(options: Parameters<typeof startFakeTsd>[0]): Promise<FakeTsd> {
  const tsd = await startFakeTsd(options);
  tsds.push(tsd);
  return tsd;
}

describe('sending', () => {
  it('telnet over TLS, verifying the TSD with --ca and presenting a client certificate', async () => {
    const f = await tlsFixtures();
    const tsd = await fake({ protocol: 'telnet', tls: true });
    const { exit } = await send({
      host: '127.0.0.1',
      port: tsd.port,
      ssl: true,
      ca: f.ca.path,
      clientCert: f.clientCert.path,
      clientKey: f.clientKey.path,
    });
    expect(exit).toEqual({ ok: true, abandoned: 0 });
    expect(tsd.points.map((p) => p.metric)).toEqual(['net.a', 'net.b', 'net.c']);
    expect(tsd.connections[0]).toMatchObject({
      tls: true,
      authorized: true,
      peerCommonName: TEST_CLIENT_COMMON_NAME,
    });
  });

  it('refuses a TSD whose certificate the CA did not sign (nothing sent in clear)', async () => {
    const f = await tlsFixtures();
    const tsd = await fake({
      protocol: 'telnet',
      tls: { cert: f.untrustedServerCert.pem, key: f.untrustedServerKey.pem },
    });
    const { exit } = await send({
      host: '127.0.0.1',
      port: tsd.port,
      ssl: true,
      ca: f.ca.path,
      shutdownTimeout: 2,
    });
    expect(exit.ok).toBe(false);
    expect(exit.abandoned).toBe(3);
    expect(tsd.points).toEqual([]);
  });

  it('HTTPS with Basic auth from --auth-file', async () => {
    const f = await tlsFixtures();
    const tsd = await fake({ protocol: 'http', tls: true });
    const authFile = join(tmp.path, 'auth');
    await writeFile(authFile, 'agent:s3cret\n', { mode: 0o600 });
    const { exit, logs } = await send({
      host: '127.0.0.1',
      port: tsd.port,
      http: true,
      ssl: true,
      ca: f.ca.path,
      authFile,
    });
    expect(exit.ok).toBe(true);
    expect(tsd.points.map((p) => [p.metric, p.tags])).toEqual(
      LINES.map((l) => [l.split(' ')[0], { k: 'v', host: 'h1' }]),
    );
    const request = tsd.requests[0]!;
    expect(request.path).toBe('/api/put');
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from('agent:s3cret').toString('base64')}`);
    expect(JSON.stringify(logs)).not.toContain('s3cret');
  });

  it('telnet credentials travel as user/password tags', async () => {
    const tsd = await fake({ protocol: 'telnet' });
    const { exit, logs } = await send({
      host: '127.0.0.1',
      port: tsd.port,
      credentials: { user: 'agent', password: 's3cret' },
    });
    expect(exit.ok).toBe(true);
    expect(tsd.lines).toHaveLength(3);
    for (const line of tsd.lines) expect(line).toMatch(/ user=agent password=s3cret$/);
    expect(JSON.stringify(logs)).not.toContain('s3cret');
  });

  it('HTTP with a custom API path, gzip and a batch size', async () => {
    const tsd = await fake({ protocol: 'http' });
    const { exit } = await send({
      host: '127.0.0.1',
      port: tsd.port,
      http: true,
      httpApiPath: 'tsdb/api/put',
      gzip: true,
      batchSize: 2,
    });
    expect(exit.ok).toBe(true);
    expect(tsd.requests.map((r) => r.path)).toEqual(['/tsdb/api/put', '/tsdb/api/put']);
    expect(tsd.requests[0]?.headers['content-encoding']).toBe('gzip');
    // The fake only stores points posted to /api/put; the decoded bodies show they all went.
    // Batches go out concurrently, so they may arrive in either order.
    const bodies = tsd.requests.map((r) => (r.body as { metric: string }[]).map((p) => p.metric));
    expect(bodies.sort((a, b) => b.length - a.length)).toEqual([['net.a', 'net.b'], ['net.c']]);
  });

  it('fails over along --hosts-list when the first TSD is down', async () => {
    const down = await fake({ protocol: 'telnet' });
    await down.stop();
    const up = await fake({ protocol: 'telnet' });
    const { exit } = await send({ hostsList: [`127.0.0.1:${down.port}`, `127.0.0.1:${up.port}`] });
    expect(exit.ok).toBe(true);
    expect(up.points.map((p) => p.metric)).toEqual(['net.a', 'net.b', 'net.c']);
    expect(down.points).toEqual([]);
  });
});
