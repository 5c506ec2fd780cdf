import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FakeTsd, startFakeTsd } from '@otsdb/testkit/fake-tsd';
import { makeTempDir, type TempDir } from '@otsdb/testkit/temp-dir';
import { startVictoriaMetrics, type VictoriaMetrics } from '@otsdb/testkit/victoria-metrics';
import { waitFor } from '@otsdb/testkit/wait-for';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../src/__fixtures__/capture-logger.js';
import type { AgentConfigInput } from '../src/config.js';
import { type AgentHandle, startAgent } from '../src/main.js';

// The TSD going away and coming back: what the agent read is buffered (within its bounds) and
// delivered once the TSD is back; shutting down while the TSD is away ends within the deadline.

let tmp: TempDir;
let agent: AgentHandle | undefined;
let tsd: FakeTsd | undefined;
let vm: VictoriaMetrics | undefined;

beforeEach(async () => {
  tmp = await makeTempDir('agent-outage-');
});
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  await tsd?.close();
  tsd = undefined;
  await vm?.stop();
  vm = undefined;
  await tmp.remove();
});

const B = Math.floor(Date.now() / 1000) - 7200;

/** A long-running collector printing `seq <B+i> <i>` lines, `count` of them (0: forever), `perTick` per 10 ms. */
async function sequenceCollector(count = 0, perTick = 1): Promise<string> {
  const dir = join(tmp.path, 'collectors', '0');
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'seq.sh');
  const stop = count > 0 ? `[ $i -ge ${count} ] && exec sleep 1000` : ':';
  await writeFile(
    path,
    `#!/bin/sh\ni=0\nwhile :; do\n  j=0\n  while [ $j -lt ${perTick} ]; do\n    ${stop}\n    echo "seq $((${B}+i)) $i a=b"\n    i=$((i+1)); j=$((j+1))\n  done\n  sleep 0.01\ndone\n`,
  );
  await chmod(path, 0o755);
  return path;
}

async function start(port: number, extra: Partial<AgentConfigInput> = {}): Promise<AgentHandle> {
  const { logger } = captureLogger('warn');
  agent = await startAgent(
    {
      collectorDir: join(tmp.path, 'collectors'),
      host: '127.0.0.1',
      port,
      builtin: false,
      selfStats: false,
      dedupInterval: 0,
      telnetTimestamps: 'seconds',
      shutdownTimeout: 10,
      ...extra,
    },
    { logger, hostname: 'outage-host' },
  );
  return agent;
}

function seqCounters(handle: AgentHandle) {
  return handle.status().collectors.find((c) => c.name === 'seq.sh')?.counters;
}

/** The distinct sequence numbers the TSD got. */
function received(points: readonly { value: number | string }[]): Set<number> {
  return new Set(points.map((p) => Number(p.value)));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

describe('TSD outage', () => {
  it('buffers while the TSD is away and delivers everything once it is back', async () => {
    tsd = await startFakeTsd({ protocol: 'telnet' });
    await sequenceCollector();
    const handle = await start(tsd.port);
    await tsd.waitForPoints(50);

    await tsd.stop();
    const sentAtOutage = seqCounters(handle)!.sent;
    // Keep reading for a while with nowhere to send.
    await waitFor(() => seqCounters(handle)!.sent >= sentAtOutage + 100, { timeoutMs: 15_000 });
    expect(handle.status().sender.held).toBeGreaterThan(0);

    await tsd.start();
    const exit = await handle.stop();
    expect(exit.ok).toBe(true);
    const sent = seqCounters(handle)!.sent;
    expect(handle.status().sender.dropped).toBe(0);
    // Telnet has no acknowledgements: points written just before the cut are written again,
    // so duplicates are possible; every sequence number must be there.
    expect([...received(tsd.points)].sort((a, b) => a - b)).toEqual(range(sent));
  }, 60_000);

  it('drops beyond --max-buffer-points (newest first), counts the drops, delivers the rest', async () => {
    tsd = await startFakeTsd({ protocol: 'telnet' });
    await tsd.stop();
    await sequenceCollector(200, 20);
    const handle = await start(tsd.port, { maxBufferPoints: 50 });
    await waitFor(() => seqCounters(handle)?.received === 200, { timeoutMs: 15_000 });
    expect(seqCounters(handle)).toMatchObject({ sent: 50, dropped: 150 });
    expect(handle.status().reader.linesDropped).toBe(150);
    expect(handle.status().sender.dropped).toBe(150);

    await tsd.start();
    await tsd.waitForPoints(50, { timeoutMs: 20_000 });
    await handle.stop();
    expect([...received(tsd.points)].sort((a, b) => a - b)).toEqual(range(50));
  }, 60_000);

  it('bounds the buffer in bytes too', async () => {
    tsd = await startFakeTsd({ protocol: 'telnet' });
    await tsd.stop();
    await sequenceCollector(400, 40);
    // The bytes bound covers the queue; batches in flight are bounded by the batch size.
    const handle = await start(tsd.port, { maxBufferBytes: 4096, batchSize: 10 });
    await waitFor(() => seqCounters(handle)?.received === 400, { timeoutMs: 15_000 });
    const { sent, dropped } = seqCounters(handle)!;
    expect(sent + dropped).toBe(400);
    expect(dropped).toBeGreaterThan(0);
    // Each put line is about 45 bytes: about 90 fit in the queue, plus two batches in flight.
    expect(sent).toBeGreaterThan(60);
    expect(sent).toBeLessThanOrEqual(4096 / 40 + 2 * 10);

    await tsd.start();
    await tsd.waitForPoints(sent, { timeoutMs: 20_000 });
    await handle.stop();
    expect([...received(tsd.points)].sort((a, b) => a - b)).toEqual(range(sent));
  }, 60_000);

  it('shuts down within the deadline while the TSD is down, counting what it abandons', async () => {
    tsd = await startFakeTsd({ protocol: 'telnet' });
    await tsd.stop();
    await sequenceCollector(100, 50);
    const handle = await start(tsd.port, { shutdownTimeout: 2 });
    await waitFor(() => seqCounters(handle)?.received === 100, { timeoutMs: 15_000 });
    const started = Date.now();
    const exit = await handle.stop();
    const took = Date.now() - started;
    expect(exit.ok).toBe(false);
    expect(exit.abandoned).toBe(100);
    // Bounded: the deadline plus scheduling slack on a loaded machine, not the retry backoff.
    expect(took).toBeLessThan(8000);
  }, 30_000);

  it('survives a TSD restart mid-stream (real VictoriaMetrics): every point read is stored', async () => {
    vm = await startVictoriaMetrics();
    await sequenceCollector(0, 2);
    const handle = await start(vm.telnetPort);
    await waitFor(() => (seqCounters(handle)?.sent ?? 0) >= 200, { timeoutMs: 15_000 });
    await vm.restart();
    const afterRestart = seqCounters(handle)!.sent;
    await waitFor(() => (seqCounters(handle)?.sent ?? 0) >= afterRestart + 200, { timeoutMs: 15_000 });
    const exit = await handle.stop();
    expect(exit.ok).toBe(true);
    const sent = seqCounters(handle)!.sent;
    const stored = await vm.exportPoints('{__name__="seq"}');
    expect([...received(stored)].sort((a, b) => a - b)).toEqual(range(sent));
    expect(stored.every((p) => p.tags.host === 'outage-host' && p.tags.a === 'b')).toBe(true);
  }, 90_000);
});
