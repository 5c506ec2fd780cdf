import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, freePorts } from './free-port.js';
import { runProcess } from './run-process.js';
import { makeTempDir, withTempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

describe('runProcess', () => {
  it('collects stdout, stderr and the exit code; feeds stdin', async () => {
    const res = await runProcess(
      'node',
      [
        '-e',
        'process.stdin.on("data", d => process.stdout.write(d.toString().toUpperCase())); process.stderr.write("warn"); process.stdin.on("end", () => process.exit(3))',
      ],
      { input: 'hello' },
    );
    expect(res).toMatchObject({ exitCode: 3, stdout: 'HELLO', stderr: 'warn', timedOut: false });
  });

  it('kills the child (and its group) at the deadline', async () => {
    const res = await runProcess('bash', ['-c', 'sleep 30 & sleep 30'], { timeoutMs: 200 });
    expect(res.timedOut).toBe(true);
    expect(res.signal).toBe('SIGKILL');
  });

  it('bounds the output it keeps', async () => {
    const res = await runProcess('node', ['-e', 'process.stdout.write("x".repeat(5000))'], {
      maxOutputBytes: 1000,
    });
    expect(res.stdout).toHaveLength(1000);
    expect(res.droppedBytes).toBe(4000);
  });

  it('rejects when the program does not exist', async () => {
    await expect(runProcess('/nonexistent/program', [])).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('temp dirs', () => {
  it('makeTempDir creates a directory that remove() deletes, idempotently', async () => {
    const dir = await makeTempDir();
    await writeFile(join(dir.path, 'f'), 'x');
    expect(existsSync(dir.path)).toBe(true);
    await dir.remove();
    await dir.remove();
    expect(existsSync(dir.path)).toBe(false);
  });

  it('withTempDir removes the directory also when the callback throws', async () => {
    let seen = '';
    await expect(
      withTempDir(async (path) => {
        seen = path;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(seen).not.toBe('');
    expect(existsSync(seen)).toBe(false);
  });
});

describe('free ports and waitFor', () => {
  it('freePorts returns distinct bindable ports', async () => {
    const ports = await freePorts(3);
    expect(new Set(ports).size).toBe(3);
    expect(await freePort()).toBeGreaterThan(0);
  });

  it('waitFor returns the first truthy value and fails with the last error after the deadline', async () => {
    let n = 0;
    expect(await waitFor(() => (++n >= 3 ? n : undefined), { intervalMs: 1 })).toBe(3);
    await expect(
      waitFor(
        () => {
          throw new Error('not yet');
        },
        { timeoutMs: 30, intervalMs: 5, description: 'the thing' },
      ),
    ).rejects.toThrow(/the thing not met within 30 ms .*last error: not yet/);
  });
});
