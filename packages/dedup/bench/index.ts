// Throughput of the dedup transform with 100k series and the heap it holds per series.
// Run with `pnpm bench` (node --expose-gc so heap figures are taken after a full GC).
import os from 'node:os';
import type { DataPoint } from '@otsdb/protocol';
import { seriesKey } from '@otsdb/protocol';
import { Dedup } from '../src/index.js';

const SERIES = 100_000;
const ROUNDS = 30; // 15 s apart: covers the 300 s forced resend once
const STEP_SECONDS = 15;
const CHANGE_RATE = 0.1; // share of series whose value changes in a round
const TRIALS = 5;
const BASE_TS = 1_700_000_000;

const gc = (globalThis as { gc?: () => void }).gc;

/** Deterministic so runs compare. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seriesIdentity(i: number): { metric: string; tags: Record<string, string> } {
  return {
    metric: `proc.net.bytes.m${i % 200}`,
    tags: { host: `web-${(i / 200) | 0}.example.com`, iface: `eth${i % 4}`, direction: i % 2 ? 'in' : 'out' },
  };
}

function buildWorkload(): { keys: string[]; rounds: DataPoint[][] } {
  const random = prng(42);
  const ids = Array.from({ length: SERIES }, (_, i) => seriesIdentity(i));
  const keys = ids.map((id) => seriesKey(id.metric, id.tags));
  const values = Array.from({ length: SERIES }, (_, i) => i * 3);
  const rounds: DataPoint[][] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const round: DataPoint[] = new Array(SERIES);
    for (let i = 0; i < SERIES; i++) {
      if (r > 0 && random() < CHANGE_RATE) values[i]! += 1 + ((random() * 10) | 0);
      const id = ids[i]!;
      round[i] = {
        metric: id.metric,
        timestamp: BASE_TS + r * STEP_SECONDS,
        value: values[i]!,
        tags: id.tags,
      };
    }
    rounds.push(round);
  }
  return { keys, rounds };
}

function throughput(
  keys: string[],
  rounds: DataPoint[][],
  keyed: boolean,
): { pointsPerSecond: number; outPerIn: number } {
  let emitted = 0;
  const emit = (_p: DataPoint): void => {
    emitted++;
  };
  const dedup = new Dedup({ clock: () => 0 });
  const first = rounds[0]!;
  for (let i = 0; i < SERIES; i++) dedup.pushKeyed(keys[i]!, first[i]!, emit);
  emitted = 0;
  const start = process.hrtime.bigint();
  for (let r = 1; r < ROUNDS; r++) {
    const round = rounds[r]!;
    if (keyed) {
      for (let i = 0; i < SERIES; i++) dedup.pushKeyed(keys[i]!, round[i]!, emit);
    } else {
      for (let i = 0; i < SERIES; i++) dedup.push(round[i]!, emit);
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const points = (ROUNDS - 1) * SERIES;
  return { pointsPerSecond: points / seconds, outPerIn: emitted / points };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function heapAfterGc(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

/** State only: the caller keeps its keys and points, so they are not counted. */
function stateBytesPerSeries(keys: string[], first: DataPoint[]): number {
  const before = heapAfterGc();
  const dedup = new Dedup({ clock: () => 0 });
  for (let i = 0; i < SERIES; i++) dedup.pushKeyed(keys[i]!, first[i]!, () => {});
  const after = heapAfterGc();
  if (dedup.size !== SERIES) throw new Error('workload did not create every series');
  return (after - before) / SERIES;
}

/**
 * Everything the transform keeps alive when the caller keeps nothing: fresh key strings and,
 * because every value repeats once, one held-back point (with its own tags object) per series.
 */
function retainedBytesPerSeries(): number {
  const before = heapAfterGc();
  const dedup = new Dedup({ clock: () => 0 });
  const noop = (): void => {};
  for (let r = 0; r < 2; r++) {
    for (let i = 0; i < SERIES; i++) {
      const id = seriesIdentity(i);
      const point: DataPoint = { metric: id.metric, timestamp: BASE_TS + r, value: i, tags: id.tags };
      dedup.push(point, noop);
    }
  }
  const after = heapAfterGc();
  if (dedup.stats().suppressed !== SERIES) throw new Error('expected one held-back point per series');
  return (after - before) / SERIES;
}

const cpus = os.cpus();
console.log(
  `machine: ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores, node ${process.version}, ${os.platform()} ${os.arch()}`,
);
console.log(
  `workload: ${SERIES} series x ${ROUNDS} rounds ${STEP_SECONDS}s apart, ${CHANGE_RATE * 100}% of values change per round, dedupInterval 300s`,
);

const { keys, rounds } = buildWorkload();
for (const keyed of [true, false]) {
  const runs: number[] = [];
  let ratio = 0;
  for (let t = 0; t < TRIALS; t++) {
    const result = throughput(keys, rounds, keyed);
    runs.push(result.pointsPerSecond);
    ratio = result.outPerIn;
  }
  const label = keyed ? 'pushKeyed (precomputed key)' : 'push (key built per point)';
  console.log(
    `${label}: median ${(median(runs) / 1e6).toFixed(1)} M points/s, best ${(Math.max(...runs) / 1e6).toFixed(1)} M points/s over ${TRIALS} trials (out/in ${ratio.toFixed(3)})`,
  );
}

if (gc) {
  console.log(
    `heap per series, state only (caller holds keys and points): ${stateBytesPerSeries(keys, rounds[0]!).toFixed(0)} bytes`,
  );
  console.log(
    `heap per series, incl. key string and one held-back point with its tags: ${retainedBytesPerSeries().toFixed(0)} bytes`,
  );
} else {
  console.log('heap per series: skipped, run node with --expose-gc (the bench script does)');
}
