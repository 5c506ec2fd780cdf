/**
 * Catchpoint bridge benchmark: pushes per second the bridge accepts.
 *
 *   npx tsx --conditions=@otsdb/source apps/catchpoint-bridge/bench/index.ts
 *   BENCH_SECONDS=10 BENCH_CONNECTIONS=32 ... (defaults 3 s, 16 connections)
 *
 * 1. pipeline: JSON text -> parse -> validate (zod) -> map -> validatePoint -> null sink, in process;
 * 2. webhook: real HTTP POSTs over loopback keep-alive connections from a load generator in a
 *    worker thread, into the webhook with a null sink. Goal: >= 10 000 pushes/s.
 * Figures depend on the machine; it is printed first.
 */
import { cpus, totalmem } from 'node:os';
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import { Ingest } from '../src/ingest.js';
import { createMapper } from '../src/mapping.js';
import { DEFAULT_MAPPING, type MappingOptions } from '../src/mapping-options.js';
import { NodeDirectory } from '../src/node-directory.js';
import { SecretMatcher } from '../src/secret.js';
import { BridgeMetrics } from '../src/self-metrics.js';
import { NullSink } from '../src/sink.js';
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

function makeIngest(mapping: MappingOptions, sink: NullSink): Ingest {
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

async function webhook(label: string, mapping: MappingOptions): Promise<number> {
  const sink = new NullSink();
  const metrics = new BridgeMetrics();
  const server = new WebhookServer({
    ingest: makeIngest(mapping, sink),
    metrics,
    path: '/catchpoint',
    secrets: new SecretMatcher([SECRET]),
    logger: pino({ level: 'silent' }),
  });
  const addr = await server.listen({ host: '127.0.0.1', port: 0, maxConnections: 10_000 });
  const bodies = ['web', 'dns', 'ping', 'transaction', 'error'].map((f) =>
    JSON.stringify(JSON.parse(fixtureText(f))),
  );
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
