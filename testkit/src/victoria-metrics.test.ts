import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { simpleRequest } from './http-request.js';
import {
  type ExportedPoint,
  parseExport,
  startVictoriaMetrics,
  type VictoriaMetrics,
} from './victoria-metrics.js';
import { waitFor } from './wait-for.js';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Opens a raw telnet connection; closed by the test's afterEach if the test does not. */
function rawTelnet(vm: VictoriaMetrics, sockets: Socket[]): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: vm.host, port: vm.telnetPort });
    sockets.push(socket);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with everything the server sent once it has closed the connection. */
function untilClosed(socket: Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('close', () => resolve(Buffer.concat(chunks)));
  });
}

describe('real VictoriaMetrics', () => {
  let vm: VictoriaMetrics;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    vm = await startVictoriaMetrics();
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
  });
  afterAll(async () => {
    await vm?.stop();
  });

  it('stores telnet put lines and reads them back exactly', async () => {
    const now = nowSeconds();
    await vm.putLines([
      `put tk.telnet.cpu ${now} 42 host=web01 cpu=0`,
      `put tk.telnet.cpu ${now + 1} -7.25 host=web01 cpu=0`,
      `put tk.telnet.cpu ${now} 0.5 cpu=1 host=web01`,
      `put tk.telnet.old 946684800 123456789012 dc=eu-west`,
      `put tk.telnet.notags ${now} 3`,
    ]);
    const points = await vm.waitForPoints('{__name__=~"tk\\\\.telnet\\\\..*"}', 5);
    expect(points).toEqual<ExportedPoint[]>([
      { metric: 'tk.telnet.cpu', tags: { cpu: '0', host: 'web01' }, timestamp: now * 1000, value: 42 },
      {
        metric: 'tk.telnet.cpu',
        tags: { cpu: '0', host: 'web01' },
        timestamp: (now + 1) * 1000,
        value: -7.25,
      },
      { metric: 'tk.telnet.cpu', tags: { cpu: '1', host: 'web01' }, timestamp: now * 1000, value: 0.5 },
      { metric: 'tk.telnet.notags', tags: {}, timestamp: now * 1000, value: 3 },
      {
        metric: 'tk.telnet.old',
        tags: { dc: 'eu-west' },
        timestamp: 946_684_800_000,
        value: 123_456_789_012,
      },
    ]);
  });

  it('stores HTTP /api/put JSON (seconds and milliseconds) and reads it back exactly', async () => {
    const now = nowSeconds();
    const res = await simpleRequest(vm.putUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { metric: 'tk.http.mem', timestamp: now, value: 1024, tags: { host: 'db1' } },
        { metric: 'tk.http.mem', timestamp: now * 1000 + 250, value: 1024.5, tags: { host: 'db1' } },
        { metric: 'tk.http.mem', timestamp: now * 1000 + 999, value: '17', tags: { host: 'db2' } },
      ]),
    });
    expect(res.status).toBe(204);
    expect(res.body).toBe('');
    // A single object (not an array) is accepted too, as OpenTSDB does.
    await vm.putPoints({ metric: 'tk.http.one', timestamp: 1_000_000_000, value: -1e-6, tags: { a: 'b' } });
    const points = await vm.waitForPoints('{__name__=~"tk\\\\.http\\\\..*"}', 4);
    expect(points).toEqual<ExportedPoint[]>([
      { metric: 'tk.http.mem', tags: { host: 'db1' }, timestamp: now * 1000, value: 1024 },
      { metric: 'tk.http.mem', tags: { host: 'db1' }, timestamp: now * 1000 + 250, value: 1024.5 },
      { metric: 'tk.http.mem', tags: { host: 'db2' }, timestamp: now * 1000 + 999, value: 17 },
      { metric: 'tk.http.one', tags: { a: 'b' }, timestamp: 1_000_000_000_000, value: -1e-6 },
    ]);
  });

  it('reads back values with up to 12 significant digits exactly; integers only up to 2^53', async () => {
    const now = nowSeconds();
    const exact = [0.1, 1.25, -98765.4321, 123456789012, 0.000123456789012, 1e20, 9007199254740991];
    await vm.putPoints(
      exact.map((value, i) => ({
        metric: 'tk.precision.exact',
        timestamp: now,
        value,
        tags: { i: String(i) },
      })),
    );
    // 2^53 + 1 has no float64 (JavaScript cannot even write it, so it goes as text); VM parses it
    // to 2^53. Long fractions are cut to fewer digits.
    await vm.putLines(`put tk.precision.lossy ${now} 9007199254740993 i=big`);
    await vm.putPoints([
      { metric: 'tk.precision.lossy', timestamp: now, value: Math.PI, tags: { i: 'pi' } },
      { metric: 'tk.precision.lossy', timestamp: now, value: 0.1 + 0.2, tags: { i: 'sum' } },
    ]);
    const got = await vm.waitForPoints('{__name__="tk.precision.exact"}', exact.length);
    expect(got.map((p) => [Number(p.tags.i), p.value]).sort((a, b) => a[0]! - b[0]!)).toEqual(
      exact.map((value, i) => [i, value]),
    );
    const lossy = await vm.waitForPoints('{__name__="tk.precision.lossy"}', 3);
    const byName = Object.fromEntries(lossy.map((p) => [p.tags.i, p.value]));
    expect(byName.big).toBe(2 ** 53);
    expect(byName.pi).not.toBe(Math.PI);
    expect(byName.pi).toBeCloseTo(Math.PI, 10);
    expect(byName.sum).toBe(0.3);
  });

  it('keeps both points when one series gets two values at the same timestamp', async () => {
    const now = nowSeconds();
    await vm.putLines([`put tk.dup ${now} 1 h=a`, `put tk.dup ${now} 2 h=a`]);
    const points = await vm.waitForPoints('{__name__="tk.dup"}', 2);
    expect(points.map((p) => [p.timestamp, p.value])).toEqual([
      [now * 1000, 1],
      [now * 1000, 2],
    ]);
  });

  describe('quirks of the Debian 1.79.5 build', () => {
    it('drops telnet lines with millisecond (13-digit) timestamps: it reads them as seconds', async () => {
      const now = nowSeconds();
      const socket = await rawTelnet(vm, sockets);
      const closed = untilClosed(socket);
      // The second line is a sentinel: once it is stored, the first has been processed too.
      socket.end(`put tk.quirk.ms ${now}123 1 h=a\nput tk.quirk.sentinel ${now} 1 h=a\n`);
      await closed;
      await vm.waitForPoints('{__name__="tk.quirk.sentinel"}', 1);
      expect(await vm.exportPoints('{__name__="tk.quirk.ms"}')).toEqual([]);
      expect(
        vm.logs().some((line) => line.includes('too big timestamp') && line.includes('tk.quirk.ms')),
      ).toBe(true);
      // The harness refuses such lines instead of losing them silently.
      await expect(vm.putLines(`put tk.quirk.ms ${now}123 1 h=a`)).rejects.toThrow(/seconds/);
    });

    it('truncates fractional telnet seconds and replaces timestamp 0 with the current time', async () => {
      const before = Date.now();
      const now = nowSeconds();
      await vm.putLines([`put tk.quirk.frac ${now}.5 1 h=a`, 'put tk.quirk.zero 0 1 h=a']);
      const [frac] = await vm.waitForPoints('{__name__="tk.quirk.frac"}', 1);
      const [zero] = await vm.waitForPoints('{__name__="tk.quirk.zero"}', 1);
      expect(frac?.timestamp).toBe(now * 1000);
      // VM's clock is a cached value refreshed once a second, so "now" may lag a little.
      expect(zero?.timestamp).toBeGreaterThanOrEqual(before - 2_000);
      expect(zero?.timestamp).toBeLessThanOrEqual(Date.now());
    });

    it('never replies on a telnet connection, not even to version or to a bad line', async () => {
      const socket = await rawTelnet(vm, sockets);
      const received = untilClosed(socket);
      socket.end('put tk.quirk.first 1000000000 1 h=a\nversion\nput tk.quirk.bad notatime x\nhelp\n');
      expect((await received).length).toBe(0);
    });

    it('treats a connection whose first line is not a put as HTTP: 400 and close', async () => {
      const socket = await rawTelnet(vm, sockets);
      const received = untilClosed(socket);
      socket.write('version\n');
      const reply = (await received).toString('latin1');
      expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    });

    it('holds back every later telnet connection while one connection has sent nothing', async () => {
      const now = nowSeconds();
      const idle = await rawTelnet(vm, sockets);
      const writer = await rawTelnet(vm, sockets);
      let writerClosed = false;
      const writerDone = untilClosed(writer).then(() => {
        writerClosed = true;
      });
      writer.end(`put tk.quirk.blocked ${now} 1 h=a\n`);
      // Proving a negative needs a bounded wait: nothing happens while the idle one stays open.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(writerClosed).toBe(false);
      expect(await vm.exportPoints('{__name__="tk.quirk.blocked"}')).toEqual([]);
      // Its first bytes release the queue (closing it would too).
      idle.write(`put tk.quirk.idle ${now} 1 h=a\n`);
      await writerDone;
      expect(await vm.waitForPoints('{__name__="tk.quirk.blocked"}', 1)).toHaveLength(1);
      expect(await vm.waitForPoints('{__name__="tk.quirk.idle"}', 1)).toHaveLength(1);
    });

    it('answers HTTP /api/put with 204 and no body, ignores ?details, drops bad points silently', async () => {
      const now = nowSeconds();
      const res = await simpleRequest(`${vm.putUrl}?details`, {
        method: 'POST',
        body: JSON.stringify([
          { metric: 'tk.quirk.good', timestamp: now, value: 1, tags: { h: 'a' } },
          { metric: 'tk.quirk.badvalue', timestamp: now, value: 'abc', tags: { h: 'a' } },
        ]),
      });
      expect(res.status).toBe(204);
      expect(res.body).toBe('');
      await vm.waitForPoints('{__name__="tk.quirk.good"}', 1);
      expect(await vm.exportPoints('{__name__="tk.quirk.badvalue"}')).toEqual([]);
    });

    it('answers 400 with a plain-text reason for unparsable bodies and other paths', async () => {
      const bad = await simpleRequest(vm.putUrl, { method: 'POST', body: 'not json' });
      expect(bad.status).toBe(400);
      expect(bad.headers['content-type']).toMatch(/^text\/plain/);
      expect(bad.body).toContain('cannot parse');
      const empty = await simpleRequest(vm.putUrl);
      expect(empty.status).toBe(400);
      const other = await simpleRequest(`http://${vm.host}:${vm.httpPutPort}/api/query`, {
        method: 'POST',
        body: '[]',
      });
      expect(other.status).toBe(400);
      expect(other.body).toContain('unexpected path');
    });

    it('also accepts HTTP /api/put on the telnet port', async () => {
      const now = nowSeconds();
      const res = await simpleRequest(`http://${vm.host}:${vm.telnetPort}/api/put`, {
        method: 'POST',
        body: JSON.stringify({
          metric: 'tk.quirk.http-on-telnet',
          timestamp: now,
          value: 5,
          tags: { h: 'a' },
        }),
      });
      expect(res.status).toBe(204);
      expect(await vm.waitForPoints('{__name__="tk.quirk.http-on-telnet"}', 1)).toHaveLength(1);
    });

    it('answers instant queries, about a second after the write', async () => {
      const now = nowSeconds();
      await vm.putPoints({ metric: 'tk.query', timestamp: now, value: 11, tags: { h: 'a' } });
      // Export sees the point at once; a short-range query waits for the per-day index.
      const answer = await waitFor(async () => {
        await vm.flush();
        const res = await vm.query('{__name__="tk.query"}', { time: now });
        return res.data?.result.length ? res : undefined;
      });
      expect(answer.status).toBe('success');
      expect(answer.data?.result).toEqual([{ metric: { __name__: 'tk.query', h: 'a' }, value: [now, '11'] }]);
    });
  });
});

describe('VictoriaMetrics restart and stop', () => {
  let vm: VictoriaMetrics | undefined;
  afterEach(async () => {
    await vm?.stop();
    vm = undefined;
  });

  it('restarts on the same ports and data dir, keeping data on a graceful restart', async () => {
    vm = await startVictoriaMetrics();
    const { telnetPort, httpPutPort, httpPort, dataDir } = vm;
    const now = nowSeconds();
    await vm.putLines(`put tk.restart.kept ${now} 1 h=a`);
    await vm.waitForPoints('{__name__="tk.restart.kept"}', 1);
    await vm.restart();
    expect([vm.telnetPort, vm.httpPutPort, vm.httpPort, vm.dataDir]).toEqual([
      telnetPort,
      httpPutPort,
      httpPort,
      dataDir,
    ]);
    expect(vm.running).toBe(true);
    expect(await vm.exportPoints('{__name__="tk.restart.kept"}')).toHaveLength(1);
    // Still takes writes over both protocols after the restart.
    await vm.putLines(`put tk.restart.after ${now} 1 h=a`);
    await vm.putPoints({ metric: 'tk.restart.after', timestamp: now, value: 2, tags: { h: 'b' } });
    expect(await vm.waitForPoints('{__name__="tk.restart.after"}', 2)).toHaveLength(2);
  });

  it('loses recent points on a crash (kill), even after a flush', async () => {
    vm = await startVictoriaMetrics();
    const now = nowSeconds();
    await vm.putLines(`put tk.restart.crash ${now} 1 h=a`);
    await vm.waitForPoints('{__name__="tk.restart.crash"}', 1);
    await vm.restart({ kill: true });
    expect(await vm.exportPoints('{__name__="tk.restart.crash"}')).toEqual([]);
  });

  it('stop() ends the process, frees the ports and removes the data dir', async () => {
    vm = await startVictoriaMetrics();
    const { dataDir, httpPort } = vm;
    await vm.stop();
    expect(vm.running).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
    await expect(
      simpleRequest(`http://127.0.0.1:${httpPort}/health`, { timeoutMs: 2_000 }),
    ).rejects.toThrow();
    await vm.stop(); // idempotent
    await expect(vm.restart()).rejects.toThrow(/stopped for good/);
  });

  it('fails to start with the reason when the binary cannot run', async () => {
    await expect(startVictoriaMetrics({ binary: '/nonexistent/victoria-metrics' })).rejects.toThrow(/ENOENT/);
  });
});

describe('parseExport', () => {
  it('turns bare NaN/Inf into numbers without touching label values that look alike', () => {
    const body =
      '{"metric":{"__name__":"m","t":"+Inf,NaN]"},"values":[+Inf,-Inf,NaN,1],"timestamps":[1,2,3,4]}\n' +
      '{"metric":{"__name__":"a","q":"x\\"Inf"},"values":[2],"timestamps":[5]}\n';
    expect(parseExport(body)).toEqual([
      { metric: 'a', tags: { q: 'x"Inf' }, values: [2], timestamps: [5] },
      {
        metric: 'm',
        tags: { t: '+Inf,NaN]' },
        values: [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 1],
        timestamps: [1, 2, 3, 4],
      },
    ]);
  });
});
