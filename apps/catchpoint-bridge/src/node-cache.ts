import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { NodeInfo } from './node-info.js';

/**
 * The last good node list on disk, so a restart while Catchpoint's API is down (or the
 * credentials expired) still tags points. Written atomically: a new file beside the old one,
 * flushed, then renamed over it, so a crash mid-write never leaves a truncated cache.
 */
export interface NodeCache {
  version: 1;
  /** ISO 8601, when the list was fetched from the API. */
  fetchedAt: string;
  api: 'v1' | 'v2';
  nodes: NodeInfo[];
}

export type CacheLoadResult =
  | { ok: true; cache: NodeCache }
  | { ok: false; error: { code: 'missing' | 'unreadable' | 'invalid'; message: string } };

const text = z.string().min(1).max(1024);
const nodeSchema = z.object({
  id: z.number().int().min(0),
  name: text.optional(),
  asn: z.number().int().positive().optional(),
  city: text.optional(),
  country: text.optional(),
  region: text.optional(),
  continent: text.optional(),
  isp: text.optional(),
  networkType: text.optional(),
});

const cacheSchema = z.object({
  version: z.literal(1),
  fetchedAt: z.string(),
  api: z.enum(['v1', 'v2']),
  nodes: z.array(nodeSchema),
});

export async function loadNodeCache(path: string): Promise<CacheLoadResult> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      return { ok: false, error: { code: 'missing', message: `${path}: no node cache yet` } };
    return {
      ok: false,
      error: { code: 'unreadable', message: `${path}: ${code ?? 'error'} reading the node cache` },
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, error: { code: 'invalid', message: `${path}: the node cache is not JSON` } };
  }
  const r = cacheSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    return {
      ok: false,
      error: { code: 'invalid', message: `${path}: ${issue.path.join('.') || '(file)'}: ${issue.message}` },
    };
  }
  return { ok: true, cache: r.data as NodeCache };
}

export async function saveNodeCache(
  path: string,
  cache: NodeCache,
): Promise<{ ok: true } | { ok: false; error: { code: 'write_failed'; message: string } }> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(`${JSON.stringify(cache)}\n`, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { ok: false, error: { code: 'write_failed', message: `${path}: ${code} writing the node cache` } };
  }
  // Make the rename itself durable; a directory that cannot be opened (some filesystems) is fine.
  try {
    const dir = await open(dirname(path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // best effort
  }
  return { ok: true };
}
