/**
 * Benchmarks for @otsdb/client. Run: `pnpm --filter @otsdb/client bench`
 * (or `npx tsx --conditions=@otsdb/source packages/client/bench/index.ts`).
 * Set BENCH_QUICK=1 for a short smoke run. Prints figures and the machine; asserts nothing.
 *
 * 1. Cost of send() per call (validation + encoding + queueing), sender idle during the loop.
 * 2. Sustained points/s over telnet to a sink in a worker thread that counts newlines.
 * 3. Sustained points/s over HTTP to a node http server in a worker that parses the JSON arrays.
 * 4. Sustained points/s to a real VictoriaMetrics over telnet and HTTP (testkit harness).
 */
import { cpus, totalmem } from 'node:os';
import { Worker } from 'node:worker_threads';
import { startVictoriaMetrics } from '@otsdb/testkit/victoria-metrics';
import { Client, type ClientOptions } from '../src/index.js';

const QUICK = process.env.BENCH_QUICK === '1';
const BASE_TS = 1_700_000_000;

function machine(): string {
  const cpu = cpus();
  return `${cpu[0]?.model ?? 'unknown cpu'} x${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ${process.platform}/${process.arch}`;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// ---- sinks in worker threads, so counting does not steal the client's thread ---------------

const sinkSource = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const http = require('node:http');
let count = 0;
if (workerData.kind === 'telnet') {
  const server = net.createServer((socket) => {
    socket.on('data', (chunk) => {
      let n = 0;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
      count += n;
    });
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
} else {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const points = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      count += points.length;
      res.writeHead(204);
      res.end();
    });
  });
  server.keepAliveTimeout = 60000;
  server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
}
parentPort.on('message', (m) => { if (m === 'count') parentPort.postMessage({ count }); });
`;

interface Sink {
  port: number;
  count(): Promise<number>;
  close(): Promise<void>;
}

async function startSink(kind: 'telnet' | 'http'): Promise<Sink> {
  const worker = new Worker(sinkSource, { eval: true, workerData: { kind } });
  const port = await new Promise<number>((resolve) =>
    worker.once('message', (m: { port: number }) => resolve(m.port)),
  );
  return {
    port,
    count: () =>
      new Promise((resolve) => {
        worker.once('message', (m: { count: number }) => resolve(m.count));
        worker.postMessage('count');
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}

async function waitForCount(
  sink: { count(): Promise<number>; pollMs?: number },
  target: number,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  while ((seen = await sink.count()) < target) {
    if (Date.now() > deadline) throw new Error(`sink saw ${seen} of ${target} points within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, sink.pollMs ?? 2));
  }
}

// ---- 1. send() cost -------------------------------------------------------------------------

async function benchSendCost(): Promise<void> {
  const telnet = await startSink('telnet');
  const http = await startSink('http');
  const rounds = QUICK ? 3 : 10;
  const perRound = 200_000;
  const tags = { cpu: '0', dc: 'lon', role: 'web' };
  const cases: Array<[string, Sink, ClientOptions, (c: Client, i: number) => void]> = [
    [
      'telnet send(metric, value, 3 tags, {timestamp})',
      telnet,
      {},
      (c, i) => {
        c.send('sys.cpu.user', i, tags, { timestamp: BASE_TS + (i % 1000) });
      },
    ],
    [
      'telnet send(metric, value, 3 tags) (reads the clock)',
      telnet,
      {},
      (c, i) => {
        c.send('sys.cpu.user', i, tags);
      },
    ],
    [
      'telnet send(metric, float, 1 tag, {timestamp})',
      telnet,
      {},
      (c, i) => {
        c.send('proc.loadavg.1min', i * 0.25, { cpu: '0' }, { timestamp: BASE_TS });
      },
    ],
    [
      'telnet sendLine(put line)',
      telnet,
      {},
      (c, i) => {
        c.sendLine(
          i & 1
            ? 'put sys.cpu.user 1700000000 42.5 cpu=0 dc=lon'
            : 'put sys.cpu.user 1700000001 17 cpu=1 dc=lon',
        );
      },
    ],
    [
      'http send(metric, value, 3 tags, {timestamp})',
      http,
      { protocol: 'http', batchSize: 5000 },
      (c, i) => {
        c.send('sys.cpu.user', i, tags, { timestamp: BASE_TS + (i % 1000) });
      },
    ],
  ];
  console.log('\nsend() cost per call, sender idle during the timed loop (goal < 300 ns). CPU time (this');
  console.log('process, GC included) is less disturbed than wall time by other load on a shared machine.');
  for (const [name, sink, extra, call] of cases) {
    const c = new Client({
      hosts: [`127.0.0.1:${sink.port}`],
      hostTag: 'bench-host',
      maxQueue: perRound * 2,
      ...extra,
    });
    let bestWall = Number.POSITIVE_INFINITY;
    let bestCpu = Number.POSITIVE_INFINITY;
    for (let r = 0; r < rounds; r++) {
      const cpu = process.cpuUsage();
      const start = process.hrtime.bigint();
      for (let i = 0; i < perRound; i++) call(c, i);
      bestWall = Math.min(bestWall, Number(process.hrtime.bigint() - start) / perRound);
      const used = process.cpuUsage(cpu);
      bestCpu = Math.min(bestCpu, ((used.user + used.system) * 1000) / perRound);
      const flushed = await c.flush({ timeoutMs: 60_000 });
      if (!flushed.ok) throw new Error(`${name}: ${flushed.error.message}`);
    }
    const stats = c.stats();
    if (stats.invalid > 0 || stats.dropped > 0)
      throw new Error(`${name}: ${stats.invalid} invalid, ${stats.dropped} dropped`);
    await c.close({ timeoutMs: 1000 });
    const wall = bestWall.toFixed(0).padStart(5);
    const cpu = bestCpu.toFixed(0).padStart(5);
    console.log(
      `  ${name.padEnd(52)} ${wall} ns/call wall, ${cpu} ns CPU (best of ${rounds} x ${fmt(perRound)})`,
    );
  }
  await telnet.close();
  await http.close();
}

// ---- 2./3. sustained throughput to a local sink -----------------------------------------------

async function sustained(
  label: string,
  options: ClientOptions,
  target: { count(): Promise<number>; pollMs?: number } | undefined,
  total: number,
  metric = 'bench.sustained',
): Promise<number> {
  const c = new Client({ hostTag: 'bench-host', ...options });
  const tags = { cpu: '0', dc: 'lon', role: 'web' };
  const start = process.hrtime.bigint();
  let i = 0;
  // Feed as fast as the client takes points: fill to the high-water mark, then wait for drain.
  while (i < total) {
    while (i < total && c.writable) {
      c.send(metric, i, tags, { timestamp: BASE_TS + i });
      i++;
    }
    if (i < total) await new Promise<void>((resolve) => c.once('drain', resolve));
  }
  const flushed = await c.flush({ timeoutMs: 300_000 });
  if (!flushed.ok) throw new Error(`${label}: flush failed: ${flushed.error.message}`);
  if (target) await waitForCount(target, total);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const stats = c.stats();
  await c.close({ timeoutMs: 5000 });
  if (stats.dropped > 0 || stats.rejected > 0)
    throw new Error(`${label}: dropped ${stats.dropped}, rejected ${stats.rejected}`);
  const rate = total / seconds;
  console.log(
    `  ${label.padEnd(52)} ${fmt(rate).padStart(11)} points/s (${fmt(total)} in ${seconds.toFixed(2)} s)`,
  );
  return rate;
}

async function benchLocalSinks(): Promise<void> {
  const total = QUICK ? 300_000 : 3_000_000;
  console.log(
    '\nsustained throughput to a local sink (worker thread), until the sink has counted every point',
  );
  const telnet = await startSink('telnet');
  await sustained('telnet (batchSize 5000)', { hosts: [`127.0.0.1:${telnet.port}`] }, telnet, total);
  await telnet.close();
  const http = await startSink('http');
  const httpTotal = Math.floor(total / 3);
  await sustained(
    'http JSON (batchSize 5000, 4 connections)',
    { hosts: [`127.0.0.1:${http.port}`], protocol: 'http', batchSize: 5000 },
    http,
    httpTotal,
  );
  await sustained(
    'http JSON (default batchSize 500)',
    { hosts: [`127.0.0.1:${http.port}`], protocol: 'http' },
    { count: async () => Number.POSITIVE_INFINITY },
    httpTotal,
  );
  await http.close();
}

// ---- 4. real VictoriaMetrics ------------------------------------------------------------------

async function benchVictoriaMetrics(): Promise<void> {
  const total = QUICK ? 100_000 : 1_000_000;
  console.log(
    '\nsustained throughput to VictoriaMetrics 1.79 (testkit harness), until VM returns every point',
  );
  const vm = await startVictoriaMetrics();
  try {
    // Export until every point is readable: the figure includes VictoriaMetrics ingesting them.
    const count = (metric: string) => ({
      pollMs: 200,
      count: async () => {
        const series = await vm.export(`{__name__="${metric}"}`);
        return series.reduce((sum, one) => sum + one.values.length, 0);
      },
    });
    await sustained(
      'VictoriaMetrics telnet',
      { hosts: [`127.0.0.1:${vm.telnetPort}`] },
      count('bench_vm_telnet'),
      total,
      'bench_vm_telnet',
    );
    await sustained(
      'VictoriaMetrics http (batchSize 5000)',
      { hosts: [`127.0.0.1:${vm.httpPutPort}`], protocol: 'http', batchSize: 5000 },
      count('bench_vm_http'),
      total,
      'bench_vm_http',
    );
  } finally {
    await vm.stop();
  }
}

console.log(`@otsdb/client benchmarks${QUICK ? ' (quick)' : ''}\nmachine: ${machine()}`);
await benchSendCost();
await benchLocalSinks();
if (process.env.BENCH_SKIP_VM !== '1') await benchVictoriaMetrics();
