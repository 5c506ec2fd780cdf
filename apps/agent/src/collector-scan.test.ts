import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@otsdb/testkit/temp-dir';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cappedBackoff } from './backoff.js';
import { scanCollectorDir } from './collector-scan.js';

let tmp: TempDir;
beforeEach(async () => {
  tmp = await makeTempDir('agent-scan-');
});
afterEach(async () => {
  await tmp.remove();
});

async function script(rel: string, mode = 0o755): Promise<string> {
  const path = join(tmp.path, rel);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, '#!/bin/sh\nexit 0\n');
  await chmod(path, mode);
  return path;
}

describe('scanCollectorDir', () => {
  it('finds executables in numeric directories only, skipping dot files and non-executables', async () => {
    await script('0/long.sh');
    await script('15/every15.py');
    await script('15/.hidden');
    await script('15/notexec', 0o644);
    await script('lib/helper.py');
    await script('etc/config.py');
    await script('abc/x');
    await mkdir(join(tmp.path, '60', 'subdir'), { recursive: true });
    const scan = await scanCollectorDir(tmp.path);
    expect([...scan.files.values()].map((f) => [f.name, f.interval])).toEqual([
      ['long.sh', 0],
      ['every15.py', 15],
    ]);
    expect(scan.conflicts).toEqual([]);
    expect(scan.directories.map((d) => d.slice(tmp.path.length))).toEqual(['/0', '/15', '/60']);
  });

  it('follows symlinks (tcollector installs link enabled collectors) and ignores dangling ones', async () => {
    const target = await script('available/linked.sh');
    await mkdir(join(tmp.path, '30'));
    await symlink(target, join(tmp.path, '30', 'linked.sh'));
    await symlink(join(tmp.path, 'nowhere'), join(tmp.path, '30', 'dangling'));
    const scan = await scanCollectorDir(tmp.path);
    expect([...scan.files.keys()]).toEqual(['linked.sh']);
    expect(scan.files.get('linked.sh')?.interval).toBe(30);
  });

  it('reports a name in two intervals: the running one stays, otherwise the smallest interval wins', async () => {
    await script('10/dup');
    await script('0/dup');
    await script('5/dup');
    const first = await scanCollectorDir(tmp.path);
    expect(first.files.get('dup')?.interval).toBe(0);
    expect(first.conflicts).toEqual([{ name: 'dup', intervals: [0, 5, 10], chosen: 0 }]);
    const again = await scanCollectorDir(tmp.path, new Map([['dup', 10]]));
    expect(again.files.get('dup')?.interval).toBe(10);
    expect(again.conflicts[0]?.chosen).toBe(10);
  });

  it('rejects when the directory itself is missing', async () => {
    await expect(scanCollectorDir(join(tmp.path, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});

describe('cappedBackoff', () => {
  it('doubles from min up to max', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => cappedBackoff(n, 1000, 30_000))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
    expect(cappedBackoff(10_000, 1, 5)).toBe(5);
    expect(cappedBackoff(0, 10, 5)).toBe(5);
  });
});
