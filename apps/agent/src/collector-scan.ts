import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * tcollector's directory contract: subdirectories named by a number hold collectors (0: long
 * running, N: run every N seconds); other names (`lib`, `etc`) are not collectors. A collector is
 * an executable regular file (symlinks followed) whose name does not start with a dot.
 */

export interface CollectorFile {
  name: string;
  /** Seconds; 0 for long-running collectors. */
  interval: number;
  path: string;
  mtimeMs: number;
  size: number;
}

export interface NameConflict {
  name: string;
  /** Every interval directory holding the name, ascending. */
  intervals: number[];
  /** The interval that runs. */
  chosen: number;
}

export interface ScanResult {
  files: Map<string, CollectorFile>;
  conflicts: NameConflict[];
  /** Interval directories found (watched for changes). */
  directories: string[];
}

/**
 * Lists the collectors in `dir`. When one name appears under several intervals, the one already
 * running (`current`) keeps running; otherwise the smallest interval wins. Either way the
 * conflict is returned so it can be reported.
 */
export async function scanCollectorDir(
  dir: string,
  current: ReadonlyMap<string, number> = new Map(),
): Promise<ScanResult> {
  const entries = await readdir(dir, { withFileTypes: true });
  const intervalDirs = entries
    .filter((e) => /^\d+$/.test(e.name))
    .map((e) => ({ interval: Number(e.name), path: join(dir, e.name) }))
    .sort((a, b) => a.interval - b.interval);

  const found = new Map<string, CollectorFile[]>();
  const directories: string[] = [];
  for (const { interval, path } of intervalDirs) {
    let names: string[];
    try {
      const info = await stat(path);
      if (!info.isDirectory()) continue;
      names = await readdir(path);
    } catch {
      continue; // removed between the two reads, or unreadable: the next scan sees it
    }
    directories.push(path);
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue;
      const file = join(path, name);
      try {
        const info = await stat(file);
        if (!info.isFile()) continue;
        await access(file, constants.X_OK);
        const list = found.get(name) ?? [];
        list.push({ name, interval, path: file, mtimeMs: info.mtimeMs, size: info.size });
        found.set(name, list);
      } catch {
        // not executable, a dangling symlink, or gone: not a collector
      }
    }
  }

  const files = new Map<string, CollectorFile>();
  const conflicts: NameConflict[] = [];
  for (const [name, list] of found) {
    if (list.length === 1) {
      files.set(name, list[0]!);
      continue;
    }
    const running = current.get(name);
    const chosen = list.find((f) => f.interval === running) ?? list[0]!;
    files.set(name, chosen);
    conflicts.push({ name, intervals: list.map((f) => f.interval), chosen: chosen.interval });
  }
  return { files, conflicts, directories };
}
