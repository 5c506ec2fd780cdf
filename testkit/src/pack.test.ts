import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunProcessResult, runProcess } from './run-process.js';
import { makeTempDir, type TempDir } from './temp-dir.js';

// What users get from the registry: each publishable package is built, packed the way it would
// be published, installed together into an empty project with plain npm, and imported by Node
// without any of our source conditions. Slow (builds + registry install), so it runs once.

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PNPM = ['--yes', 'pnpm@10.34.8'];

interface Publishable {
  name: string;
  dir: string;
}

const publishable: Publishable[] = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => join(root, 'packages', entry.name))
  .flatMap((dir) => {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name: string;
        private?: boolean;
      };
      return pkg.private ? [] : [{ name: pkg.name, dir }];
    } catch {
      return [];
    }
  })
  .sort((a, b) => a.name.localeCompare(b.name));

/** Exports a package must have, beyond "at least one". Others are still being written. */
const knownExports: Record<string, string[]> = {
  '@otsdb/protocol': ['seriesKey'],
};

function describeRun(what: string, run: RunProcessResult): string {
  const tail = (text: string) => text.trim().split('\n').slice(-30).join('\n');
  return `${what} failed (exit ${run.exitCode}${run.timedOut ? ', timed out' : ''}):\n${tail(run.stdout)}\n${tail(run.stderr)}`;
}

async function mustRun(what: string, command: string, args: string[], cwd: string, timeoutMs: number) {
  const run = await runProcess(command, args, { cwd, timeoutMs });
  if (run.exitCode !== 0) throw new Error(describeRun(what, run));
  return run;
}

describe('published packages', () => {
  let tmp: TempDir;
  let consumer: string;
  const tarballs = new Map<string, string>();

  beforeAll(async () => {
    tmp = await makeTempDir('otsdb-pack-');
    const packDir = join(tmp.path, 'tarballs');
    consumer = join(tmp.path, 'consumer');
    await mkdir(packDir);
    await mkdir(consumer);

    // `name...` selects the package and what it depends on; pnpm runs them dependencies first.
    await mustRun(
      'build',
      'npx',
      [...PNPM, ...publishable.flatMap((p) => ['--filter', `${p.name}...`]), 'run', 'build'],
      root,
      120_000,
    );
    for (const p of publishable) {
      // pnpm (unlike npm) rewrites `workspace:^` dependencies to the real version range
      // (`^0.1.0`) in the packed package.json, which is what makes the tarballs installable.
      const run = await mustRun(
        `pack ${p.name}`,
        'npx',
        [...PNPM, 'pack', '--pack-destination', packDir],
        p.dir,
        60_000,
      );
      const tarball = run.stdout.trim().split('\n').pop()?.trim() ?? '';
      if (!tarball.endsWith('.tgz'))
        throw new Error(`pack ${p.name}: no tarball path in output:\n${run.stdout}`);
      tarballs.set(p.name, tarball);
    }

    await writeFile(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'otsdb-pack-consumer', private: true, type: 'module' }),
    );
    // All tarballs in one install: packages that depend on @otsdb/protocol get the local one
    // (it is not on the registry), third-party dependencies come from the npm registry.
    await mustRun(
      'npm install',
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs.values()],
      consumer,
      150_000,
    );
  }, 180_000);

  afterAll(async () => {
    await tmp?.remove();
  });

  it('finds the publishable packages', () => {
    expect(publishable.map((p) => p.name)).toEqual(
      expect.arrayContaining(['@otsdb/auth', '@otsdb/client', '@otsdb/dedup', '@otsdb/protocol']),
    );
  });

  describe.each(publishable)('$name', ({ name }) => {
    it('tarball holds dist, README.md and package.json, and no sources or tests', async () => {
      const tarball = tarballs.get(name)!;
      const list = await mustRun('tar -t', 'tar', ['-tzf', tarball], tmp.path, 30_000);
      const files = list.stdout.trim().split('\n');
      const required = [
        'package/dist/index.js',
        'package/dist/index.d.ts',
        'package/README.md',
        'package/package.json',
      ];
      expect(
        required.filter((f) => !files.includes(f)),
        'missing from the tarball',
      ).toEqual([]);
      expect(
        files.filter((f) => /\.test\.|(^|\/)src\/|__fixtures__/.test(f)),
        'sources or tests in the tarball',
      ).toEqual([]);
    });

    it('packed package.json has no workspace: ranges', async () => {
      const tarball = tarballs.get(name)!;
      const manifest = await mustRun(
        'tar -xO',
        'tar',
        ['-xzOf', tarball, 'package/package.json'],
        tmp.path,
        30_000,
      );
      expect(manifest.stdout).not.toContain('workspace:');
    });

    it('imports with plain Node from the installed tarball', async () => {
      const script = `const m = await import(${JSON.stringify(name)}); console.log(JSON.stringify(Object.keys(m)));`;
      const run = await mustRun(
        `import ${name}`,
        'node',
        ['--input-type=module', '-e', script],
        consumer,
        30_000,
      );
      const names = JSON.parse(run.stdout.trim()) as string[];
      expect(names.length, `${name} exports nothing`).toBeGreaterThan(0);
      expect(
        (knownExports[name] ?? []).filter((n) => !names.includes(n)),
        'missing exports',
      ).toEqual([]);
    });
  });
});
