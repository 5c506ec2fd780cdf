import { open, readFile, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Data directories this process has open: a second store on one directory would corrupt it. */
const openHere = new Set<string>();

export class DataDirLockedError extends Error {
  readonly code = 'locked';
}

export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * Takes `dataDir/LOCK` (created exclusively, holding our pid). A lock left by a process that
 * no longer exists (kill -9, power loss) is stale and taken over.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const dir = resolve(dataDir);
  if (openHere.has(dir))
    throw new DataDirLockedError(`data directory ${dir} is already open in this process`);
  const path = join(dir, 'LOCK');
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(String(process.pid));
        await handle.sync();
      } finally {
        await handle.close();
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new DataDirLockedError(`data directory ${dir} is in use by process ${holder}`);
      }
      await unlink(path).catch(() => undefined);
    }
  }
  openHere.add(dir);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      openHere.delete(dir);
      await unlink(path).catch(() => undefined);
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
