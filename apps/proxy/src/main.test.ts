import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  killAppProcesses,
  makeTempDir,
  type AppProcess as Run,
  startAppProcess,
  type TempDir,
  waitFor,
} from '@otsdb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeCredentials } from './__fixtures__/credentials.js';
import { openTelnet } from './__fixtures__/telnet-client.js';

/** The real entry point in a child process, as an operator runs it. */
const appDir = fileURLToPath(new URL('..', import.meta.url));

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('proxy-main-');
});
afterEach(async () => {
  killAppProcesses();
  await dir.remove();
});

const run = (args: string[], env: Record<string, string> = {}): Run => startAppProcess(appDir, args, env);

/** The `listening` log line's ports. */
async function ports(r: Run): Promise<{ telnet?: number; http?: number }> {
  return waitFor(
    () => {
      for (const line of r.stderr.split('\n')) {
        if (!line.includes('opentsdb-proxy listening')) continue;
        return (JSON.parse(line) as { ports: { telnet?: number; http?: number } }).ports;
      }
      if (r.child.exitCode !== null) throw new Error(`exited: ${r.stderr}`);
      return undefined;
    },
    { timeoutMs: 30_000, description: 'the listening log line' },
  );
}

describe('opentsdb-proxy command', () => {
  it('prints help and version', async () => {
    const help = run(['--help']);
    expect(await help.exit).toBe(0);
    expect(help.stdout).toContain('Usage: opentsdb-proxy [--config proxy.yaml] [options]');
    expect(help.stdout).toContain('--forward');
    const version = run(['--version']);
    expect(await version.exit).toBe(0);
    expect(version.stdout).toMatch(/^opentsdb-proxy \d+\.\d+\.\d+\n$/);
  });

  it('refuses unknown flags and bad configuration with path: message', async () => {
    const flag = run(['--password', 'x']);
    expect(await flag.exit).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--password'");
    const config = join(dir.path, 'bad.yaml');
    await writeFile(config, 'limits:\n  maxConnections: -1\nbackend: { type: forward }\n');
    const bad = run(['--config', config]);
    expect(await bad.exit).toBe(2);
    expect(bad.stderr).toBe('opentsdb-proxy: invalid configuration\n  limits.maxConnections: must be >= 1\n');
    const check = run(['--check-config', '--backend', 'null', '--telnet-port', '0', '--http-port', '0']);
    expect(await check.exit).toBe(0);
    expect(check.stdout).toContain('configuration ok');
  });

  it('runs, forwards into the mock file, reloads credentials on SIGHUP, drains on SIGTERM', async () => {
    const credentials = await writeCredentials(dir.path, [{ name: 'alice', password: 'pw' }]);
    const points = join(dir.path, 'points.txt');
    const config = join(dir.path, 'proxy.yaml');
    await writeFile(
      config,
      [
        'listeners:',
        '  telnet: { port: 0 }',
        '  http: { port: 0 }',
        'auth:',
        '  mode: file',
        `  file: { path: ${JSON.stringify(credentials)}, watch: false }`,
        'backend:',
        '  type: mock',
        `  mock: { file: ${JSON.stringify(points)} }`,
      ].join('\n'),
    );
    const proxy = run(['--config', config], { OTSDB_PROXY_LOG_LEVEL: 'info' });
    const { telnet } = await ports(proxy);
    const first = await openTelnet(telnet!);
    first.write(
      'put cli.a 1700000000 1 host=a user=alice password=pw\nput cli.a 1700000001 2 host=a user=bob password=pw2\n',
    );
    expect(await first.end()).toEqual(['put: unauthorized: invalid credentials']);

    await writeCredentials(dir.path, [
      { name: 'alice', password: 'pw' },
      { name: 'bob', password: 'pw2' },
    ]);
    proxy.child.kill('SIGHUP');
    await waitFor(() => proxy.stderr.includes('SIGHUP: credentials reloaded'), { timeoutMs: 10_000 });
    const second = await openTelnet(telnet!);
    second.write('put cli.b 1700000002 3 host=b user=bob password=pw2\n');
    expect(await second.end()).toEqual([]);

    proxy.child.kill('SIGTERM');
    expect(await proxy.exit).toBe(0);
    expect(await readFile(points, 'utf8')).toBe(
      'put cli.a 1700000000 1 host=a\nput cli.b 1700000002 3 host=b\n',
    );
    expect(proxy.stderr).not.toContain('pw2');
  });
});
