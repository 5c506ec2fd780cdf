import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataPoint } from '@otsdb/protocol';
import { type LocalStore, type LocalStoreOptions, openLocalStore } from '../index.js';

/** 2023-11-14T23:00:00Z: an hour boundary, so the scan window starts exactly here. */
export const T0 = 1_700_002_800;

export interface Harness {
  readonly store: LocalStore;
  readonly dir: string;
  write(points: DataPoint[]): Promise<void>;
  get(path: string, search: string): Promise<Reply>;
  post(path: string, body: unknown): Promise<Reply>;
  close(): Promise<void>;
}

export interface Reply {
  status: number;
  text: string;
  json: unknown;
}

const dirs: string[] = [];
const open: LocalStore[] = [];

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'otsdb-local-store-test-'));
  dirs.push(dir);
  return dir;
}

/** Closes every store and removes every directory made through this harness. */
export async function cleanup(): Promise<void> {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
}

export async function harness(options: Partial<LocalStoreOptions> = {}): Promise<Harness> {
  const dir = options.dataDir ?? (await tempDir());
  const store = await openLocalStore({
    clock: () => (T0 + 7200) * 1000,
    retentionCheckIntervalMs: 0,
    ...options,
    dataDir: dir,
  });
  open.push(store);
  const reply = (status: number, text: string): Reply => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status, text, json };
  };
  return {
    store,
    dir,
    async write(points) {
      const r = await store.write(points);
      if (!r.ok) throw new Error(`write refused: ${r.status} ${r.message}`);
    },
    async get(path, search) {
      const r = await store.handleRead({ method: 'GET', path, search, body: undefined });
      return reply(r.status, r.body);
    },
    async post(path, body) {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const r = await store.handleRead({
        method: 'POST',
        path,
        search: '',
        body: new TextEncoder().encode(text),
      });
      return reply(r.status, r.body);
    },
    close: () => store.close(),
  };
}

/** A point at T0 + `offset` seconds. */
export function pt(
  metric: string,
  offset: number,
  value: number,
  tags: Record<string, string>,
  valueText?: string,
): DataPoint {
  const p: DataPoint = { metric, timestamp: T0 + offset, value, tags };
  if (valueText !== undefined) p.valueText = valueText;
  return p;
}

/** dps keyed by offset from T0 in seconds, for compact expectations. */
export function byOffset(dps: Record<string, unknown>): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const [k, v] of Object.entries(dps)) out[Number(k) - T0] = v;
  return out;
}
