/**
 * Local store benchmark: ingest one day of 15-second data for 1,000 series (100 hosts x 10
 * CPUs) through write(), then time the reference query - sum grouped by host, downsampled
 * 1m-avg, over the whole day - and reopening (replaying the segments).
 *
 *   npx tsx --conditions=@otsdb/source apps/proxy/bench/query.ts [--hosts 100] [--runs 20]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { DataPoint } from '@otsdb/protocol';
import { openLocalStore } from '../src/local-store/index.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const HOSTS = arg('hosts', 100);
const CPUS = 10;
const STEP_S = 15;
const DAY_S = 86_400;
const RUNS = arg('runs', 20);
const BATCH = 10_000;
const IN_FLIGHT = 8;

const dayStart = 1_700_006_400; // a UTC midnight
const now = (dayStart + DAY_S) * 1000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'otsdb-local-store-bench-'));
  try {
    const store = await openLocalStore({ dataDir: dir, clock: () => now, retentionCheckIntervalMs: 0 });
    const series = HOSTS * CPUS;
    const steps = DAY_S / STEP_S;
    const total = series * steps;
    console.log(
      `dataset: ${series} series x ${steps} points = ${total.toLocaleString()} points (fsync: batch)`,
    );

    let batch: DataPoint[] = [];
    const inflight = new Set<Promise<void>>();
    const send = async (points: DataPoint[]): Promise<void> => {
      const r = await store.write(points);
      if (!r.ok) throw new Error(`write refused: ${r.status} ${r.message}`);
    };
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) {
      const ts = dayStart + s * STEP_S;
      for (let h = 0; h < HOSTS; h++) {
        for (let c = 0; c < CPUS; c++) {
          batch.push({
            metric: 'sys.cpu.user',
            timestamp: ts,
            value: Math.round(((h * 7 + c * 13 + s) % 100) * 100) / 100 + 0.5,
            tags: { host: `web${String(h).padStart(3, '0')}`, cpu: String(c) },
          });
        }
      }
      if (batch.length >= BATCH) {
        const p = send(batch).finally(() => inflight.delete(p));
        inflight.add(p);
        batch = [];
        if (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
      }
    }
    if (batch.length > 0) await send(batch);
    await Promise.all(inflight);
    const ingestMs = performance.now() - t0;
    const stats = store.stats();
    console.log(
      `ingest: ${Math.round(total / (ingestMs / 1000)).toLocaleString()} points/s (${(ingestMs / 1000).toFixed(1)} s, ${stats.records} records, ${stats.fsyncs} fsyncs, WAL ${(stats.walBytes / 2 ** 20).toFixed(0)} MiB, memory ${(stats.memoryBytes / 2 ** 20).toFixed(0)} MiB = ${(stats.memoryBytes / stats.points).toFixed(1)} bytes/point)`,
    );

    const body = new TextEncoder().encode(
      JSON.stringify({
        start: dayStart,
        end: dayStart + DAY_S - 1,
        queries: [
          {
            aggregator: 'sum',
            metric: 'sys.cpu.user',
            downsample: '1m-avg',
            filters: [{ type: 'wildcard', tagk: 'host', filter: '*', groupBy: true }],
          },
        ],
      }),
    );
    const times: number[] = [];
    const cpuTimes: number[] = [];
    let groups = 0;
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      const c0 = process.cpuUsage();
      const q0 = performance.now();
      const res = await store.handleRead({ method: 'POST', path: '/api/query', search: '', body });
      times.push(performance.now() - q0);
      const c = process.cpuUsage(c0);
      cpuTimes.push((c.user + c.system) / 1000);
      if (res.status !== 200) throw new Error(res.body);
      if (i === 0) {
        const parsed = JSON.parse(res.body) as { dps: Record<string, number> }[];
        groups = parsed.length;
        bytes = res.body.length;
        const dps = Object.keys(parsed[0]?.dps ?? {}).length;
        console.log(
          `query: sum by host of 1m-avg over the day -> ${groups} series x ${dps} points, ${bytes} bytes of JSON`,
        );
      }
    }
    times.sort((a, b) => a - b);
    cpuTimes.sort((a, b) => a - b);
    console.log(
      `query ms over ${RUNS} runs: p50 ${percentile(times, 50).toFixed(1)}  p95 ${percentile(times, 95).toFixed(1)}  min ${times[0]!.toFixed(1)}  (CPU ms p50 ${percentile(cpuTimes, 50).toFixed(1)}; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores)`,
    );
    await store.close();

    const r0 = performance.now();
    const reopened = await openLocalStore({ dataDir: dir, clock: () => now, retentionCheckIntervalMs: 0 });
    const reopenMs = performance.now() - r0;
    const rs = reopened.stats();
    console.log(
      `reopen (replay ${rs.recovery.records} records, ${rs.recovery.points.toLocaleString()} points): ${reopenMs.toFixed(0)} ms = ${Math.round(rs.recovery.points / (reopenMs / 1000)).toLocaleString()} points/s`,
    );
    await reopened.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
