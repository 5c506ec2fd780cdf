import { connect } from 'node:net';
import { makeTempDir, simpleRequest, type TempDir } from '@otsdb/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCredentials } from './__fixtures__/credentials.js';
import { openTelnet } from './__fixtures__/telnet-client.js';
import { createMockBackend } from './backends/mock-backend.js';
import { type ProxyHandle, startProxy } from './proxy.js';

let proxy: ProxyHandle;
let dir: TempDir;

beforeAll(async () => {
  dir = await makeTempDir('proxy-fuzz-');
  const credentials = await writeCredentials(dir.path, [{ name: 'alice', password: 'pw' }]);
  proxy = await startProxy(
    {
      listeners: { telnet: { port: 0 }, http: { port: 0 } },
      auth: { mode: 'file', file: { path: credentials, watch: false }, failureLimit: false },
      limits: { maxLineLength: 256, maxBodyBytes: 64 * 1024 },
    },
    { backend: createMockBackend({ maxRecords: 10_000 }) },
  );
});
afterAll(async () => {
  await proxy?.stop({ timeoutMs: 2000 });
  await dir?.remove();
});

/** Sends raw bytes on a fresh connection, half-closes, and waits (bounded) for the proxy to close. */
function sendRaw(port: number, bytes: Uint8Array): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let out = '';
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on('data', (d) => {
      out += d.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.end(bytes);
  });
}

// Bytes weighted towards what the parsers care about: newlines, spaces, '=', digits, "put ".
const interesting = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(
          'put ',
          'put m 1700000000 1 ',
          'user=alice ',
          'password=pw ',
          '=',
          ' ',
          '\n',
          '\r\n',
          '\0',
        ),
        fc.string({ maxLength: 20 }),
        fc.stringMatching(/^[a-z0-9.=\-_/]{0,30}$/),
      ),
      { maxLength: 60 },
    )
    .map((parts) => Buffer.from(parts.join(''), 'utf8')),
);

describe('fuzzing the listeners', () => {
  it('telnet: random bytes never crash the proxy; it answers afterwards', async () => {
    await fc.assert(
      fc.asyncProperty(interesting, async (bytes) => {
        await sendRaw(proxy.ports.telnet!, bytes);
      }),
      { numRuns: 60 },
    );
    expect(proxy.stats().connections.accepted).toBeGreaterThanOrEqual(60);
    const s = await openTelnet(proxy.ports.telnet!);
    s.write('version\nput fz 1700000000 1 host=a user=alice password=pw\n');
    expect((await s.end())[0]).toMatch(/^opentsdb-proxy /);
  });

  it('HTTP: random requests never crash the proxy; it answers afterwards', async () => {
    const port = proxy.ports.http!;
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'X'),
      path: fc.constantFrom(
        '/api/put',
        '/api/put?details',
        '/api/query',
        '/health',
        '/x',
        '/api/suggest?type=metrics',
      ),
      headers: fc.dictionary(
        fc.constantFrom('authorization', 'content-encoding', 'x-warp10-token', 'content-type'),
        fc.oneof(
          fc.constantFrom('gzip', 'deflate', 'Basic YWxpY2U6cHc=', 'Bearer x', 'application/json'),
          fc.stringMatching(/^[ -~]{0,40}$/),
        ),
      ),
      body: interesting,
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        try {
          const res = await simpleRequest(`http://127.0.0.1:${port}${r.path}`, {
            method: r.method,
            headers: r.headers,
            body: Buffer.from(r.body),
            timeoutMs: 5000,
          });
          expect(res.status).toBeGreaterThanOrEqual(200);
          expect(res.status).toBeLessThan(600);
          expect(res.status).not.toBe(500);
        } catch (error) {
          // Invalid header values are refused by the client library itself; that is not ours.
          if (!(error instanceof TypeError) && !/Invalid character|ERR_/.test(String(error))) throw error;
        }
      }),
      { numRuns: 80 },
    );
    await fc.assert(
      fc.asyncProperty(interesting, async (bytes) => {
        await sendRaw(port, bytes);
      }),
      { numRuns: 40 },
    );
    expect(proxy.stats().http.requests).toBeGreaterThan(40);
    const health = await simpleRequest(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
  });
});
