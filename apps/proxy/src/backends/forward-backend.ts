import { Client, type ClientOptions, type Logger, type TlsOptions, type WriteResult } from '@otsdb/client';
import {
  type DataPoint,
  type ProtocolOptions,
  PutLineScreen,
  parsePutLine,
  screenedSeriesKey,
  seriesKey,
} from '@otsdb/protocol';
import {
  type Backend,
  BackendCounters,
  type BackendRejection,
  type BackendStats,
  type BackendWriteResult,
  DrainListeners,
  type LineBatch,
  type ReadRequest,
  type ReadResponse,
} from './backend.js';
import { createReadForwarder, type ReadForwarder } from './read-forwarder.js';

const HAND_OVER = Object.freeze({ handOver: true });

export type ForwardMode = 'failover' | 'shard' | 'replicate';

export interface ForwardBackendOptions {
  /** `telnet://host:4242`, `tls://host:4243`, `http(s)://[user:pass@]host:port[/api/put]`. */
  targets: readonly string[];
  /** Default `failover`. */
  mode?: ForwardMode;
  tls?: TlsOptions | undefined;
  /** Points held at most per target (shared by its connections). Default 100 000. */
  maxQueue?: number;
  /** Connections per telnet target (each a client of its own). Default 4; HTTP targets pool their own. */
  connections?: number;
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
  const protocolOptions = options.protocolOptions ?? {};
  if (options.targets.length === 0) throw new TypeError('forward backend: at least one target is required');
  const base: ClientOptions = {
    hostTag: false,
    dropPolicy: 'reject',
    maxQueue: options.maxQueue ?? 100_000,
    telnetTimestamps: options.telnetTimestamps ?? 'as-is',
    gzip: options.gzip ?? false,
    hostCooldownMs: options.hostCooldownMs ?? 30_000,
    protocolOptions,
  };
  if (options.tls !== undefined) base.tls = options.tls;
  if (options.batchSize !== undefined) base.batchSize = options.batchSize;
  if (options.concurrency !== undefined) base.concurrency = options.concurrency;
  if (options.logger !== undefined) base.logger = options.logger;

  // Telnet targets get several connections: a TSD (VictoriaMetrics too) reads each connection
  // on one thread, so one socket would cap the proxy at one core of the TSD. The held bound is
  // shared out between a group's clients.
  const maxQueue = options.maxQueue ?? 100_000;
  const groupOf = (urls: readonly string[], policy: 'failover' | undefined): Client[] => {
    const make = (queue: number) =>
      new Client({
        ...base,
        maxQueue: queue,
        url: policy === undefined ? urls[0]! : [...urls],
        ...(policy === undefined ? {} : { hostPolicy: policy }),
      });
    const n = Math.max(1, options.connections ?? 4);
    const first = make(Math.max(1, Math.ceil(maxQueue / n)));
    if (n === 1) return [first];
    if (first.protocol !== 'telnet') {
      // HTTP clients pool connections themselves: one client, the whole bound (the probe never
      // connected: clients connect on their first batch).
      void first.close({ timeoutMs: 0 });
      return [make(maxQueue)];
    }
    return [first, ...Array.from({ length: n - 1 }, () => make(first.maxQueue))];
  };
  const groups =
    mode === 'failover'
      ? [groupOf(options.targets, 'failover')]
      : options.targets.map((url) => groupOf([url], undefined));
  const clients = groups.flat();

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

  // A tenth of a client's queue: a write never needs more room than the high-water mark leaves.
  const maxBatch = Math.max(1, Math.floor(Math.min(...clients.map((c) => c.maxQueue)) / 10));
  // All or nothing, as the client's own admission: a write the queue cannot hold whole is
  // refused at once, before any slice of it is queued. Within a group, the client holding least
  // takes the write.
  const writeTo = (group: Client[], points: DataPoint[], indices: number[] | undefined) => {
    const { client, refused } = pick(group, points.length);
    if (refused !== undefined) return Promise.resolve(refused);
    return writeSliced(client, points, indices, maxBatch);
  };

  // The shard and connection of a series, as indices into `clients`.
  const firstOf: number[] = [];
  for (let g = 0, at = 0; g < groups.length; at += groups[g]!.length, g++) firstOf.push(at);
  const clientOf = (key: string): number => {
    const g = shardOf(key, groups.length);
    const size = groups[g]!.length;
    return firstOf[g]! + (size === 1 ? 0 : memberOf(key, size));
  };
  /** clientOf for a key given as its bytes (ASCII: the same hashes as of the string). */
  const clientOfBytes = (key: Uint8Array, length: number): number => {
    const g = shardOfBytes(key, length, groups.length);
    const size = groups[g]!.length;
    return firstOf[g]! + (size === 1 ? 0 : memberOfBytes(key, length, size));
  };

  const write = async (points: DataPoint[]): Promise<BackendWriteResult> => {
    if (points.length === 0) return { ok: true, accepted: 0, rejected: [] };
    if (mode === 'failover') return writeTo(groups[0]!, points, undefined);
    if (mode === 'replicate') {
      return combine(
        await Promise.all(groups.map((g) => writeTo(g, points, undefined))),
        points.length,
        true,
      );
    }
    // shard: split by series, remember where each point came from to report rejections by index.
    // Each series keeps its connection too, so its points stay in order.
    const parts: { points: DataPoint[]; indices: number[] }[] = clients.map(() => ({
      points: [],
      indices: [],
    }));
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      const part = parts[clientOf(seriesKey(p.metric, p.tags))]!;
      part.points.push(p);
      part.indices.push(i);
    }
    const results = await Promise.all(
      parts.map((part, i) =>
        part.points.length === 0
          ? Promise.resolve<BackendWriteResult>({ ok: true, accepted: 0, rejected: [] })
          : writeTo([clients[i]!], part.points, part.indices),
      ),
    );
    return combine(results, points.length, false);
  };

  // Lines go out as they came (credentials cut out) when every client takes lines without
  // building points (telnet as they are, HTTP as entries written from them).
  const writeLinesTo = (group: Client[], batch: LineBatch): Promise<BackendWriteResult> => {
    const { client, refused } = pick(group, batch.count);
    if (refused !== undefined) return Promise.resolve(refused);
    return writeLinesSliced(client, batch, maxBatch);
  };
  // Shard mode routes each line by the same series key a point of it would have: read from the
  // screen's offsets (screenedSeriesKey), or from the parsed line when the screen does not take
  // it, so a series goes to one connection whichever path its lines took.
  const parseOptions: ProtocolOptions = { ...protocolOptions, tagsOptional: true, maxTags: 64 };
  const sharding =
    mode === 'shard' ? { screen: new PutLineScreen(parseOptions), key: new Uint8Array(8 * 1024) } : undefined;
  const shardLines = async (
    batch: LineBatch,
    { screen, key }: NonNullable<typeof sharding>,
  ): Promise<BackendWriteResult> => {
    const { data, ends, count } = batch;
    const lineParts: number[][] = clients.map(() => []);
    const rejected: BackendRejection[] = [];
    let start = 0;
    for (let i = 0; i < count; i++) {
      const end = ends[i]!;
      const length = screen.screen(data, start, end - 1) ? screenedSeriesKey(screen, data, key) : -1;
      if (length >= 0) lineParts[clientOfBytes(key, length)]!.push(i);
      else {
        const parsed = parsePutLine(data.toString('utf8', start, end - 1), parseOptions);
        if (parsed.ok) lineParts[clientOf(seriesKey(parsed.point.metric, parsed.point.tags))]!.push(i);
        else rejected.push({ index: i, datapoint: undefined, message: parsed.error.message });
      }
      start = end;
    }
    const results = await Promise.all(
      lineParts.map(async (lines, c) => {
        if (lines.length === 0) return { ok: true, accepted: 0, rejected: [] } as BackendWriteResult;
        const part = lines.length === count ? batch : pickLines(batch, lines);
        return renumber(await writeLinesTo([clients[c]!], part), lines);
      }),
    );
    const result = combine(results, count, false);
    if (rejected.length === 0 || !result.ok) return result;
    return { ...result, rejected: [...result.rejected, ...rejected] };
  };
  const writeLines = clients.every((c) => c.forwardsLines)
    ? async (batch: LineBatch): Promise<BackendWriteResult> => {
        if (batch.count === 0) return { ok: true, accepted: 0, rejected: [] };
        if (mode === 'failover') return writeLinesTo(groups[0]!, batch);
        if (sharding !== undefined) return shardLines(batch, sharding);
        return combine(await Promise.all(groups.map((g) => writeLinesTo(g, batch))), batch.count, true);
      }
    : undefined;

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
  if (writeLines !== undefined) {
    backend.writeLines = async (batch: LineBatch) => counters.record(batch.count, await writeLines(batch));
  }
  if (reader !== undefined) {
    const r = reader;
    backend.handleRead = (request: ReadRequest): Promise<ReadResponse> => r.forward(request);
  }
  return backend;
}

/**
 * The client of a group that holds the fewest points, or the refusal when even it cannot take
 * `count` more.
 */
function pick(group: readonly Client[], count: number): { client: Client; refused?: BackendWriteResult } {
  let client = group[0]!;
  let held = client.held;
  for (let i = 1; i < group.length && held > 0; i++) {
    const c = group[i]!;
    if (c.held < held) {
      client = c;
      held = c.held;
    }
  }
  if (held + count <= client.maxQueue) return { client };
  return {
    client,
    refused: {
      ok: false,
      status: 503,
      code: 'queue_full',
      message: `queue cannot take ${count} points: ${held} of ${client.maxQueue} held`,
      accepted: 0,
    },
  };
}

/** Which of a group's connections carries a series: a second hash, independent of shardOf. */
export function memberOf(key: string, size: number): number {
  let h = 0x9747b28c;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x5bd1e995);
  return ((h ^ (h >>> 15)) >>> 0) % size;
}

/** memberOf of an ASCII key given as its first `length` bytes. */
export function memberOfBytes(key: Uint8Array, length: number, size: number): number {
  let h = 0x9747b28c;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ key[i]!, 0x5bd1e995);
  return ((h ^ (h >>> 15)) >>> 0) % size;
}

/** FNV-1a over the series key: stable across processes and restarts, cheap, well spread. */
export function shardOf(key: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % shards;
}

/** shardOf of an ASCII key given as its first `length` bytes. */
export function shardOfBytes(key: Uint8Array, length: number, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
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

/** `writeSliced` for lines: transactions of at most `maxBatch` lines, all submitted at once. */
async function writeLinesSliced(
  client: Client,
  batch: LineBatch,
  maxBatch: number,
): Promise<BackendWriteResult> {
  if (batch.count <= maxBatch) return writeLinesOnce(client, batch, 0);
  const slices: Promise<BackendWriteResult>[] = [];
  for (let from = 0; from < batch.count; from += maxBatch) {
    slices.push(
      writeLinesOnce(client, sliceLines(batch, from, Math.min(batch.count, from + maxBatch)), from),
    );
  }
  return combine(await Promise.all(slices), batch.count, false);
}

/** Lines `[from, to)` of a batch as a batch of their own (the bytes shared, the offsets shifted). */
function sliceLines(batch: LineBatch, from: number, to: number): LineBatch {
  const base = from === 0 ? 0 : batch.ends[from - 1]!;
  const ends = new Uint32Array(to - from);
  for (let i = from; i < to; i++) ends[i - from] = batch.ends[i]! - base;
  return { data: batch.data.subarray(base, batch.ends[to - 1]), ends, count: to - from };
}

/** The given lines of a batch (ascending indices) as a batch of their own. */
function pickLines(batch: LineBatch, lines: readonly number[]): LineBatch {
  let size = 0;
  for (const i of lines) size += batch.ends[i]! - (i === 0 ? 0 : batch.ends[i - 1]!);
  const data = Buffer.allocUnsafe(size);
  const ends = new Uint32Array(lines.length);
  let at = 0;
  for (let k = 0; k < lines.length; k++) {
    const i = lines[k]!;
    at += batch.data.copy(data, at, i === 0 ? 0 : batch.ends[i - 1]!, batch.ends[i]!);
    ends[k] = at;
  }
  return { data, ends, count: lines.length };
}

/** A result for `pickLines(batch, lines)` with its rejections numbered as lines of `batch`. */
function renumber(result: BackendWriteResult, lines: readonly number[]): BackendWriteResult {
  if (!result.ok) return result;
  for (const r of result.rejected) if (r.index !== undefined) r.index = lines[r.index]!;
  return result;
}

/** A batch without the lines at the given indices. */
function withoutLines(batch: LineBatch, bad: ReadonlySet<number>): LineBatch {
  const kept: number[] = [];
  for (let i = 0; i < batch.count; i++) if (!bad.has(i)) kept.push(i);
  return pickLines(batch, kept);
}

/**
 * One client transaction of lines; `offset` is the index of its first line in the proxy's
 * write. A line the client cannot send (longer than the TSD takes) is reported as rejected and
 * the others are written, as `writeOnce` does for points.
 */
async function writeLinesOnce(client: Client, batch: LineBatch, offset: number): Promise<BackendWriteResult> {
  // The listener never reuses a batch's bytes: the client keeps views instead of a copy.
  let result = await client.writeLines(batch.data, batch.ends, batch.count, HAND_OVER);
  const rejected: BackendRejection[] = [];
  if (!result.ok && result.error.code === 'invalid_point' && result.invalid.length > 0) {
    const bad = new Set<number>();
    for (const inv of result.invalid) {
      bad.add(inv.index);
      rejected.push({ index: offset + inv.index, datapoint: undefined, message: inv.error.message });
    }
    const rest = withoutLines(batch, bad);
    if (rest.count === 0) return { ok: true, accepted: 0, rejected };
    result = await client.writeLines(rest.data, rest.ends, rest.count, HAND_OVER);
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
