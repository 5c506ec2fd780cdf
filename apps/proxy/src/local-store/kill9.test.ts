import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { batchPoints, KILL_T0_MS, POINTS_PER_BATCH } from './__fixtures__/kill-writer.js';
import { cleanup, harness, tempDir } from './__fixtures__/store-harness.js';

const children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await cleanup();
});

const writer = fileURLToPath(new URL('./__fixtures__/kill-writer.ts', import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Runs the writer until it has acknowledged `acks` batches, SIGKILLs it, returns the acked ids. */
function writeThenKill(dataDir: string, fsync: string, acks: number): Promise<Set<number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@otsdb/source', '--import', tsxLoader, writer, dataDir, fsync],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    const acked = new Set<number>();
    let stderr = '';
    let buffer = '';
    let killed = false;
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
        // Only complete lines count: a line cut by the kill was never fully acknowledged to us.
        if (line.startsWith('ACK ')) acked.add(Number(line.slice(4)));
        if (!killed && acked.size >= acks) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' && killed) resolve(acked);
      else reject(new Error(`writer exited early (code ${code}, signal ${signal}): ${stderr}`));
    });
  });
}

describe('kill -9 while writing', () => {
  it.each(['batch', 'none'])(
    'every acknowledged point survives (fsync %s)',
    async (fsync) => {
      const dir = await tempDir();
      const acked = await writeThenKill(dir, fsync, 150);
      expect(acked.size).toBeGreaterThanOrEqual(150);

      const h = await harness({ dataDir: dir, clock: () => KILL_T0_MS + 3_600_000 });
      const r = await h.get(
        '/api/query',
        `?start=${KILL_T0_MS}&end=${KILL_T0_MS + 3_600_000}&m=none:k9%7Bslot=*%7D&ms=true`,
      );
      expect(r.status, r.text).toBe(200);
      const stored = new Map<number, number>();
      for (const series of r.json as { dps: Record<string, number> }[]) {
        for (const [ts, v] of Object.entries(series.dps)) stored.set(Number(ts), v);
      }
      const missing: string[] = [];
      for (const id of acked) {
        for (const p of batchPoints(id)) {
          if (stored.get(p.timestamp) !== p.value) missing.push(`${id}@${p.timestamp}`);
        }
      }
      expect(missing).toEqual([]);
      // Whatever else is on disk is whole batches that were written but not yet acknowledged.
      expect(stored.size % POINTS_PER_BATCH).toBe(0);
      expect(stored.size).toBeGreaterThanOrEqual(acked.size * POINTS_PER_BATCH);
    },
    60_000,
  );
});
