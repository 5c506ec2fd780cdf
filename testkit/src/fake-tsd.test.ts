import { connect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_TSD_VERSION_REPLY, type FakeTsd, type FakeTsdOptions, startFakeTsd } from './fake-tsd.js';
import { simpleRequest } from './http-request.js';
import { TEST_CLIENT_COMMON_NAME, tlsFixtures } from './tls-fixtures.js';

const fakes: FakeTsd[] = [];
const sockets: Socket[] = [];

async function fake(options: FakeTsdOptions): Promise<FakeTsd> {
  const tsd = await startFakeTsd(options);
  fakes.push(tsd);
  return tsd;
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(fakes.splice(0).map((tsd) => tsd.close()));
});

interface Client {
  socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves when the server closed the connection (or it failed), with the error if any. */
  closed: Promise<Error | undefined>;
  /** Resolves once `text` has been received. */
  waitForText(text: string): Promise<void>;
}

function track(socket: Socket, connectEvent: 'connect' | 'secureConnect'): Promise<Client> {
  sockets.push(socket);
  const chunks: Buffer[] = [];
  let error: Error | undefined;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<Error | undefined>((resolve) => {
    socket.on('error', (err) => {
      error = err;
    });
    socket.once('close', () => resolve(error));
  });
  const received = (): string => Buffer.concat(chunks).toString('latin1');
  const client: Client = {
    socket,
    received,
    closed,
    waitForText: (text) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (received().includes(text)) {
            socket.off('data', check);
            resolve();
          }
        };
        socket.on('data', check);
        closed.then(() =>
          received().includes(text) ? resolve() : reject(new Error(`closed before "${text}"`)),
        );
        check();
      }),
  };
  return new Promise((resolve, reject) => {
    socket.once(connectEvent, () => resolve(client));
    socket.once('error', reject);
  });
}

function telnet(tsd: FakeTsd): Promise<Client> {
  return track(connect({ host: tsd.host, port: tsd.port }), 'connect');
}

async function telnetTls(tsd: FakeTsd, withClientCert: boolean): Promise<Client> {
  const f = await tlsFixtures();
  const socket: TLSSocket = tlsConnect({
    host: tsd.host,
    port: tsd.port,
    ca: f.ca.pem,
    ...(withClientCert ? { cert: f.clientCert.pem, key: f.clientKey.pem } : {}),
  });
  return track(socket, 'secureConnect');
}

const putBody = (n: number, first = 0) =>
  JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      metric: 'sys.cpu',
      timestamp: 1_700_000_000 + first + i,
      value: first + i,
      tags: { host: 'a' },
    })),
  );

describe('fake TSD, telnet', () => {
  it('accept: records lines and points, answers version and unknown commands like OpenTSDB', async () => {
    const tsd = await fake({ protocol: 'telnet' });
    const c = await telnet(tsd);
    c.socket.write('put sys.cpu 1700000000 1.5 host=a cpu=0\r\nput sys.mem 1700000001 7 host=b\nversion\n');
    await c.waitForText(FAKE_TSD_VERSION_REPLY);
    c.socket.write('stats\n');
    await c.waitForText("unknown command: stats.  Try `help'.\n");
    expect(tsd.lines).toEqual([
      'put sys.cpu 1700000000 1.5 host=a cpu=0',
      'put sys.mem 1700000001 7 host=b',
      'version',
      'stats',
    ]);
    expect(tsd.points).toEqual([
      {
        protocol: 'telnet',
        connectionId: 1,
        metric: 'sys.cpu',
        timestamp: 1_700_000_000,
        value: '1.5',
        tags: { host: 'a', cpu: '0' },
      },
      {
        protocol: 'telnet',
        connectionId: 1,
        metric: 'sys.mem',
        timestamp: 1_700_000_001,
        value: '7',
        tags: { host: 'b' },
      },
    ]);
    expect(c.received()).not.toContain('put:');
    expect(tsd.connections).toHaveLength(1);
    expect(tsd.connections[0]?.remoteAddress).toBe('127.0.0.1');
  });

  it('reject: answers `put: illegal argument:` for chosen lines and keeps the others', async () => {
    const tsd = await fake({
      protocol: 'telnet',
      mode: { kind: 'reject', reject: (input) => (input.index % 2 === 1 ? 'value is odd' : undefined) },
    });
    const c = await telnet(tsd);
    c.socket.write('put a 1 0 h=x\nput a 2 1 h=x\nput a 3 2 h=x\nput a 4 3 h=x\n');
    await tsd.waitForLines(4);
    await c.waitForText('put: illegal argument: value is odd\nput: illegal argument: value is odd\n');
    expect(tsd.points.map((p) => p.timestamp)).toEqual([1, 3]);
    // Default: every point rejected.
    await tsd.setMode({ kind: 'reject' });
    c.socket.write('put a 5 4 h=x\n');
    await c.waitForText('put: illegal argument: fake TSD rejects every point\n');
    expect(tsd.points).toHaveLength(2);
  });

  it('refuse: connections are refused until the mode changes; open ones are destroyed', async () => {
    const tsd = await fake({ protocol: 'telnet' });
    const open = await telnet(tsd);
    const port = tsd.port;
    await tsd.setMode({ kind: 'refuse' });
    expect(await open.closed).toBeUndefined();
    await expect(telnet(tsd)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await tsd.setMode({ kind: 'accept' });
    expect(tsd.port).toBe(port);
    const again = await telnet(tsd);
    again.socket.write('put a 1 1 h=x\n');
    await tsd.waitForLines(1);
  });

  it('reset: accepts and destroys at once; nothing is read', async () => {
    const tsd = await fake({ protocol: 'telnet', mode: { kind: 'reset' } });
    const c = await telnet(tsd);
    c.socket.write('put a 1 1 h=x\n');
    await c.closed;
    expect(tsd.lines).toEqual([]);
    expect(tsd.connections).toEqual([]);
  });

  it('stall: never reads, so the client sees backpressure; reading resumes with accept', async () => {
    const tsd = await fake({ protocol: 'telnet', mode: { kind: 'stall' } });
    const c = await telnet(tsd);
    await tsd.waitForConnections(1);
    const line = `put sys.stall 1700000000 1 host=${'x'.repeat(200)}\n`;
    let written = 0;
    // Write until the socket reports a full buffer (bounded: the kernel buffers are finite).
    while (c.socket.write(line) && written < 1_000_000) written += 1;
    written += 1;
    expect(written).toBeLessThan(1_000_000);
    expect(tsd.bytesReceived).toBe(0);
    await tsd.setMode({ kind: 'accept' });
    await tsd.waitForLines(written, { timeoutMs: 20_000 });
    expect(tsd.lines.every((l) => l === line.trimEnd())).toBe(true);
  });

  it('stall on an open connection: stops reading it from then on', async () => {
    const tsd = await fake({ protocol: 'telnet' });
    const c = await telnet(tsd);
    c.socket.write('put a 1 1 h=x\n');
    await tsd.waitForLines(1);
    await tsd.setMode({ kind: 'stall' });
    let writes = 1;
    while (c.socket.write(`put a 2 1 h=${'y'.repeat(500)}\n`) && writes < 1_000_000) writes += 1;
    expect(writes).toBeLessThan(1_000_000);
    expect(tsd.bytesReceived).toBe('put a 1 1 h=x\n'.length);
    expect(tsd.lines).toHaveLength(1);
  });

  it('close-after lines: reads exactly N lines then cuts; `once` recovers afterwards', async () => {
    const tsd = await fake({ protocol: 'telnet', mode: { kind: 'close-after', lines: 3, once: true } });
    const c = await telnet(tsd);
    c.socket.write(Array.from({ length: 10 }, (_, i) => `put a ${i} 1 h=x\n`).join(''));
    await c.closed;
    expect(tsd.lines).toEqual(['put a 0 1 h=x', 'put a 1 1 h=x', 'put a 2 1 h=x']);
    expect(tsd.mode).toEqual({ kind: 'accept' });
    const next = await telnet(tsd);
    next.socket.write('put a 10 1 h=x\n');
    await tsd.waitForLines(4);
  });

  it('close-after bytes: keeps only the complete lines within the first N bytes, every connection', async () => {
    const tsd = await fake({ protocol: 'telnet', mode: { kind: 'close-after', bytes: 20 } });
    for (let round = 0; round < 2; round += 1) {
      const c = await telnet(tsd);
      c.socket.write('put a 1 1 h=x\nput b 2 2 h=y\n'); // 14 + 14 bytes
      await c.closed;
    }
    expect(tsd.lines).toEqual(['put a 1 1 h=x', 'put a 1 1 h=x']);
    expect(tsd.connections.map((conn) => conn.bytesReceived)).toEqual([20, 20]);
  });

  it('garbage: answers with bytes that are not OpenTSDB replies', async () => {
    const tsd = await fake({ protocol: 'telnet', mode: { kind: 'garbage', data: '\u0000\u0001junk' } });
    const c = await telnet(tsd);
    c.socket.write('put a 1 1 h=x\n');
    await c.waitForText('\u0000\u0001junk');
    await tsd.waitForLines(1);
  });

  it('slow: still receives everything, a chunk at a time', async () => {
    const tsd = await fake({ protocol: 'telnet', mode: { kind: 'slow', delayMs: 20 } });
    const c = await telnet(tsd);
    for (let i = 0; i < 5; i += 1) c.socket.write(`put a ${i} 1 h=x\n`);
    await tsd.waitForLines(5);
    expect(tsd.points).toHaveLength(5);
  });

  it('stop/start: refuses while stopped, comes back on the same port with its records', async () => {
    const tsd = await fake({ protocol: 'telnet' });
    const c = await telnet(tsd);
    c.socket.write('put a 1 1 h=x\n');
    await tsd.waitForLines(1);
    const port = tsd.port;
    await tsd.stop();
    expect(await c.closed).toBeUndefined();
    await expect(telnet(tsd)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await tsd.start();
    expect(tsd.port).toBe(port);
    const again = await telnet(tsd);
    again.socket.write('put a 2 1 h=x\n');
    await tsd.waitForLines(2);
    expect(tsd.connections).toHaveLength(2);
  });

  it('close() ends open connections and pending waits', async () => {
    const tsd = await fake({ protocol: 'telnet' });
    const c = await telnet(tsd);
    const waiting = expect(tsd.waitForLines(1)).rejects.toThrow(/closed while waiting for 1 lines/);
    await tsd.close();
    await c.closed;
    await waiting;
    await expect(tsd.start()).rejects.toThrow(/after close/);
  });

  it('waits are bounded and say what was missing', async () => {
    const tsd = await fake({ protocol: 'telnet' });
    await expect(tsd.waitForLines(1, { timeoutMs: 50 })).rejects.toThrow(/no 1 lines within 50 ms \(got 0/);
  });

  it('keeps records bounded, dropping the oldest and counting them', async () => {
    const tsd = await fake({ protocol: 'telnet', maxRecords: 10 });
    const c = await telnet(tsd);
    c.socket.write(Array.from({ length: 30 }, (_, i) => `put a ${i} 1 h=x\n`).join(''));
    await tsd.waitForLines(30);
    expect(tsd.lines.length).toBeLessThanOrEqual(11);
    expect(tsd.lines.at(-1)).toBe('put a 29 1 h=x');
    expect(tsd.droppedRecords).toBe(2 * (30 - tsd.lines.length));
    tsd.clear();
    expect([tsd.lines.length, tsd.points.length, tsd.droppedRecords]).toEqual([0, 0, 0]);
  });

  it('refuses a mode that only makes sense for HTTP', async () => {
    const tsd = await fake({ protocol: 'telnet' });
    await expect(tsd.setMode({ kind: 'status', status: 500 })).rejects.toThrow(TypeError);
  });

  it('TLS: speaks telnet over TLS and records the client certificate', async () => {
    const tsd = await fake({ protocol: 'telnet', tls: true });
    const withCert = await telnetTls(tsd, true);
    withCert.socket.write('put a 1 1 h=x\n');
    await tsd.waitForLines(1);
    const without = await telnetTls(tsd, false);
    without.socket.write('put a 2 1 h=x\n');
    await tsd.waitForLines(2);
    expect(tsd.connections.map((conn) => [conn.tls, conn.authorized, conn.peerCommonName])).toEqual([
      [true, true, TEST_CLIENT_COMMON_NAME],
      [true, false, undefined],
    ]);
  });

  it('TLS: a client that does not trust the test CA fails the handshake', async () => {
    const tsd = await fake({ protocol: 'telnet', tls: true });
    const socket = tlsConnect({ host: tsd.host, port: tsd.port });
    sockets.push(socket);
    await expect(
      new Promise((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY/) });
  });
});

describe('fake TSD, HTTP', () => {
  const post = (tsd: FakeTsd, body: string | Buffer, query = '', headers: Record<string, string> = {}) =>
    simpleRequest(`${tsd.putUrl}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  it('accept: 204 without a body; records the request, headers and points', async () => {
    const tsd = await fake({ protocol: 'http' });
    const res = await post(tsd, putBody(2), '', { authorization: 'Basic dTpw' });
    expect(res.status).toBe(204);
    expect(res.body).toBe('');
    expect(tsd.requests).toHaveLength(1);
    expect(tsd.bytesReceived).toBeGreaterThan(putBody(2).length);
    const [req] = tsd.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/api/put', query: {}, status: 204 });
    expect(req?.headers.authorization).toBe('Basic dTpw');
    expect(req?.body).toEqual(JSON.parse(putBody(2)));
    expect(tsd.points.map((p) => [p.metric, p.timestamp, p.value, p.tags])).toEqual([
      ['sys.cpu', 1_700_000_000, 0, { host: 'a' }],
      ['sys.cpu', 1_700_000_001, 1, { host: 'a' }],
    ]);
  });

  it('accept: ?details and ?summary answer 200 with counts, as OpenTSDB does', async () => {
    const tsd = await fake({ protocol: 'http' });
    const details = await post(tsd, putBody(3), '?details');
    expect(details.status).toBe(200);
    expect(JSON.parse(details.body)).toEqual({ errors: [], failed: 0, success: 3 });
    const summary = await post(tsd, putBody(1), '?summary');
    expect(JSON.parse(summary.body)).toEqual({ failed: 0, success: 1 });
  });

  it('decodes gzip bodies; records the raw bytes too', async () => {
    const tsd = await fake({ protocol: 'http' });
    const raw = gzipSync(putBody(2));
    const res = await post(tsd, raw, '', { 'content-encoding': 'gzip' });
    expect(res.status).toBe(204);
    expect(tsd.requests[0]?.rawBody.equals(raw)).toBe(true);
    expect(tsd.points).toHaveLength(2);
  });

  it('reject: 400 with per-point details for chosen points; the rest are accepted', async () => {
    const tsd = await fake({
      protocol: 'http',
      mode: {
        kind: 'reject',
        reject: (input) => (input.index === 1 ? 'Unable to parse value to a number' : undefined),
      },
    });
    const res = await post(tsd, putBody(3), '?details');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({
      errors: [{ datapoint: JSON.parse(putBody(3))[1], error: 'Unable to parse value to a number' }],
      failed: 1,
      success: 2,
    });
    expect(tsd.points.map((p) => p.value)).toEqual([0, 2]);
    const plain = await post(tsd, putBody(3));
    expect(plain.status).toBe(400);
    expect(JSON.parse(plain.body)).toEqual({
      error: {
        code: 400,
        message: 'One or more data points had errors',
        details: 'Please see the TSD logs or append "details" to the put request',
      },
    });
  });

  it('status: answers 503 / 429 with Retry-After, records the request but no points', async () => {
    const tsd = await fake({ protocol: 'http', mode: { kind: 'status', status: 503 } });
    const res = await post(tsd, putBody(1));
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 503, message: 'fake TSD answers 503' } });
    await tsd.setMode({
      kind: 'status',
      status: 429,
      retryAfter: 7,
      body: 'slow down',
      contentType: 'text/plain',
    });
    const limited = await post(tsd, putBody(1));
    expect([limited.status, limited.headers['retry-after'], limited.body]).toEqual([429, '7', 'slow down']);
    expect(limited.headers['content-type']).toBe('text/plain');
    expect(tsd.requests.map((r) => r.status)).toEqual([503, 429]);
    expect(tsd.points).toEqual([]);
  });

  it('answers like OpenTSDB for other paths, methods and unparsable bodies', async () => {
    const tsd = await fake({ protocol: 'http' });
    expect((await simpleRequest(`${tsd.url}/api/query`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await simpleRequest(tsd.putUrl)).status).toBe(405);
    const bad = await post(tsd, '{"metric":');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.message).toBe('Unable to parse the given JSON');
    expect(tsd.requests.map((r) => r.status)).toEqual([404, 405, 400]);
    expect(tsd.requests[2]?.bodyError).toBeDefined();
  });

  it('slow: answers after the delay', async () => {
    const tsd = await fake({ protocol: 'http', mode: { kind: 'slow', delayMs: 300 } });
    const started = Date.now();
    const res = await post(tsd, putBody(1));
    expect(res.status).toBe(204);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('garbage: the reply is not HTTP', async () => {
    const tsd = await fake({ protocol: 'http', mode: { kind: 'garbage' } });
    await expect(post(tsd, putBody(1))).rejects.toMatchObject({ code: expect.stringMatching(/^HPE_/) });
  });

  it('close-after: cuts the connection mid-body without answering', async () => {
    const tsd = await fake({ protocol: 'http', mode: { kind: 'close-after', bytes: 10 } });
    const body = putBody(50);
    await expect(post(tsd, body)).rejects.toThrow(/socket hang up|ECONNRESET|EPIPE/);
    await tsd.waitForRequests(1);
    expect(tsd.requests[0]?.status).toBe(0);
    expect(tsd.requests[0]?.rawBody.length).toBeLessThanOrEqual(10);
    expect(tsd.points).toEqual([]);
  });

  it('stall: no answer while stalled; the same request is answered once the mode changes', async () => {
    const tsd = await fake({ protocol: 'http', mode: { kind: 'stall' } });
    const pending = post(tsd, putBody(1));
    await tsd.waitForConnections(1);
    expect(tsd.requests).toEqual([]);
    await tsd.setMode({ kind: 'accept' });
    expect((await pending).status).toBe(204);
  });

  it('reset and refuse fail the request at connection level', async () => {
    const tsd = await fake({ protocol: 'http', mode: { kind: 'reset' } });
    await expect(post(tsd, putBody(1))).rejects.toThrow(/socket hang up|ECONNRESET|EPIPE/);
    await tsd.setMode({ kind: 'refuse' });
    await expect(post(tsd, putBody(1))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(tsd.requests).toEqual([]);
  });

  it('HTTPS: serves /api/put over TLS and records the client certificate', async () => {
    const tsd = await fake({ protocol: 'http', tls: true });
    const f = await tlsFixtures();
    expect(tsd.putUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/api\/put$/);
    const res = await simpleRequest(tsd.putUrl, {
      method: 'POST',
      body: putBody(1),
      tls: { ca: f.ca.pem, cert: f.clientCert.pem, key: f.clientKey.pem },
    });
    expect(res.status).toBe(204);
    expect(tsd.connections[0]).toMatchObject({
      tls: true,
      authorized: true,
      peerCommonName: TEST_CLIENT_COMMON_NAME,
    });
  });

  it('HTTPS with enforced mutual TLS: a client without a certificate is turned away', async () => {
    const f = await tlsFixtures();
    const tsd = await fake({
      protocol: 'http',
      tls: { cert: f.serverCert.pem, key: f.serverKey.pem, ca: f.ca.pem, requestCert: true },
    });
    await expect(
      simpleRequest(tsd.putUrl, { method: 'POST', body: putBody(1), tls: { ca: f.ca.pem } }),
    ).rejects.toThrow();
    const untrusted = simpleRequest(tsd.putUrl, {
      method: 'POST',
      body: putBody(1),
      tls: { ca: f.ca.pem, cert: f.untrustedClientCert.pem, key: f.untrustedClientKey.pem },
    });
    await expect(untrusted).rejects.toThrow();
    expect(tsd.requests).toEqual([]);
  });
});
