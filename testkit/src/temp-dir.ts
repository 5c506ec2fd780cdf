import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerExitCleanup } from './exit-cleanup.js';

export interface TempDir {
  /** Absolute path of the created directory. */
  readonly path: string;
  /** Removes the directory and everything in it. Idempotent. */
  remove(): Promise<void>;
}

/**
 * Creates a fresh directory under the OS temp dir. It is removed by `remove()`, or at process
 * exit if the test never got that far.
 */
export async function makeTempDir(prefix = 'otsdb-test-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  const unregister = registerExitCleanup(() => rmSync(path, { recursive: true, force: true }));
  let removed: Promise<void> | undefined;
  return {
    path,
    remove() {
      removed ??= rm(path, { recursive: true, force: true, maxRetries: 3 }).then(unregister);
      return removed;
    },
  };
}

/** Runs `fn` with a fresh temp dir that is removed afterwards, also when `fn` throws. */
export async function withTempDir<T>(fn: (path: string) => Promise<T>, prefix?: string): Promise<T> {
  const dir = await makeTempDir(prefix);
  try {
    return await fn(dir.path);
  } finally {
    await dir.remove();
  }
}
