/**
 * Catchpoint bridge benchmark: pushes per second the bridge accepts.
 *
 *   npx tsx --conditions=@otsdb/source apps/catchpoint-bridge/bench/index.ts
 *   BENCH_SECONDS=10 BENCH_CONNECTIONS=32 ... (defaults 3 s, 16 connections)
 *
 * 1. pipeline: JSON text -> parse -> validate (zod) -> map -> validatePoint -> null sink, in process;
 * 2. webhook: real HTTP POSTs over loopback keep-alive connections from a load generator in a
 *    worker thread, into the webhook with a null sink. Goal: >= 10 000 pushes/s.
 * 3. delivered: the same load into the webhook, sent by @otsdb/client over HTTP /api/put to a
 *    real VictoriaMetrics (Debian's, started here); pushes above the queue's high water mark get
 *    503 (counted), and the points are counted back out of VictoriaMetrics. BENCH_VM=0 skips it.
 * Figures depend on the machine; it is printed first.
 */
import { cpus, totalmem } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createClient } from '@otsdb/client';
import { startVictoriaMetrics } from '@otsdb/testkit';
import pino from 'pino';
import { ClientSink } from '../src/client-sink.js';
import { loadConfig } from '../src/config.js';
import { Ingest } from '../src/ingest.js';
import { createMapper } from '../src/mapping.js';
import { DEFAULT_MAPPING, type MappingOptions } from '../src/mapping-options.js';
import { NodeDirectory } from '../src/node-directory.js';
import { SecretMatcher } from '../src/secret.js';
import { BridgeMetrics } from '../src/self-metrics.js';
import { NullSink, type Sink } from '../src/sink.js';
import { clientOptions } from '../src/sinks.js';
import { formatCatchpointTimestamp } from '../src/timestamp.js';
import { WebhookServer } from '../src/webhook.js';
import { fixtureNodes, fixtureText } from '../test/fixtures.js';

const seconds = Number(process.env['BENCH_SECONDS'] ?? '3');
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? '16');
const SECRET = 'benchmark-secret-0123456789';

function machine(): string {
  const c = cpus();
  return `${c[0]?.model ?? 'unknown cpu'}, ${c.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${process.platform}/${process.arch}`;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function makeIngest(mapping: MappingOptions, sink: Sink): Ingest {
  return new Ingest({
    directory: new NodeDirectory(fixtureNodes()),
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
  const until = start + BigInt(Math.round(seconds * 1e9));
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
    `pipeline  ${label.padEnd(22)} ${fmt(n / s).padStart(10)} pushes/s  ${fmt((n * points) / s).padStart(11)} points/s  (${points} points/push)`,
  );
}

/**
 * 20 000 distinct pushes: the five recorded runs in turn, each with its own timestamp, so a
 * TSD stores every point as a new sample instead of overwriting the same few.
 */
const BODIES_BASE = Date.UTC(2024, 4, 2, 12, 0, 0, 0);

function loadBodies(): string[] {
  const runs = ['web', 'dns', 'ping', 'transaction', 'error'].map(
    (f) => JSON.parse(fixtureText(f)) as { Summary: { Timestamp: string } },
  );
  return Array.from({ length: 20_000 }, (_, i) => {
    const run = structuredClone(runs[i % runs.length]!);
    run.Summary.Timestamp = formatCatchpointTimestamp(BODIES_BASE + i * 10);
    return JSON.stringify(run);
  });
}

async function webhook(label: string, mapping: MappingOptions, sink: Sink = new NullSink()): Promise<number> {
  const metrics = new BridgeMetrics();
  const server = new WebhookServer({
    ingest: makeIngest(mapping, sink),
    metrics,
    path: '/catchpoint',
    secrets: new SecretMatcher([SECRET]),
    logger: pino({ level: 'silent' }),
  });
  const addr = await server.listen({ host: '127.0.0.1', port: 0, maxConnections: 10_000 });
  const bodies = loadBodies();
  const worker = new Worker(new URL('./load-worker.mjs', import.meta.url), {
    workerData: {
      url: `http://127.0.0.1:${addr.port}`,
      path: `/catchpoint/${SECRET}`,
      bodies,
      connections,
      inFlight: connections,
      durationMs: seconds * 1000,
    },
  });
  const result = await new Promise<{ sent: number; statuses: Record<string, number>; elapsedMs: number }>(
    (resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    },
  );
  await worker.terminate();
  await server.close(1000);
  const accepted = result.statuses['200'] ?? 0;
  const rate = accepted / (result.elapsedMs / 1000);
  const others = Object.entries(result.statuses).filter(([s]) => s !== '200');
  console.log(
    `webhook   ${label.padEnd(22)} ${fmt(rate).padStart(10)} pushes/s accepted (${connections} keep-alive connections, ${fmt(accepted)} in ${(result.elapsedMs / 1000).toFixed(1)} s${others.length ? `, other statuses ${JSON.stringify(Object.fromEntries(others))}` : ''})`,
  );
  return rate;
}

console.log(`machine   ${machine()}`);
console.log(
  `run       ${seconds} s per figure; null sink (points are mapped, validated and counted, not sent)`,
);
pipeline('default, web run', 'web', DEFAULT_MAPPING);
pipeline('default, ping run', 'ping', DEFAULT_MAPPING);
pipeline('ns1, web run', 'web', { ...DEFAULT_MAPPING, mode: 'ns1' });
const rate = await webhook('default, mixed runs', DEFAULT_MAPPING);
await webhook('ns1, mixed runs', { ...DEFAULT_MAPPING, mode: 'ns1' });
console.log(
  `goal      >= 10,000 pushes/s accepted over HTTP: ${rate >= 10_000 ? 'met' : 'NOT met'} on this machine`,
);

async function delivered(): Promise<void> {
  const vm = await startVictoriaMetrics();
  try {
    const loaded = await loadConfig({
      cli: {
        webhook: { allowUnauthenticated: true },
        output: { tsd: { host: vm.host, port: vm.httpPutPort, protocol: 'http' } },
      },
    });
    if (!loaded.ok) throw new Error(loaded.errors.join('; '));
    const client = await createClient(clientOptions(loaded.config));
    const sink = new ClientSink(client, { closeTimeoutMs: 120_000 });
    const started = Date.now();
    await webhook('default -> VictoriaMetrics', DEFAULT_MAPPING, sink);
    await sink.close();
    const elapsed = (Date.now() - started) / 1000;
    const stats = client.stats();
    await vm.flush();
    // The pushes span 200 s from BODIES_BASE; count every sample stored around it (the window is open on the left).
    const stored = await vm.query('sum(count_over_time({__name__=~"catchpoint[.].+"}[2h]))', {
      time: BODIES_BASE / 1000 + 3600,
    });
    const sample = stored.data?.result[0] as { value?: [number, string] } | undefined;
    console.log(
      `delivered ${'HTTP /api/put'.padEnd(22)} ${fmt(stats.sent / elapsed).padStart(10)} points/s sent until drained ` +
        `(${fmt(stats.sent)} sent, ${fmt(Number(sample?.value?.[1] ?? 0))} stored, ${stats.rejected} rejected, ` +
        `${stats.errors} transport errors, ${stats.abandoned} abandoned)`,
    );
  } finally {
    await vm.stop();
  }
}

if (process.env['BENCH_VM'] !== '0') await delivered();
