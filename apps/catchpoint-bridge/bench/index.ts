/**
 * Catchpoint bridge benchmark: pushes per second the bridge accepts, and delivers.
 *
 *   cd apps/catchpoint-bridge && npx tsx --conditions=@otsdb/source bench/index.ts
 *   BENCH_SECONDS=10 BENCH_CONNECTIONS=32 BENCH_VM=0 BENCH_ONLY=delivered ...
 *   (defaults 5 s, 16 connections; BENCH_ONLY: pipeline | webhook | delivered;
 *   BENCH_TSD='{"batchSize":2000}' adds to the bridge's `output.tsd` configuration)
 *
 * 1. pipeline: JSON text -> parse -> validate -> map -> validatePoint -> null sink, in process;
 * 2. webhook: real HTTP POSTs over loopback keep-alive connections from a load generator in a
 *    child process, into the webhook with a null sink;
 * 3. delivered: the bridge as `main` builds it from its configuration (defaults, HTTP /api/put)
 *    in front of a real VictoriaMetrics (Debian's, started here on the same machine); the same
 *    load for BENCH_SECONDS, then the sender is flushed and every sample in the run's time range
 *    is counted back out of VictoriaMetrics. Pushes above the queue's high water mark get 503
 *    (counted). Goal: >= 10,000 pushes/s accepted and delivered (every point stored).
 *
 * Every push is a recorded fixture (web, DNS, ping, transaction, failed run) with one of 20
 * TestIds and one of 30 NodeIds, and its own millisecond `Summary.Timestamp`, so VictoriaMetrics
 * stores each point as a new sample. A one-second warm-up (earlier timestamps, not counted)
 * comes first. Figures depend on the machine: it is printed first, with the CPU time each
 * process used, since the load generator, the bridge and VictoriaMetrics share its cores.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { makeTempDir, startVictoriaMetrics, type TempDir } from '@otsdb/testkit';
import pino from 'pino';
import { Bridge } from '../src/bridge.js';
import { loadConfig } from '../src/config.js';
import { Ingest } from '../src/ingest.js';
import { createMapper } from '../src/mapping.js';
import { DEFAULT_MAPPING, type MappingOptions } from '../src/mapping-options.js';
import { NodeDirectory } from '../src/node-directory.js';
import type { NodeInfo } from '../src/node-info.js';
import { parsePush } from '../src/payload.js';
import { SecretMatcher } from '../src/secret.js';
import { BridgeMetrics } from '../src/self-metrics.js';
import { NullSink, type Sink } from '../src/sink.js';
import { createSink } from '../src/sinks.js';
import { WebhookServer } from '../src/webhook.js';
import { fixtureNodes, fixtureText } from '../test/fixtures.js';

const seconds = Number(process.env['BENCH_SECONDS'] ?? '5');
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? '16');
const only = process.env['BENCH_ONLY'];
const tsdSettings = JSON.parse(process.env['BENCH_TSD'] ?? '{}') as Record<string, unknown>;
const SECRET = 'benchmark-secret-0123456789';
const PATH = '/catchpoint';
const WARMUP_MS = 1000;

function machine(): string {
  const c = cpus();
  return `${c[0]?.model ?? 'unknown cpu'}, ${c.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${process.platform}/${process.arch}`;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

// ---------------------------------------------------------------------------------------------
// Pushes: five recorded runs x 20 tests x 30 nodes.

const FIXTURES = ['web', 'dns', 'ping', 'transaction', 'error'] as const;
const TESTS = 20;
const NODES = 30;

/** 30 nodes with the metadata of the three recorded ones, under their own ids. */
function benchNodes(): NodeInfo[] {
  const base = fixtureNodes();
  return Array.from({ length: NODES }, (_, k) => ({ ...base[k % base.length]!, id: 20_000 + k }));
}

interface Template {
  /** The push as sent, with a placeholder timestamp the load generator overwrites. */
  body: string;
  /** Character offset of the 17 timestamp digits in `body`. */
  tsOffset: number;
  /** Points the mapping makes of it: what VictoriaMetrics must store when it was answered 200. */
  points: number;
}

function templates(mapping: MappingOptions): Template[] {
  const directory = new NodeDirectory(benchNodes());
  const mapper = createMapper(mapping);
  const runs = FIXTURES.map((f) => JSON.parse(fixtureText(f)) as Record<string, unknown>);
  const out: Template[] = [];
  for (let i = 0; i < FIXTURES.length * TESTS * NODES; i++) {
    const f = i % FIXTURES.length;
    const run = runs[f]!;
    const test = Math.floor(i / FIXTURES.length) % TESTS;
    const node = Math.floor(i / (FIXTURES.length * TESTS)) % NODES;
    const body = JSON.stringify({ ...run, TestId: Number(run['TestId']) + test, NodeId: 20_000 + node });
    const at = body.indexOf('"Timestamp":"');
    if (at === -1 || body.indexOf('"Timestamp":"', at + 1) !== -1) throw new Error('fixture timestamp');
    const parsed = parsePush(JSON.parse(body));
    if (!parsed.ok) throw new Error(parsed.error.message);
    const points = mapper(parsed.push, directory.get(parsed.push.nodeId)).points.length;
    out.push({ body, tsOffset: at + '"Timestamp":"'.length, points });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The load generator, in a child process (bench/load-generator.mjs).

interface PhaseResult {
  phase: string;
  sent: number;
  statuses: Record<string, number>;
  /** Points in the pushes answered 200. */
  points: number;
  elapsedMs: number;
  cpuMs: number;
}

interface Phase {
  name: string;
  durationMs: number;
  /** Timestamp of the phase's first push; each further push is one millisecond later. */
  baseMs: number;
}

/**
 * Timestamps of measured pushes start here; warm-up pushes an hour earlier, the same day, so
 * the warm-up also creates the series and their per-day index entries in VictoriaMetrics (as
 * in a bridge that has run for a while) and the measured hour holds measured pushes only.
 */
const MEASURED_BASE = Date.UTC(2024, 4, 2, 12, 0, 0, 0);
const PHASES: Phase[] = [
  { name: 'warmup', durationMs: WARMUP_MS, baseMs: MEASURED_BASE - 3_600_000 },
  { name: 'measured', durationMs: seconds * 1000, baseMs: MEASURED_BASE },
];

/**
 * Starts the generator against `port`; `onPhase` sees each phase's start (the parent's clock)
 * and result. Resolves when the generator exited.
 */
function generate(
  port: number,
  mapping: MappingOptions,
  onPhase: (phase: string, event: 'start' | 'end', result?: PhaseResult, at?: number) => void,
): Promise<void> {
  const child: ChildProcess = fork(new URL('./load-generator.mjs', import.meta.url), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [],
  });
  return new Promise((resolve, reject) => {
    child.on('message', (m: PhaseResult | { start: string; at: number } | { error: string }) => {
      if ('error' in m) reject(new Error(`load generator: ${m.error}`));
      else if ('start' in m) onPhase(m.start, 'start', undefined, m.at);
      else onPhase(m.phase, 'end', m);
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`load generator exit ${code}`))));
    child.send({
      port,
      path: `${PATH}/${SECRET}`,
      templates: templates(mapping),
      connections,
      phases: PHASES,
    });
  });
}

function statusText(statuses: Record<string, number>): string {
  const others = Object.entries(statuses).filter(([s]) => s !== '200');
  return others.length ? `, other answers ${JSON.stringify(Object.fromEntries(others))}` : '';
}

// ---------------------------------------------------------------------------------------------
// 1. pipeline

function makeIngest(mapping: MappingOptions, sink: Sink, nodes: NodeInfo[] = fixtureNodes()): Ingest {
  return new Ingest({
    directory: new NodeDirectory(nodes),
    mapper: createMapper(mapping),
    sink,
    metrics: new BridgeMetrics(),
    protocol: { maxTags: mapping.maxTags },
  });
}

function pipeline(label: string, fixture: string, mapping: MappingOptions): void {
  const sink = new NullSink();
  const ingest = makeIngest(mapping, sink);
  const text = JSON.stringify(JSON.parse(fixtureText(fixture)));
  for (let i = 0; i < 2000; i++) ingest.accept(JSON.parse(text));
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(Math.min(seconds, 3) * 1e9));
  let n = 0;
  let now = start;
  while (now < until) {
    for (let i = 0; i < 500; i++) ingest.accept(JSON.parse(text));
    n += 500;
    now = process.hrtime.bigint();
  }
  const s = Number(now - start) / 1e9;
  const points = sink.points / sink.writes;
  console.log(
    `pipeline  ${label.padEnd(24)} ${fmt(n / s).padStart(10)} pushes/s  ${fmt((n * points) / s).padStart(11)} points/s  (${points} points/push)`,
  );
}

// ---------------------------------------------------------------------------------------------
// 2. webhook into a null sink

async function webhook(label: string, mapping: MappingOptions): Promise<number> {
  const metrics = new BridgeMetrics();
  const server = new WebhookServer({
    ingest: makeIngest(mapping, new NullSink(), benchNodes()),
    metrics,
    path: PATH,
    secrets: new SecretMatcher([SECRET]),
    logger: pino({ level: 'silent' }),
  });
  const addr = await server.listen({ host: '127.0.0.1', port: 0, maxConnections: 10_000 });
  let measured: PhaseResult | undefined;
  let cpuStart = process.cpuUsage();
  await generate(addr.port, mapping, (phase, event, result) => {
    if (phase !== 'measured') return;
    if (event === 'start') cpuStart = process.cpuUsage();
    else measured = result;
  });
  const cpu = process.cpuUsage(cpuStart);
  await server.close(1000);
  const r = measured!;
  const accepted = r.statuses['200'] ?? 0;
  const rate = accepted / (r.elapsedMs / 1000);
  console.log(
    `webhook   ${label.padEnd(24)} ${fmt(rate).padStart(10)} pushes/s accepted (${connections} keep-alive connections, ` +
      `${fmt(accepted)} in ${(r.elapsedMs / 1000).toFixed(1)} s${statusText(r.statuses)}; CPU: bridge ` +
      `${fmtCpu((cpu.user + cpu.system) / 1000, r.elapsedMs)} (${perRequest((cpu.user + cpu.system) / 1000, r.sent)}), ` +
      `load generator ${fmtCpu(r.cpuMs, r.elapsedMs)} (${perRequest(r.cpuMs, r.sent)}))`,
  );
  return rate;
}

/** Milliseconds since the epoch, sub-millisecond, comparable with the load generator's. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

/** CPU time per request (push) in microseconds. */
function perRequest(cpuMs: number, requests: number): string {
  return `${((cpuMs * 1000) / requests).toFixed(1)} µs/request`;
}

/** CPU time as a share of one core over `wallMs`. */
function fmtCpu(cpuMs: number, wallMs: number): string {
  return `${((100 * cpuMs) / wallMs).toFixed(0)}%`;
}

// ---------------------------------------------------------------------------------------------
// 3. delivered into VictoriaMetrics

/** utime + stime of a process in milliseconds (Linux /proc), or undefined elsewhere. */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5) (utime, stime), counted from the state field (3).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** Busy CPU time of the whole machine in milliseconds (Linux /proc/stat: user, nice, system, irq, softirq). */
function machineBusyMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    return ((f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) * 1000) / 100;
  } catch {
    return undefined;
  }
}

async function delivered(): Promise<{ accepted: number; delivered: number; lost: number }> {
  const vm = await startVictoriaMetrics();
  let dir: TempDir | undefined;
  let bridge: Bridge | undefined;
  try {
    dir = await makeTempDir('bridge-bench-');
    const cacheFile = join(dir.path, 'nodes.json');
    writeFileSync(
      cacheFile,
      JSON.stringify({ version: 1, fetchedAt: new Date().toISOString(), api: 'v1', nodes: benchNodes() }),
    );
    const loaded = await loadConfig({
      cli: {
        listen: { host: '127.0.0.1', port: 0 },
        webhook: { path: PATH, secrets: [SECRET], maxConnections: 10_000 },
        catchpoint: { api: 'none', cacheFile },
        selfMetrics: { intervalMs: 0 },
        output: { tsd: { ...tsdSettings, host: vm.host, port: vm.httpPutPort, protocol: 'http' } },
        shutdownTimeoutMs: 120_000,
      },
    });
    if (!loaded.ok) throw new Error(loaded.errors.join('; '));
    const config = loaded.config;
    const logger = pino({ level: 'warn' });
    const built = await createSink(config, logger);
    if (!built.ok) throw new Error(built.message);
    const sink = built.sink;
    const t = config.output.tsd;
    console.log(
      `sender    ${''.padEnd(24)} @otsdb/client, HTTP ${t.path}?details, batches of ${t.batchSize ?? '500 (its default)'}, ` +
        `queue ${fmt(t.maxQueue)} points; VictoriaMetrics started here; ${connections} keep-alive connections`,
    );
    bridge = new Bridge({ config, sink, logger });
    const addr = await bridge.start();
    const vmPid = vm.pid;

    let measured: PhaseResult | undefined;
    let startedAt = 0;
    let sampledAt = 0;
    let bridgeCpu = process.cpuUsage();
    let vmCpu = 0;
    let busy = 0;
    await generate(addr.port, config.mapping, (phase, event, result, at) => {
      if (phase !== 'measured') return;
      if (event === 'start') {
        startedAt = at!;
        sampledAt = now();
        bridgeCpu = process.cpuUsage();
        vmCpu = processCpuMs(vmPid) ?? 0;
        busy = machineBusyMs() ?? 0;
      } else measured = result;
    });
    const loadEnded = now();
    await sink.flush();
    const drainedAt = now();
    const c = process.cpuUsage(bridgeCpu);
    const bridgeCpuMs = (c.user + c.system) / 1000;
    const vmCpuMs = (processCpuMs(vmPid) ?? 0) - vmCpu;
    const busyMs = (machineBusyMs() ?? 0) - busy;
    await bridge.stop();
    bridge = undefined;

    await vm.flush();
    // Measured pushes carry MEASURED_BASE + n ms: count every sample in the hour from there
    // (the range of count_over_time is open on the left; warm-up pushes are an hour earlier).
    const q = await vm.query('sum(count_over_time({__name__=~"catchpoint[.].+"}[1h]))', {
      time: MEASURED_BASE / 1000 + 3600 - 0.001,
    });
    const stored = Number((q.data?.result[0] as { value?: [number, string] } | undefined)?.value?.[1] ?? 0);

    const r = measured!;
    const accepted = r.statuses['200'] ?? 0;
    const loadSeconds = r.elapsedMs / 1000;
    const totalMs = drainedAt - startedAt;
    const sampledMs = drainedAt - sampledAt;
    const pointsPerPush = r.points / accepted;
    const deliveredPushes = stored / pointsPerPush;
    const { '503': refused = 0, ...others } = r.statuses;
    console.log(
      `delivered ${'-> VictoriaMetrics'.padEnd(24)} ${fmt(accepted / loadSeconds).padStart(10)} pushes/s accepted ` +
        `(${fmt(accepted)} in ${loadSeconds.toFixed(1)} s, ${fmt(refused)} answered 503${statusText(others)})`,
    );
    console.log(
      `delivered ${''.padEnd(24)} ${fmt((stored * 1000) / totalMs).padStart(10)} points/s stored ` +
        `(${fmt(stored)} counted back of ${fmt(r.points)} accepted, ${(pointsPerPush).toFixed(2)} points/push; ` +
        `load ${loadSeconds.toFixed(1)} s + drain ${((drainedAt - loadEnded) / 1000).toFixed(1)} s)`,
    );
    console.log(
      `delivered ${''.padEnd(24)} ${fmt((deliveredPushes * 1000) / totalMs).padStart(10)} pushes/s delivered ` +
        `(points stored / points per push, over load + drain)`,
    );
    console.log(
      `cpu       ${''.padEnd(24)} bridge ${fmtCpu(bridgeCpuMs, sampledMs)} (${perRequest(bridgeCpuMs, r.sent)}), ` +
        `load generator ${fmtCpu(r.cpuMs, r.elapsedMs)} (${perRequest(r.cpuMs, r.sent)}), VictoriaMetrics ` +
        `${vmPid === undefined ? 'n/a' : `${fmtCpu(vmCpuMs, sampledMs)} (${perRequest(vmCpuMs, r.sent)})`}; ` +
        `whole machine ${fmtCpu(busyMs, sampledMs)} of ${cpus().length * 100}% (kernel network work and other jobs included)`,
    );
    return {
      accepted: accepted / loadSeconds,
      delivered: (deliveredPushes * 1000) / totalMs,
      lost: r.points - stored,
    };
  } finally {
    await bridge?.stop();
    await vm.stop();
    await dir?.remove();
  }
}

// ---------------------------------------------------------------------------------------------

console.log(`machine   ${machine()}`);
console.log(`run       ${seconds} s per figure, load average ${load()} at start`);
if (only === undefined || only === 'pipeline') {
  pipeline('default, web run', 'web', DEFAULT_MAPPING);
  pipeline('default, ping run', 'ping', DEFAULT_MAPPING);
  pipeline('ns1, web run', 'web', { ...DEFAULT_MAPPING, mode: 'ns1' });
}
if (only === undefined || only === 'webhook') {
  await webhook('default, null sink', DEFAULT_MAPPING);
  await webhook('ns1, null sink', { ...DEFAULT_MAPPING, mode: 'ns1' });
}
if ((only === undefined || only === 'delivered') && process.env['BENCH_VM'] !== '0') {
  const d = await delivered();
  const met = d.accepted >= 10_000 && d.delivered >= 10_000 && d.lost === 0;
  console.log(
    `goal      >= 10,000 pushes/s accepted and delivered, every point stored: ${met ? 'met' : 'NOT met'} ` +
      `(load average ${load()} at the end)`,
  );
}
