import { readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@otsdb/testkit/temp-dir';
import { waitFor } from '@otsdb/testkit/wait-for';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLogger, type LogRecord } from './__fixtures__/capture-logger.js';
import { CollectorRunner, type CollectorRunnerOptions, type CollectorStatus } from './collector-runner.js';

let tmp: TempDir;
let runner: CollectorRunner | undefined;

beforeEach(async () => {
  tmp = await makeTempDir('agent-runner-');
});
afterEach(async () => {
  await runner?.stop();
  runner = undefined;
  await tmp.remove();
});

async function collector(rel: string, body: string): Promise<string> {
  const path = join(tmp.path, rel);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

interface Harness {
  runner: CollectorRunner;
  lines: [string, string][];
  oversize: [string, number][];
  removed: string[];
  logs: LogRecord[];
  status(name: string): CollectorStatus | undefined;
  linesOf(name: string): string[];
}

async function start(overrides: Partial<CollectorRunnerOptions> = {}): Promise<Harness> {
  const { logger, records } = captureLogger();
  const lines: [string, string][] = [];
  const oversize: [string, number][] = [];
  const removed: string[] = [];
  const r = new CollectorRunner({
    dir: tmp.path,
    allowedInactivityMs: 60_000,
    removeInactiveCollectors: false,
    rescanMs: 60_000,
    killGraceMs: 500,
    respawnBackoffMinMs: 100,
    respawnBackoffMaxMs: 400,
    deadRetryMinMs: 200,
    deadRetryMaxMs: 800,
    logger,
    onLine: (name, line) => lines.push([name, line]),
    onOversize: (name, length) => oversize.push([name, length]),
    onRemoved: (name) => removed.push(name),
    ...overrides,
  });
  runner = r;
  await r.start();
  return {
    runner: r,
    lines,
    oversize,
    removed,
    logs: records,
    status: (name) => r.status().find((s) => s.name === name),
    linesOf: (name) => lines.filter(([n]) => n === name).map(([, l]) => l),
  };
}

/** Running (a zombie waiting for its reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('CollectorRunner', () => {
  it('streams stdout lines as they arrive (partial writes joined) and logs stderr with the name', async () => {
    await collector(
      '0/talker.sh',
      `printf 'm.one 1 1 a=b\\nm.tw'; sleep 0.2; printf 'o 1 2 a=b\\n'; echo "oops" >&2; exec sleep 1000`,
    );
    const h = await start();
    await waitFor(() => h.linesOf('talker.sh').length >= 2);
    expect(h.linesOf('talker.sh')).toEqual(['m.one 1 1 a=b', 'm.two 1 2 a=b']);
    await waitFor(() => h.logs.find((r) => r.msg === 'talker.sh: oops'));
    expect(h.status('talker.sh')).toMatchObject({ state: 'running', interval: 0, runs: 1 });
    expect(h.status('talker.sh')?.pid).toBeGreaterThan(0);
  });

  it('runs interval collectors on their turn, keeping them waiting in between', async () => {
    await collector('1/tick.sh', 'echo "tick 1 1 a=b"');
    const h = await start();
    await waitFor(() => h.linesOf('tick.sh').length >= 2, { timeoutMs: 8000 });
    const s = h.status('tick.sh')!;
    expect(s.runs).toBeGreaterThanOrEqual(2);
    expect(s.consecutiveFailures).toBe(0);
    await waitFor(() => h.status('tick.sh')?.state === 'waiting');
    expect(h.status('tick.sh')?.nextRunAt).toBeGreaterThan(Date.now() - 100);
  });

  it('does not respawn a collector that exits 13', async () => {
    await collector('0/once.sh', 'echo "once 1 1 a=b"; exit 13');
    await collector('0/witness.sh', 'echo "w 1 1 a=b"; exit 0');
    const h = await start();
    await waitFor(() => h.status('once.sh')?.state === 'disabled');
    // The witness respawns on the same backoff a respawned once.sh would use: after several of
    // its runs, once.sh must still have run exactly once.
    await waitFor(() => (h.status('witness.sh')?.runs ?? 0) >= 3, { timeoutMs: 8000 });
    expect(h.status('once.sh')).toMatchObject({ state: 'disabled', runs: 1, reason: 'exit 13' });
    expect(h.linesOf('once.sh')).toEqual(['once 1 1 a=b']);
  });

  it('marks a failing collector dead and retries it with growing delays', async () => {
    const log = join(tmp.path, 'starts.log');
    await collector('0/crash.sh', `date +%s%N >> ${log}; exit 3`);
    const h = await start({ deadRetryMinMs: 200, deadRetryMaxMs: 800 });
    await waitFor(async () => (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').length >= 4, {
      timeoutMs: 10_000,
    });
    const starts = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((ns) => Number(BigInt(ns) / 1_000_000n));
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    // Delays are 200, 400, 800 ms: each gap is at least its delay (upper bounds are not
    // asserted: the machine may be slow).
    expect(gaps[0]).toBeGreaterThanOrEqual(180);
    expect(gaps[1]).toBeGreaterThanOrEqual(380);
    expect(gaps[2]).toBeGreaterThanOrEqual(780);
    const s = h.status('crash.sh')!;
    expect(s.consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect(s.lastExit?.code).toBe(3);
    expect(h.logs.some((r) => /crash\.sh terminated .* status 3; marked dead/.test(r.msg))).toBe(true);
  });

  it('retries an interval collector that failed only after its backoff, on a later turn', async () => {
    await collector('1/fail.sh', 'exit 1');
    const h = await start({ deadRetryMinMs: 2500, deadRetryMaxMs: 5000 });
    await waitFor(() => h.status('fail.sh')?.state === 'dead');
    const firstExit = h.status('fail.sh')!.lastExit!.at;
    await waitFor(() => (h.status('fail.sh')?.runs ?? 0) >= 2, { timeoutMs: 10_000 });
    const secondStart = h.status('fail.sh')!.startedAt!;
    expect(secondStart - firstExit).toBeGreaterThanOrEqual(2400);
  });

  it('respawns a long-running collector that exits 0, with capped backoff', async () => {
    await collector('0/short.sh', 'echo "s 1 1 a=b"');
    const h = await start({ respawnBackoffMinMs: 50, respawnBackoffMaxMs: 200 });
    await waitFor(() => (h.status('short.sh')?.runs ?? 0) >= 5, { timeoutMs: 10_000 });
    expect(h.linesOf('short.sh').length).toBeGreaterThanOrEqual(4);
    expect(h.status('short.sh')?.consecutiveFailures).toBeGreaterThanOrEqual(1);
  });

  it('restarts a long-running collector silent for the allowed inactivity time', async () => {
    await collector('0/silent.sh', 'exec sleep 1000');
    const h = await start({ allowedInactivityMs: 300 });
    await waitFor(() => (h.status('silent.sh')?.runs ?? 0) >= 2, { timeoutMs: 10_000 });
    expect(h.logs.some((r) => /terminating silent\.sh after .* of inactivity/.test(r.msg))).toBe(true);
  });

  it('disables a silent collector with removeInactiveCollectors', async () => {
    await collector('0/silent.sh', 'exec sleep 1000');
    const h = await start({ allowedInactivityMs: 300, removeInactiveCollectors: true });
    await waitFor(() => h.status('silent.sh')?.state === 'disabled', { timeoutMs: 10_000 });
    expect(h.status('silent.sh')).toMatchObject({ runs: 1, reason: 'inactive' });
  });

  it('kills an overstaying interval collector and its whole process group (SIGTERM, then SIGKILL)', async () => {
    const pidFile = join(tmp.path, 'grandchild.pid');
    // Ignores SIGTERM, and starts a grandchild that would outlive a kill of the shell alone.
    await collector('1/stuck.sh', `trap '' TERM; sleep 1000 & echo $! > ${pidFile}; wait; wait`);
    const h = await start({ killGraceMs: 300 });
    const grandchild = Number(
      // '' (file created, pid not written yet) is not an answer: keep polling.
      await waitFor(async () => (await readFile(pidFile, 'utf8').catch(() => '')).trim() || undefined),
    );
    expect(alive(grandchild)).toBe(true);
    await waitFor(
      () => h.logs.find((r) => /stuck\.sh is still running at its next turn; SIGTERM sent/.test(r.msg)),
      {
        timeoutMs: 8000,
      },
    );
    await waitFor(() => h.logs.find((r) => /stuck\.sh ignored SIGTERM; SIGKILL sent/.test(r.msg)), {
      timeoutMs: 8000,
    });
    await waitFor(() => !alive(grandchild), { timeoutMs: 8000, description: 'grandchild killed' });
    // Killed for overstaying is not a failure: it runs again at a later turn.
    await waitFor(() => (h.status('stuck.sh')?.runs ?? 0) >= 2, { timeoutMs: 8000 });
    expect(h.status('stuck.sh')?.state).not.toBe('dead');
  });

  it('rescans: starts new files, restarts changed long-running ones, stops removed ones', async () => {
    await collector('0/a.sh', 'echo "a 1 1 v=1"; exec sleep 1000');
    const h = await start();
    await waitFor(() => h.linesOf('a.sh').length === 1);
    const firstPid = h.status('a.sh')!.pid!;

    await collector('0/b.sh', 'echo "b 1 1 v=1"; exec sleep 1000');
    await h.runner.rescan();
    await waitFor(() => h.linesOf('b.sh').length === 1);

    await collector('0/a.sh', 'echo "a 1 1 v=2"; echo "extra line to change the size"; exec sleep 1000');
    await h.runner.rescan();
    await waitFor(() => h.linesOf('a.sh').includes('a 1 1 v=2'));
    expect(alive(firstPid)).toBe(false);

    const bPid = h.status('b.sh')!.pid!;
    await rm(join(tmp.path, '0', 'b.sh'));
    await h.runner.rescan();
    await waitFor(() => h.removed.includes('b.sh'));
    expect(h.status('b.sh')).toBeUndefined();
    await waitFor(() => !alive(bPid));
  });

  it('notices directory changes without waiting for the periodic rescan (fs.watch)', async () => {
    await mkdir(join(tmp.path, '0'));
    const h = await start({ rescanMs: 600_000 });
    await collector('0/late.sh', 'echo "late 1 1 v=1"; exec sleep 1000');
    await waitFor(() => h.linesOf('late.sh').length === 1, { timeoutMs: 8000 });
  });

  it('re-enables a disabled collector when its file changes', async () => {
    await collector('0/once.sh', 'echo "v1 1 1 a=b"; exit 13');
    const h = await start();
    await waitFor(() => h.status('once.sh')?.state === 'disabled');
    await collector('0/once.sh', 'echo "v2 1 1 a=b"; exec sleep 1000');
    await h.runner.rescan();
    await waitFor(() => h.linesOf('once.sh').includes('v2 1 1 a=b'));
    expect(h.status('once.sh')?.state).toBe('running');
  });

  it('reports a name present in two intervals once and runs only one', async () => {
    await collector('0/dup.sh', 'echo "zero 1 1 a=b"; exec sleep 1000');
    await collector('5/dup.sh', 'echo "five 1 1 a=b"');
    const h = await start();
    await waitFor(() => h.linesOf('dup.sh').length === 1);
    await h.runner.rescan();
    expect(h.linesOf('dup.sh')).toEqual(['zero 1 1 a=b']);
    expect(
      h.logs.filter((r) => /dup\.sh exists in intervals 0 and 5; only the one in 0 runs/.test(r.msg)),
    ).toHaveLength(1);
  });

  it('reads what a collector prints while shutting down, then resolves stop()', async () => {
    await collector(
      '0/graceful.sh',
      `trap 'echo "bye 1 1 a=b"; exit 0' TERM; echo "hi 1 1 a=b"; while :; do sleep 0.05; done`,
    );
    const h = await start();
    await waitFor(() => h.linesOf('graceful.sh').length === 1);
    const pid = h.status('graceful.sh')!.pid!;
    await h.runner.stop();
    expect(h.linesOf('graceful.sh')).toEqual(['hi 1 1 a=b', 'bye 1 1 a=b']);
    expect(h.status('graceful.sh')?.state).toBe('stopped');
    expect(alive(pid)).toBe(false);
  });

  it('never passes the credentials to collectors', async () => {
    await collector(
      '0/env.sh',
      'echo "user=[$OTSDB_USER] pass=[$OTSDB_PASSWORD] other=[$OTHER]"; exec sleep 1000',
    );
    // The default environment is the agent's, read when the runner is built.
    process.env.OTSDB_USER = 'u';
    process.env.OTSDB_PASSWORD = 'p';
    process.env.OTHER = 'kept';
    try {
      const h = await start();
      await waitFor(() => h.linesOf('env.sh').length === 1);
      expect(h.linesOf('env.sh')).toEqual(['user=[] pass=[] other=[kept]']);
    } finally {
      delete process.env.OTSDB_USER;
      delete process.env.OTSDB_PASSWORD;
      delete process.env.OTHER;
    }
  });

  it('counts a line longer than the read buffer as oversize instead of buffering it', async () => {
    await collector(
      '0/huge.sh',
      `head -c 70000 /dev/zero | tr '\\0' x; echo; echo "ok 1 1 a=b"; exec sleep 1000`,
    );
    const h = await start();
    await waitFor(() => h.linesOf('huge.sh').includes('ok 1 1 a=b'));
    expect(h.oversize.length).toBe(1);
    expect(h.linesOf('huge.sh')).toEqual(['ok 1 1 a=b']);
  });

  it('treats a collector that cannot be executed as dead', async () => {
    await collector('0/badshebang', '');
    await writeFile(join(tmp.path, '0', 'badshebang'), '#!/nonexistent/interpreter\n');
    const h = await start();
    await waitFor(() => h.status('badshebang')?.state === 'dead');
    expect(h.status('badshebang')?.consecutiveFailures).toBeGreaterThanOrEqual(1);
  });
});
