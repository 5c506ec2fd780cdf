/**
 * The README's quick-start command, run as a newcomer would: a fresh clone of the committed
 * tree, the exact command from the README, then an OpenTSDB query through the proxy for this
 * host's CPU and memory series. Ctrl-C (SIGINT) must stop it cleanly, and a second run must
 * continue on the same data.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from './free-port.js';
import { simpleRequest } from './http-request.js';
import { makeTempDir, type TempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

const repo = execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim();

/** The first sh block under "## Quick start" in the README: the command a newcomer copies. */
function quickStartCommand(): string {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const section = readme.split(/^## Quick start\s*$/m)[1];
  const block = section?.match(/```sh\n([\s\S]*?)```/);
  if (!block?.[1]) throw new Error('README.md has no ```sh block under "## Quick start"');
  return block[1].trim();
}

interface Run {
  child: ChildProcess;
  output: string[];
  exit: Promise<number | null>;
}

let tmp: TempDir;
let clone: string;
let ports: number[];
let current: Run | undefined;

function start(): Run {
  const output: string[] = [];
  const child = spawn('bash', ['-c', quickStartCommand()], {
    cwd: clone,
    env: {
      ...process.env,
      OTSDB_STACK_HTTPS_PORT: String(ports[0]),
      OTSDB_STACK_TELNET_PORT: String(ports[1]),
      // Collect every 2 s so the test does not wait for the 15 s default.
      OTSDB_STACK_INTERVAL: '2',
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line !== '') output.push(line);
    if (output.length > 5000) output.splice(0, output.length - 5000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  current = { child, output, exit };
  return current;
}

async function stop(run: Run, signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return run.child.exitCode;
  // What a terminal's Ctrl-C does: the signal to the whole foreground process group.
  try {
    process.kill(-run.child.pid!, signal);
  } catch {
    // The group is already gone.
  }
  return run.exit;
}

/**
 * Ctrl-C also reaches npx and pnpm, which die of the signal as they do in a terminal; what
 * matters is that the launcher stopped both apps in order and exited, and the ports are free.
 */
async function expectCleanStop(run: Run): Promise<void> {
  await stop(run);
  const output = run.output.join('\n');
  expect(output).toContain('otsdb local stack stopped');
  expect(output).not.toContain('stopped after an error');
  const res = await simpleRequest(`https://127.0.0.1:${ports[0]}/health`, { timeoutMs: 2000 }).catch(
    (err: NodeJS.ErrnoException) => err,
  );
  expect(res).toBeInstanceOf(Error);
  expect((res as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
}

function credentials(run: Run): { user: string; password: string } {
  for (const line of run.output) {
    const m = /user \/ password\s+(\S+) \/ (\S+)/.exec(line);
    if (m) return { user: m[1]!, password: m[2]! };
  }
  throw new Error(`no credentials printed yet:\n${run.output.slice(-40).join('\n')}`);
}

async function query(run: Run, m: string): Promise<Array<{ metric: string; tags: object; dps: object }>> {
  const { user, password } = credentials(run);
  const ca = readFileSync(join(clone, 'data/tls/dev-cert.pem'), 'utf8');
  const res = await simpleRequest(
    `https://127.0.0.1:${ports[0]}/api/query?start=1h-ago&m=${encodeURIComponent(m)}`,
    {
      headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
      tls: { ca },
      timeoutMs: 10_000,
    },
  );
  if (res.status !== 200) return [];
  return JSON.parse(res.body);
}

async function waitForSeries(run: Run, m: string, timeoutMs: number) {
  let last: Awaited<ReturnType<typeof query>> = [];
  await waitFor(
    async () => {
      if (run.child.exitCode !== null)
        throw new Error(`quick start exited:\n${run.output.slice(-60).join('\n')}`);
      if (!run.output.some((l) => l.includes('local stack is running'))) return false;
      last = await query(run, m).catch(() => []);
      return last.some((s) => Object.keys(s.dps).length > 0);
    },
    { timeoutMs, intervalMs: 1000, description: `series ${m} through the proxy` },
  );
  return last;
}

describe('quick start (README command on a fresh clone)', () => {
  beforeAll(async () => {
    tmp = await makeTempDir('quick-start-');
    clone = join(tmp.path, 'otsdb');
    execFileSync('git', ['clone', '--quiet', repo, clone]);
    ports = await freePorts(2);
  });

  afterAll(async () => {
    // SIGTERM lets the launcher stop the apps it started in their own process groups.
    if (current) {
      const run = current;
      await Promise.race([stop(run, 'SIGTERM'), new Promise((r) => setTimeout(r, 20_000))]).catch(
        () => undefined,
      );
      if (run.child.exitCode === null && run.child.signalCode === null) {
        try {
          process.kill(-run.child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await tmp?.remove();
  });

  it("collects this host's CPU and memory through the TLS + auth proxy into the local store", async () => {
    const run = start();
    // Install (from the pnpm store) plus start-up, then the first collections.
    const cpu = await waitForSeries(run, 'sum:proc.stat.cpu{type=user}', 240_000);
    expect(cpu[0]?.metric).toBe('proc.stat.cpu');
    const mem = await waitForSeries(run, 'avg:proc.meminfo.memtotal', 60_000);
    expect(Object.values(mem[0]!.dps)[0]).toBeGreaterThan(0);

    // Wrong password: refused with OpenTSDB's envelope, and nothing leaks.
    const denied = await simpleRequest(
      `https://127.0.0.1:${ports[0]}/api/query?start=1h-ago&m=sum:proc.stat.cpu`,
      {
        headers: { authorization: `Basic ${Buffer.from('dev:wrong').toString('base64')}` },
        tls: { ca: readFileSync(join(clone, 'data/tls/dev-cert.pem'), 'utf8') },
      },
    );
    expect(denied.status).toBe(401);

    await expectCleanStop(run);
    // The password is printed once for the person at the terminal; the apps never log it.
    const password = credentials(run).password;
    const leaks = run.output.filter((l) => l.includes(password) && !/^\s+(user \/ password|curl) /.test(l));
    expect(leaks).toEqual([]);
  }, 400_000);

  it('runs again on the same data and keeps what the first run stored', async () => {
    const before = Date.now();
    const run = start();
    const mem = await waitForSeries(run, 'avg:proc.meminfo.memtotal', 180_000);
    const stamps = Object.keys(mem[0]!.dps).map(Number);
    // Points from the first run (older than this start) are still there.
    expect(Math.min(...stamps) * 1000).toBeLessThan(before);
    await expectCleanStop(run);
  }, 300_000);
});
