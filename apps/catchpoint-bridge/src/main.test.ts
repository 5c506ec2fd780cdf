import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAppProcesses, type AppProcess as Run, startAppProcess } from '@otsdb/testkit/app-process';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureText } from '../test/fixtures.js';

/** The real entry point in a child process, as an operator runs it. */
const appDir = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'main-test-secret-0123456789';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cp-main-'));
});
afterEach(async () => {
  killAppProcesses();
  await rm(dir, { recursive: true, force: true });
});

const run = (args: string[], env: Record<string, string> = {}): Run => startAppProcess(appDir, args, env);

async function until<T>(get: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('catchpoint-bridge command', () => {
  it('--help prints the usage and exits 0', async () => {
    const r = run(['--help']);
    expect(await r.exit).toBe(0);
    expect(r.stdout).toContain('Usage: catchpoint-bridge');
    expect(r.stdout).toContain('-f, --file-mode');
  });

  it('a configuration error exits 2 with path: message lines', async () => {
    const r = run(['--max-tags', 'lots', '-p', 'x']);
    expect(await r.exit).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'mapping.maxTags: expected a number',
      'output.tsd.port: expected a number',
    ]);
    const noSecret = run([]);
    expect(await noSecret.exit).toBe(2);
    expect(noSecret.stderr).toMatch(/^webhook\.secrets: a shared secret is required/);
  });

  it('serves pushes in file mode and drains on SIGTERM', async () => {
    const out = join(dir, 'points.txt');
    const r = run(['-f', '--output', out, '-l', '127.0.0.1:0', '--node-cache', '', '--path', '/cp'], {
      CATCHPOINT_BRIDGE_WEBHOOK_SECRET: SECRET,
    });
    const port = await until(() => /"port":(\d+)/.exec(r.stderr)?.[1], 'the listening log line');
    const res = await request(`http://127.0.0.1:${port}/cp/${SECRET}`, {
      method: 'POST',
      body: fixtureText('dns'),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ ok: true, points: 4, node: 'unknown' });
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe(
      'put catchpoint.run 1714651577042 1 asn=4837 city=unknown continent=unknown country=unknown node_id=312 region=unknown status=ok test_id=98765',
    );
    // The last self-metrics report went out before the file was closed.
    expect(lines.some((l) => l.startsWith('put catchpoint.bridge.accepted ') && l.includes(' 1 host='))).toBe(
      true,
    );
    expect(r.stderr).toContain('"drained":true');
    expect(r.stderr).not.toContain(SECRET);
  });

  it('--replay maps recorded pushes to the output and exits 1 when some were refused', async () => {
    const input = join(dir, 'pushes.ndjson');
    const out = join(dir, 'replayed.txt');
    await writeFile(
      input,
      `${JSON.stringify(JSON.parse(fixtureText('ping')))}\n${JSON.stringify({ TestId: 1, NodeId: 2 })}\n`,
    );
    const r = run([
      '--replay',
      input,
      '-f',
      '--output',
      out,
      '--node-cache',
      '',
      '--self-metrics-interval',
      '0',
      '--mode',
      'ns1',
    ]);
    expect(await r.exit).toBe(1);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(14);
    expect(lines[0]).toBe('put catchpoint.rtt.by_node.55501 1714651802500 36 nodeid=2050');
    expect(r.stderr).toContain('pushes.ndjson:2');
    expect(r.stderr).toContain('Summary: missing');
  });
});
