/**
 * Child process for the kill -9 test: writes deterministic batches to a local store with a few
 * writes in flight and prints "ACK <batch>" only after write() resolved. The parent SIGKILLs it
 * mid-stream and checks that every acknowledged batch survived.
 *
 *   node --conditions=@otsdb/source --import tsx kill-writer.ts <dataDir> <fsync>
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataPoint } from '@otsdb/protocol';
import { openLocalStore } from '../index.js';

export const KILL_T0_MS = 1_700_002_800_000;
export const POINTS_PER_BATCH = 20;

export function batchPoints(batch: number): DataPoint[] {
  return Array.from({ length: POINTS_PER_BATCH }, (_, j) => ({
    metric: 'k9',
    timestamp: KILL_T0_MS + batch * POINTS_PER_BATCH + j,
    value: batch * 100 + j,
    tags: { slot: String(batch % 5) },
  }));
}

async function main(): Promise<void> {
  const [dataDir, fsync] = process.argv.slice(2);
  const store = await openLocalStore({
    dataDir: dataDir!,
    fsync: fsync as 'always' | 'batch' | 'none',
    clock: () => KILL_T0_MS + 3_600_000,
    retentionCheckIntervalMs: 0,
  });
  process.stdout.write('READY\n');
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const id = next++;
      const r = await store.write(batchPoints(id));
      if (!r.ok) {
        process.stderr.write(`write ${id} refused: ${r.message}\n`);
        process.exit(1);
      }
      process.stdout.write(`ACK ${id}\n`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

// Run only as a program, not when the test imports batchPoints from here.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((e: Error) => {
    process.stderr.write(`${e.stack}\n`);
    process.exit(1);
  });
}
