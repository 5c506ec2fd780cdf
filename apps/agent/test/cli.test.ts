import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from '@otsdb/testkit/run-process';
import { makeTempDir, type TempDir } from '@otsdb/testkit/temp-dir';
import { startVictoriaMetrics, type VictoriaMetrics } from '@otsdb/testkit/victoria-metrics';
import { waitFor } from '@otsdb/testkit/wait-for';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The command line as an operator runs it: a real process, flags, stdin/stdout, signals.

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const NODE_ARGS = ['--conditions=@otsdb/source', '--import', 'tsx', MAIN];

let tmp: TempDir;
let vm: VictoriaMetrics | undefined;
let child: ChildProcess | undefined;

beforeEach(async () => {
  tmp = await makeTempDir('agent-cli-');
});
afterEach(async () => {
  if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  await vm?.stop();
  vm = undefined;
  await tmp.remove();
});

/** The environment without agent settings or credentials that might be set where tests run. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('OTSDB_')) env[k] = v;
  }
  return env;
}

function agent(args: string[], input?: string) {
  return runProcess(process.execPath, [...NODE_ARGS, ...args], {
    env: cleanEnv(),
    timeoutMs: 30_000,
    ...(input !== undefined ? { input } : {}),
  });
}

describe('otsdb-agent command line', () => {
  it('--help prints every option and exits 0', async () => {
    const result = await agent(['--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('--collector-dir DIR');
    expect(result.stdout).toContain('--dedup-interval SEC');
    expect(result.stdout).toContain('OTSDB_USER');
  });

  it('exits 2 with path: message errors for bad flags, without echoing passwords', async () => {
    const result = await agent(['--port', 'x', '--http-password', 'hunter2', '--bogus']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('otsdb-agent: --port: "x" is not an integer');
    expect(result.stderr).toContain('otsdb-agent: --http-password: not supported');
    expect(result.stderr).toContain('otsdb-agent: --bogus: unknown option');
    expect(result.stderr).not.toContain('hunter2');
  });

  it('exits 1 naming the problem when the collector directory does not exist', async () => {
    const missing = join(tmp.path, 'nope');
    const result = await agent(['-c', missing, '--dry-run', '--no-builtin']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`cannot start: ENOENT: no such file or directory, scandir '${missing}'`);
  });

  it('--stdin --dry-run prints what it would send, dedups, flushes at EOF and exits 0', async () => {
    const input = [
      'sys.load 1700000000 1 cpu=0',
      'sys.load 1700000001 1 cpu=0',
      'sys.load 1700000002 1 cpu=0',
      'sys.load 1700000003 2 cpu=0',
      'this is garbage',
      'sys.mem\t1700000000   512 ',
      'sys.up 1700000000 1 cpu=0',
      'sys.up 1700000010 1 cpu=0',
    ].join('\n');
    const result = await agent(['--stdin', '--dry-run', '-t', 'dc=ams1', '--no-tcollector-stats'], input);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      'put sys.load 1700000000 1 cpu=0 dc=ams1',
      'put sys.load 1700000002 1 cpu=0 dc=ams1',
      'put sys.load 1700000003 2 cpu=0 dc=ams1',
      'put sys.mem 1700000000 512 dc=ams1',
      'put sys.up 1700000000 1 cpu=0 dc=ams1',
      // Held back by dedup, sent at EOF so the series' last value is not lost.
      'put sys.up 1700000010 1 cpu=0 dc=ams1',
    ]);
    expect(result.stderr).toContain('stdin sent an invalid line');
  });

  it('--stdin sends to a real TSD and exits once everything is delivered', async () => {
    vm = await startVictoriaMetrics();
    // In the past: VictoriaMetrics drops points stamped in the future.
    const base = Math.floor(Date.now() / 1000) - 3600;
    const lines = Array.from({ length: 500 }, (_, i) => `cli.stdin ${base + i} ${i} src=cli`);
    const result = await agent(
      [
        '--stdin',
        '-H',
        '127.0.0.1',
        '-p',
        String(vm.telnetPort),
        '--telnet-timestamps',
        'seconds',
        '-t',
        'host=cli-host',
      ],
      lines.join('\n') + '\n',
    );
    expect(result.exitCode).toBe(0);
    // VictoriaMetrics ingests telnet input asynchronously: poll until it has all of it.
    const stored = await vm.waitForPoints('{__name__="cli.stdin"}', 500, { timeoutMs: 20_000 });
    expect(stored).toHaveLength(500);
    expect(stored.map((p) => p.value)).toEqual(lines.map((_, i) => i));
    expect(stored[0]?.tags).toEqual({ src: 'cli', host: 'cli-host' });
  }, 60_000);

  it('on SIGTERM stops its collectors, prints what they still said, and exits 0', async () => {
    const dir = join(tmp.path, 'collectors', '0');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'graceful.sh'),
      `#!/bin/sh\ntrap 'echo "bye 1700000001 2 a=b"; exit 0' TERM\necho "hi 1700000000 1 a=b"\nwhile :; do sleep 0.05; done\n`,
    );
    await chmod(join(dir, 'graceful.sh'), 0o755);
    const proc = spawn(
      process.execPath,
      [
        ...NODE_ARGS,
        '-c',
        join(tmp.path, 'collectors'),
        '--dry-run',
        '--no-builtin',
        '--no-tcollector-stats',
        '-t',
        'host=h',
      ],
      { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    proc.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
    await waitFor(() => stdout.includes('put hi 1700000000 1 a=b host=h'), { timeoutMs: 20_000 });
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout.trim().split('\n')).toEqual([
      'put hi 1700000000 1 a=b host=h',
      'put bye 1700000001 2 a=b host=h',
    ]);
    expect(stderr).toContain('agent stopped');
  }, 60_000);
});
