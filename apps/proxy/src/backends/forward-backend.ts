import { Client, type ClientOptions, type Logger, type TlsOptions, type WriteResult } from '@otsdb/client';
import { type DataPoint, type ProtocolOptions, seriesKey } from '@otsdb/protocol';
import {
  type Backend,
  BackendCounters,
  type BackendRejection,
  type BackendStats,
  type BackendWriteResult,
  DrainListeners,
  type ReadRequest,
  type ReadResponse,
} from './backend.js';
import { createReadForwarder, type ReadForwarder } from './read-forwarder.js';

export type ForwardMode = 'failover' | 'shard' | 'replicate';

export interface ForwardBackendOptions {
  /** `telnet://host:4242`, `tls://host:4243`, `http(s)://[user:pass@]host:port[/api/put]`. */
  targets: readonly string[];
  /** Default `failover`. */
  mode?: ForwardMode;
  tls?: TlsOptions | undefined;
  /** Points each target's client holds at most. Default 100 000. */
  maxQueue?: number;
  batchSize?: number | undefined;
  concurrency?: number | undefined;
  telnetTimestamps?: 'as-is' | 'seconds' | 'fractional';
  gzip?: boolean;
  hostCooldownMs?: number;
  /** Validation the TSD applies (the proxy validated with the same rules already). */
  protocolOptions?: ProtocolOptions;
  /** Base URL of a TSD's HTTP API for reads; default the first http(s) target's origin. */
  readUrl?: string | undefined;
  readTimeoutMs?: number;
  maxReadResponseBytes?: number;
  logger?: Logger | undefined;
}

/**
 * Forwards to one or several TSDs through @otsdb/client, the suite's only sender. `failover`:
 * one client over all targets, the first healthy one takes everything. `shard`: one client per
 * target, each series (metric + tags) always goes to the same target (stable hash), so a
 * cluster of independent TSDs shares the load. `replicate`: every point to every target; a write
 * counts as done when all of them took it.
 *
 * Writes are transactions: `write()` resolves when the TSD acknowledged (HTTP 2xx, telnet
 * written). An outage is buffered in each client's bounded queue; a write that does not fit
 * is refused at once (`queue_full`, 503), never dropped silently.
 */
export function createForwardBackend(options: ForwardBackendOptions): Backend {
  const mode = options.mode ?? 'failover';
  if (options.targets.length === 0) throw new TypeError('forward backend: at least one target is required');
  const base: ClientOptions = {
    hostTag: false,
    dropPolicy: 'reject',
    maxQueue: options.maxQueue ?? 100_000,
    telnetTimestamps: options.telnetTimestamps ?? 'as-is',
    gzip: options.gzip ?? false,
    hostCooldownMs: options.hostCooldownMs ?? 30_000,
    protocolOptions: options.protocolOptions ?? {},
  };
  if (options.tls !== undefined) base.tls = options.tls;
  if (options.batchSize !== undefined) base.batchSize = options.batchSize;
  if (options.concurrency !== undefined) base.concurrency = options.concurrency;
  if (options.logger !== undefined) base.logger = options.logger;

  const clients =
    mode === 'failover'
      ? [new Client({ ...base, url: [...options.targets], hostPolicy: 'failover' })]
      : options.targets.map((url) => new Client({ ...base, url }));

  const counters = new BackendCounters();
  const drains = new DrainListeners();
  for (const client of clients) {
    client.on('drain', () => {
      if (clients.every((c) => c.writable)) drains.emit();
    });
    // Refusals are reported through write() results; the event must have a listener anyway.
    client.on('rejected', () => undefined);
  }

  const readUrl = options.readUrl ?? firstHttpOrigin(options.targets);
  let reader: ReadForwarder | undefined;
  if (readUrl !== undefined) {
    reader = createReadForwarder({
      baseUrl: readUrl,
      timeoutMs: options.readTimeoutMs ?? 60_000,
      maxResponseBytes: options.maxReadResponseBytes ?? 256 * 1024 * 1024,
      tls: options.tls,
    });
  }

  // A tenth of the queue: a write never needs more room than the high-water mark leaves.
  const maxBatch = Math.max(1, Math.floor((options.maxQueue ?? 100_000) / 10));
  const maxQueue = options.maxQueue ?? 100_000;
  // All or nothing, as the client's own admission: a write the queue cannot hold whole is
  // refused at once, before any slice of it is queued.
  const writeTo = (client: Client, points: DataPoint[], indices: number[] | undefined) => {
    const s = client.stats();
    const held = s.queued + s.inFlight;
    if (held + points.length > maxQueue) {
      return Promise.resolve<BackendWriteResult>({
        ok: false,
        status: 503,
        code: 'queue_full',
        message: `queue cannot take ${points.length} points: ${held} of ${maxQueue} held`,
        accepted: 0,
      });
    }
    return writeSliced(client, points, indices, maxBatch);
  };

  const write = async (points: DataPoint[]): Promise<BackendWriteResult> => {
    if (points.length === 0) return { ok: true, accepted: 0, rejected: [] };
    if (mode === 'failover') return writeTo(clients[0]!, points, undefined);
    if (mode === 'replicate') {
      return combine(
        await Promise.all(clients.map((c) => writeTo(c, points, undefined))),
        points.length,
        true,
      );
    }
    // shard: split by series, remember where each point came from to report rejections by index.
    const parts: { points: DataPoint[]; indices: number[] }[] = clients.map(() => ({
      points: [],
      indices: [],
    }));
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      const part = parts[shardOf(seriesKey(p.metric, p.tags), clients.length)]!;
      part.points.push(p);
      part.indices.push(i);
    }
    const results = await Promise.all(
      parts.map((part, i) =>
        part.points.length === 0
          ? Promise.resolve<BackendWriteResult>({ ok: true, accepted: 0, rejected: [] })
          : writeTo(clients[i]!, part.points, part.indices),
      ),
    );
    return combine(results, points.length, false);
  };

  let closing: Promise<void> | undefined;
  const backend: Backend = {
    type: 'forward',
    maxBatch,
    get writable() {
      return clients.every((c) => c.writable);
    },
    async write(points) {
      return counters.record(points.length, await write(points));
    },
    onDrain: (listener) => drains.add(listener),
    stats(): BackendStats {
      const perClient = clients.map((c) => c.stats());
      return {
        type: 'forward',
        received: counters.received,
        written: counters.written,
        rejected: counters.rejected,
        failed: counters.failed,
        queued: perClient.reduce((n, s) => n + s.queued + s.inFlight, 0),
        details: { mode, clients: perClient },
      };
    },
    close(timeoutMs: number) {
      closing ??= (async () => {
        await Promise.all(clients.map((c) => c.close({ timeoutMs })));
        await reader?.close();
      })();
      return closing;
    },
  };
  if (reader !== undefined) {
    const r = reader;
    backend.handleRead = (request: ReadRequest): Promise<ReadResponse> => r.forward(request);
  }
  return backend;
}

/** FNV-1a over the series key: stable across processes and restarts, cheap, well spread. */
export function shardOf(key: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

function firstHttpOrigin(targets: readonly string[]): string | undefined {
  for (const t of targets) {
    try {
      const u = new URL(t);
      if (u.protocol === 'http:' || u.protocol === 'https:') return u.origin;
    } catch {
      // validated by the config already
    }
  }
  return undefined;
}

/**
 * A large write (an HTTP body of 100 000 points) as several client transactions of at most
 * `maxBatch` points, all submitted at once: each fits beside the others, and the result adds
 * them up (a refused slice makes the whole write fail, with what was written counted).
 */
async function writeSliced(
  client: Client,
  points: DataPoint[],
  indices: number[] | undefined,
  maxBatch: number,
): Promise<BackendWriteResult> {
  if (points.length <= maxBatch) return writeOnce(client, points, indices);
  const slices: Promise<BackendWriteResult>[] = [];
  for (let from = 0; from < points.length; from += maxBatch) {
    const to = Math.min(points.length, from + maxBatch);
    const sliceIndices: number[] = [];
    for (let i = from; i < to; i++) sliceIndices.push(indices === undefined ? i : indices[i]!);
    slices.push(writeOnce(client, points.slice(from, to), sliceIndices));
  }
  return combine(await Promise.all(slices), points.length, false);
}

/**
 * One client write. The proxy validated every point with the TSD's rules already, but the
 * client refuses a whole transaction for one point it cannot send (a telnet line longer than a
 * TSD takes): then the others are written and that one is reported as rejected.
 */
async function writeOnce(
  client: Client,
  points: DataPoint[],
  indices: number[] | undefined,
): Promise<BackendWriteResult> {
  const at = (i: number) => (indices === undefined ? i : indices[i]);
  let result = await client.write(points);
  const rejected: BackendRejection[] = [];
  if (!result.ok && result.error.code === 'invalid_point' && result.invalid.length > 0) {
    const bad = new Set<number>();
    for (const inv of result.invalid) {
      bad.add(inv.index);
      rejected.push({ index: at(inv.index), datapoint: undefined, message: inv.error.message });
    }
    const goodPoints: DataPoint[] = [];
    const goodIndices: number[] = [];
    for (let i = 0; i < points.length; i++) {
      if (bad.has(i)) continue;
      goodPoints.push(points[i]!);
      goodIndices.push(at(i)!);
    }
    if (goodPoints.length === 0) return { ok: true, accepted: 0, rejected };
    result = await client.write(goodPoints);
    return fromClient(result, rejected);
  }
  return fromClient(result, rejected);
}

function fromClient(result: WriteResult, rejected: BackendRejection[]): BackendWriteResult {
  for (const e of result.errors)
    rejected.push({ index: undefined, datapoint: e.datapoint, message: e.error });
  if (result.ok) return { ok: true, accepted: result.accepted, rejected };
  const e = result.error;
  let status = 503;
  if (e.code === 'rejected' || e.code === 'http_status') status = 502;
  const where = e.host === undefined ? '' : ` (${e.host})`;
  return {
    ok: false,
    status,
    code: e.code,
    message: `${e.message}${where}`,
    accepted: result.accepted,
  };
}

function combine(results: BackendWriteResult[], total: number, replicated: boolean): BackendWriteResult {
  const rejected: BackendRejection[] = [];
  let accepted = replicated ? Number.POSITIVE_INFINITY : 0;
  let failure: Extract<BackendWriteResult, { ok: false }> | undefined;
  const seen = new Set<number>();
  for (const r of results) {
    const n = r.accepted;
    accepted = replicated ? Math.min(accepted, n) : accepted + n;
    if (!r.ok) {
      failure ??= r;
      continue;
    }
    for (const rej of r.rejected) {
      // A point refused by several replicas is reported once.
      if (rej.index !== undefined) {
        if (seen.has(rej.index)) continue;
        seen.add(rej.index);
      }
      rejected.push(rej);
    }
  }
  if (!Number.isFinite(accepted)) accepted = total;
  if (failure !== undefined) return { ...failure, accepted };
  return { ok: true, accepted, rejected };
}
