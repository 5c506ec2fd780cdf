import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { CredentialStore } from './credential-store.js';
import { type CredentialTable, parseCredentialsText } from './credentials-config.js';
import { AuthConfigError } from './errors.js';
import { type AuthLogger, silentLogger } from './logger.js';
import { createTableStore, type TableStoreOptions } from './table-store.js';

export interface FileStoreOptions extends TableStoreOptions {
  path: string;
  /** Reload when the file changes. Default true. */
  watch?: boolean;
  /** Quiet period after the last change event before reloading. Default 200 ms. */
  debounceMs?: number;
  logger?: AuthLogger;
  /** Called after every reload attempt, successful or not. */
  onReload?: (result: ReloadResult) => void;
}

export type ReloadResult =
  | { ok: true; changed: boolean; users: number; tokens: number }
  | { ok: false; errors: string[] };

export interface FileStoreStats {
  users: number;
  tokens: number;
  reloads: number;
  failedReloads: number;
  /** Errors of the last failed reload, until a reload succeeds. */
  lastErrors: readonly string[];
}

export interface FileStore extends CredentialStore {
  /** Re-reads the file (call it on SIGHUP). A bad file keeps the current credentials. */
  reload(): Promise<ReloadResult>;
  stats(): FileStoreStats;
}

/**
 * Credentials from a YAML/JSON file (schema in credentials-config.ts). The first load must
 * succeed (AuthConfigError otherwise); later reloads swap the whole table at once or keep the
 * old one. The directory is watched, not the file: editors and Kubernetes ConfigMaps replace
 * files by rename, which ends a watch on the old inode.
 */
export async function openFileStore(options: FileStoreOptions): Promise<FileStore> {
  const path = resolve(options.path);
  const logger = options.logger ?? silentLogger;
  const debounceMs = options.debounceMs ?? 200;

  const initial = await load(path);
  if (!initial.ok) {
    throw new AuthConfigError(
      'invalid_config',
      `cannot load credentials from ${path}:\n${initial.errors.join('\n')}`,
      initial.errors,
    );
  }
  let table: CredentialTable = initial.table;
  const stats = { reloads: 0, failedReloads: 0, lastErrors: [] as readonly string[] };
  const listeners = new Set<() => void>();
  let closed = false;
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const lookups = createTableStore(() => table, options);

  const reloadNow = async (): Promise<ReloadResult> => {
    const loaded = await load(path);
    let result: ReloadResult;
    if (!loaded.ok) {
      stats.failedReloads++;
      stats.lastErrors = loaded.errors;
      result = { ok: false, errors: loaded.errors };
      logger.warn(
        { path, errors: loaded.errors },
        'credentials file rejected; keeping the previous credentials',
      );
    } else {
      stats.reloads++;
      stats.lastErrors = [];
      const changed = loaded.table.digest !== table.digest;
      if (changed) table = loaded.table;
      result = { ok: true, changed, users: table.users.size, tokens: table.tokens.size };
      if (changed) {
        logger.info({ path, users: table.users.size, tokens: table.tokens.size }, 'credentials reloaded');
        for (const listener of listeners) listener();
      }
    }
    options.onReload?.(result);
    return result;
  };

  const store: FileStore = {
    verifyUser: lookups.verifyUser,
    verifyToken: lookups.verifyToken,
    reload() {
      // One reload at a time, in call order; each reads the file as it is when it runs.
      const run = queue.then(reloadNow);
      queue = run.catch(() => undefined);
      return run;
    },
    stats() {
      return { users: table.users.size, tokens: table.tokens.size, ...stats };
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      watcher?.close();
      listeners.clear();
      await queue;
    },
  };

  if (options.watch ?? true) {
    const schedule = () => {
      if (closed) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        if (!closed) void store.reload();
      }, debounceMs);
      timer.unref();
    };
    try {
      // Any event in the directory schedules a reload; an unchanged file is a no-op (digest).
      watcher = watch(dirname(path), { persistent: false }, schedule);
      watcher.on('error', (error) => {
        logger.warn(
          { path, err: error.message },
          'cannot watch the credentials directory; reload on SIGHUP only',
        );
        watcher?.close();
        watcher = undefined;
      });
    } catch (error) {
      logger.warn(
        { path, err: (error as Error).message },
        'cannot watch the credentials directory; reload on SIGHUP only',
      );
    }
  }
  return store;
}

async function load(
  path: string,
): Promise<{ ok: true; table: CredentialTable } | { ok: false; errors: string[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return { ok: false, errors: [`(file): cannot read ${path}: ${code}`] };
  }
  const parsed = parseCredentialsText(text);
  return parsed.ok ? parsed : { ok: false, errors: parsed.errors };
}
