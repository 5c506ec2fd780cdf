import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type DataPoint, seriesKey, toMillis } from '@otsdb/protocol';
import { type DataDirLock, lockDataDir } from './data-dir-lock.js';
import { handleRead, type ReadRequest, type ReadResponse } from './http-api.js';
import { DEFAULT_QUERY_LIMITS } from './query-engine.js';
import { decodeRecord, encodeBatches, type PointBatch, RecordFormatError } from './record-codec.js';
import { type Series, SeriesStore } from './series-store.js';
import { parseDuration } from './time.js';
import { type FsyncPolicy, type StoreLogger, WriteAheadLog } from './wal.js';

export type WriteResult = { ok: true } | { ok: false; status: number; message: string };

export interface LocalStoreOptions {
  /** Directory for the segments (`wal/`) and the `LOCK` file; created if missing. */
  dataDir: string;
  /** How long points are kept: ms, or an OpenTSDB duration such as '30d' or '12h'. Default 15d. */
  retention?: string | number;
  /**
   * 'batch' (default): a write resolves after an fsync that concurrent writes share.
   * 'always': every write call gets its own fsync. 'none': no fsync; survives a process crash or
   * kill -9 (the data is in the page cache) but not power loss or a kernel crash.
   */
  fsync?: FsyncPolicy;
  /** Current time in ms (tests inject a fake clock). */
  clock?: () => number;
  /** pino-compatible; the store is silent without one. */
  logger?: StoreLogger;
  /** Roll to a new segment past this size. Default 64 MiB. */
  maxSegmentBytes?: number;
  /** Roll to a new segment past this age, so old data can expire. Default 1 h. */
  maxSegmentAgeMs?: number;
  /** Points accepted but not yet durable; beyond it writes are refused with 503. Default 1,000,000. */
  maxPendingPoints?: number;
  /** How often retention runs. Default 60 s; 0 disables the timer (call enforceRetention). */
  retentionCheckIntervalMs?: number;
  /**
   * Largest (points x series) a query may interpolate in one group of series that do not share
   * timestamps, so one query cannot stall the event loop for minutes. Default 200,000,000.
   */
  maxInterpolationSteps?: number;
}

export interface LocalStoreStats {
  series: number;
  points: number;
  /** Bytes of the in-memory columns (capacity, ~17 bytes per live point plus growth slack). */
  memoryBytes: number;
  segments: number;
  walBytes: number;
  writes: { calls: number; points: number; refused: number; failed: number; expiredOnArrival: number };
  pendingPoints: number;
  records: number;
  fsyncs: number;
  /** The log refuses writes after an unrecoverable I/O error (until restart). */
  writable: boolean;
  recovery: {
    durationMs: number;
    segments: number;
    records: number;
    points: number;
    expired: number;
    tornTails: number;
    bytesTruncated: number;
  };
  retention: {
    retentionMs: number;
    lastRunAt: number | undefined;
    segmentsDeleted: number;
    pointsDropped: number;
  };
}

export interface LocalStore {
  /** Resolves once the points are durable on disk (appended, and fsynced per policy). */
  write(points: readonly DataPoint[]): Promise<WriteResult>;
  /** OpenTSDB's read API: /api/query, /api/query/last, /api/suggest, /api/search/lookup, ... */
  handleRead(req: ReadRequest): Promise<ReadResponse>;
  stats(): LocalStoreStats;
  /** Drops points older than the retention and deletes segments holding nothing newer. */
  enforceRetention(): Promise<{ segmentsDeleted: number; pointsDropped: number }>;
  close(): Promise<void>;
}

export class LocalStoreConfigError extends Error {
  readonly code = 'invalid_config';
}

const DEFAULT_RETENTION_MS = 15 * 86_400_000;
/** OpenTSDB stores at most 13-digit millisecond timestamps. */
const MAX_MILLIS = 9_999_999_999_999;
const LONG_MIN = -9223372036854775808n;
const LONG_MAX = 9223372036854775807n;
const FORBIDDEN = /[{}=,\u0000]/;

export async function openLocalStore(options: LocalStoreOptions): Promise<LocalStore> {
  const config = normalize(options);
  await mkdir(config.dataDir, { recursive: true });
  const lock = await lockDataDir(config.dataDir);
  try {
    return await Store.open(config, lock);
  } catch (e) {
    await lock.release();
    throw e;
  }
}

type Config = Required<Omit<LocalStoreOptions, 'logger' | 'retention'>> & {
  retentionMs: number;
  logger: StoreLogger | undefined;
};

function normalize(o: LocalStoreOptions): Config {
  if (typeof o.dataDir !== 'string' || o.dataDir === '')
    throw new LocalStoreConfigError('dataDir: must be a path');
  let retentionMs = DEFAULT_RETENTION_MS;
  if (typeof o.retention === 'number') {
    if (!Number.isFinite(o.retention) || o.retention <= 0) {
      throw new LocalStoreConfigError(`retention: ${o.retention} must be a positive number of ms`);
    }
    retentionMs = o.retention;
  } else if (typeof o.retention === 'string') {
    const d = parseDuration(o.retention);
    if (!d.ok)
      throw new LocalStoreConfigError(`retention: '${o.retention}': ${d.message} (e.g. '15d', '12h')`);
    retentionMs = d.ms;
  }
  const fsync = o.fsync ?? 'batch';
  if (fsync !== 'always' && fsync !== 'batch' && fsync !== 'none') {
    throw new LocalStoreConfigError(`fsync: '${String(fsync)}' must be one of always, batch, none`);
  }
  const positive = (name: string, v: number | undefined, dflt: number, allowZero = false): number => {
    const value = v ?? dflt;
    if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
      throw new LocalStoreConfigError(`${name}: ${value} must be a positive number`);
    }
    return value;
  };
  return {
    dataDir: o.dataDir,
    retentionMs,
    fsync,
    clock: o.clock ?? Date.now,
    logger: o.logger,
    maxSegmentBytes: positive('maxSegmentBytes', o.maxSegmentBytes, 64 * 1024 * 1024),
    maxSegmentAgeMs: positive('maxSegmentAgeMs', o.maxSegmentAgeMs, 3_600_000),
    maxPendingPoints: positive('maxPendingPoints', o.maxPendingPoints, 1_000_000),
    retentionCheckIntervalMs: positive('retentionCheckIntervalMs', o.retentionCheckIntervalMs, 60_000, true),
    maxInterpolationSteps: positive(
      'maxInterpolationSteps',
      o.maxInterpolationSteps,
      DEFAULT_QUERY_LIMITS.maxInterpolationSteps,
    ),
  };
}

type Checked = { ok: true; batch: PointBatch } | { ok: false; message: string };

class Store implements LocalStore {
  private readonly config: Config;
  private readonly lock: DataDirLock;
  private readonly series: SeriesStore;
  private wal!: WriteAheadLog<PointBatch>;
  private readonly dictionary = new Map<string, number>();
  private segmentLocals: (Series | undefined)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private pendingPoints = 0;
  private readonly writes = { calls: 0, points: 0, refused: 0, failed: 0, expiredOnArrival: 0 };
  private readonly recovery = {
    durationMs: 0,
    segments: 0,
    records: 0,
    points: 0,
    expired: 0,
    tornTails: 0,
    bytesTruncated: 0,
  };
  private readonly retention = {
    retentionMs: 0,
    lastRunAt: undefined as number | undefined,
    segmentsDeleted: 0,
    pointsDropped: 0,
  };

  private constructor(config: Config, lock: DataDirLock) {
    this.config = config;
    this.lock = lock;
    this.series = new SeriesStore();
    this.retention.retentionMs = config.retentionMs;
  }

  static async open(config: Config, lock: DataDirLock): Promise<Store> {
    const store = new Store(config, lock);
    const started = performance.now();
    const cutoff = config.clock() - config.retentionMs;
    const { wal, report } = await WriteAheadLog.open<PointBatch>(
      {
        dir: join(config.dataDir, 'wal'),
        fsync: config.fsync,
        maxSegmentBytes: config.maxSegmentBytes,
        maxSegmentAgeMs: config.maxSegmentAgeMs,
        clock: config.clock,
        logger: config.logger,
      },
      {
        encode: (batches, fresh) => store.encode(batches, fresh),
        durable: (batches) => store.applyDurable(batches),
        replay: (payload, _segment, first) => store.replay(payload, first, cutoff),
      },
    );
    store.wal = wal;
    store.recovery.durationMs = performance.now() - started;
    store.recovery.segments = report.segments;
    store.recovery.records = report.records;
    store.recovery.tornTails = report.tornTails;
    store.recovery.bytesTruncated = report.bytesTruncated;
    store.segmentLocals = [];
    config.logger?.info(
      { ...store.recovery, series: store.series.seriesCount, points: store.series.pointCount },
      'local store opened',
    );
    await store.enforceRetention();
    if (config.retentionCheckIntervalMs > 0) {
      store.timer = setInterval(() => {
        store
          .enforceRetention()
          .catch((e: Error) => config.logger?.error({ err: e }, 'local store retention failed'));
      }, config.retentionCheckIntervalMs);
      store.timer.unref();
    }
    return store;
  }

  async write(points: readonly DataPoint[]): Promise<WriteResult> {
    this.writes.calls++;
    if (this.closed) return { ok: false, status: 503, message: 'the local store is closed' };
    const failure = this.wal.failed;
    if (failure !== undefined) return { ok: false, status: 503, message: failure.message };
    const checked = checkPoints(points);
    if (!checked.ok) return { ok: false, status: 400, message: checked.message };
    const batch = checked.batch;
    if (batch.n === 0) return { ok: true };
    if (this.pendingPoints + batch.n > this.config.maxPendingPoints) {
      this.writes.refused++;
      return {
        ok: false,
        status: 503,
        message: `the local store's write queue is full (${this.pendingPoints} points not yet on disk, limit ${this.config.maxPendingPoints}); retry later`,
      };
    }
    this.pendingPoints += batch.n;
    try {
      await this.wal.append(batch);
      this.writes.points += batch.n;
      return { ok: true };
    } catch (e) {
      this.writes.failed++;
      return { ok: false, status: 503, message: (e as Error).message };
    } finally {
      this.pendingPoints -= batch.n;
    }
  }

  async handleRead(req: ReadRequest): Promise<ReadResponse> {
    return handleRead(
      {
        series: this.series,
        now: this.config.clock,
        limits: { maxInterpolationSteps: this.config.maxInterpolationSteps },
      },
      req,
    );
  }

  stats(): LocalStoreStats {
    return {
      series: this.series.seriesCount,
      points: this.series.pointCount,
      memoryBytes: this.series.bytes,
      segments: this.wal.segmentList().length,
      walBytes: this.wal.bytes,
      writes: { ...this.writes },
      pendingPoints: this.pendingPoints,
      records: this.wal.records,
      fsyncs: this.wal.fsyncs,
      writable: this.wal.failed === undefined && !this.closed,
      recovery: { ...this.recovery },
      retention: { ...this.retention },
    };
  }

  async enforceRetention(): Promise<{ segmentsDeleted: number; pointsDropped: number }> {
    if (this.closed) return { segmentsDeleted: 0, pointsDropped: 0 };
    const now = this.config.clock();
    const cutoff = now - this.config.retentionMs;
    const dropped = this.series.dropBefore(cutoff);
    const segmentsDeleted = await this.wal.expire(cutoff);
    this.retention.lastRunAt = now;
    this.retention.segmentsDeleted += segmentsDeleted;
    this.retention.pointsDropped += dropped.points;
    if (segmentsDeleted > 0 || dropped.points > 0) {
      this.config.logger?.info(
        { cutoff, segmentsDeleted, pointsDropped: dropped.points, seriesDropped: dropped.series },
        'local store retention',
      );
    }
    return { segmentsDeleted, pointsDropped: dropped.points };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      if (this.timer !== undefined) clearInterval(this.timer);
      try {
        await this.wal.close();
      } finally {
        await this.lock.release();
      }
    })();
    return this.closing;
  }

  private encode(batches: readonly PointBatch[], fresh: boolean) {
    if (fresh) this.dictionary.clear();
    let minTs = Number.POSITIVE_INFINITY;
    let maxTs = Number.NEGATIVE_INFINITY;
    for (const b of batches) {
      for (let i = 0; i < b.n; i++) {
        const t = b.t[i]!;
        if (t < minTs) minTs = t;
        if (t > maxTs) maxTs = t;
      }
    }
    return { payload: encodeBatches(batches, this.dictionary), minTs, maxTs };
  }

  private applyDurable(batches: readonly PointBatch[]): void {
    const cutoff = this.config.clock() - this.config.retentionMs;
    for (const b of batches) {
      let last: Series | undefined;
      for (let i = 0; i < b.n; i++) {
        const t = b.t[i]!;
        if (t < cutoff) {
          this.writes.expiredOnArrival++;
          continue;
        }
        const key = b.keys[i]!;
        const s = last !== undefined && last.key === key ? last : this.series.getOrCreate(key);
        if (s === undefined) continue; // keys come from checkPoints, so always well-formed
        last = s;
        this.series.put(s, t, b.v[i]!, b.isInt[i] === 1);
      }
    }
  }

  private replay(
    payload: Uint8Array,
    firstOfSegment: boolean,
    cutoff: number,
  ): { minTs: number; maxTs: number } {
    if (firstOfSegment) this.segmentLocals = [];
    const rec = decodeRecord(payload);
    const locals = this.segmentLocals;
    const defined = new Set<number>();
    for (const d of rec.defs) defined.add(d.localId);
    for (let i = 0; i < rec.n; i++) {
      const id = rec.localIds[i]!;
      if (locals[id] === undefined && !defined.has(id)) {
        throw new RecordFormatError(`point names series ${id}, which the segment never defined`);
      }
    }
    for (const d of rec.defs) {
      const series = this.series.getOrCreate(d.key);
      if (series === undefined) throw new RecordFormatError(`malformed series key ${JSON.stringify(d.key)}`);
      locals[d.localId] = series;
    }
    let minTs = Number.POSITIVE_INFINITY;
    let maxTs = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < rec.n; i++) {
      const t = rec.t[i]!;
      if (t < minTs) minTs = t;
      if (t > maxTs) maxTs = t;
      if (t < cutoff) {
        this.recovery.expired++;
        continue;
      }
      this.series.put(locals[rec.localIds[i]!]!, t, rec.v[i]!, rec.isInt[i] === 1);
      this.recovery.points++;
    }
    return { minTs, maxTs };
  }
}

/**
 * The store's own invariants (the proxy validates OpenTSDB's rules before this): names that
 * keep series keys unambiguous, 13-digit-or-less timestamps, finite values within 64 bits.
 * Integer-ness follows OpenTSDB: the wire text has no '.', 'e' or 'E'; without wire text, a
 * bigint or a safe integer number is an integer.
 */
function checkPoints(points: readonly DataPoint[]): Checked {
  if (!Array.isArray(points)) return { ok: false, message: 'write(points): points must be an array' };
  const n = points.length;
  const keys: string[] = new Array(n);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  const isInt = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const p = points[i] as DataPoint | undefined;
    const where = `point ${i}`;
    if (p === null || typeof p !== 'object') return { ok: false, message: `${where}: not a data point` };
    if (typeof p.metric !== 'string' || p.metric === '' || FORBIDDEN.test(p.metric)) {
      return {
        ok: false,
        message: `${where}: metric ${JSON.stringify(p.metric)} is empty or contains { } = , or NUL`,
      };
    }
    if (p.tags === null || typeof p.tags !== 'object')
      return { ok: false, message: `${where}: tags must be an object` };
    const tags = p.tags as Record<string, unknown>;
    for (const k of Object.keys(tags)) {
      const tv = tags[k];
      if (k === '' || FORBIDDEN.test(k) || typeof tv !== 'string' || tv === '' || FORBIDDEN.test(tv)) {
        return {
          ok: false,
          message: `${where}: tag ${JSON.stringify(k)}=${JSON.stringify(tv)} is empty or contains { } = , or NUL`,
        };
      }
    }
    if (typeof p.timestamp !== 'number' || !Number.isInteger(p.timestamp) || p.timestamp <= 0) {
      return { ok: false, message: `${where}: timestamp ${String(p.timestamp)} must be a positive integer` };
    }
    const ms = toMillis(p.timestamp);
    if (ms > MAX_MILLIS)
      return { ok: false, message: `${where}: timestamp ${p.timestamp} has more than 13 digits` };
    let value: number;
    let integer: boolean;
    if (typeof p.value === 'bigint') {
      if (p.value < LONG_MIN || p.value > LONG_MAX) {
        return { ok: false, message: `${where}: value ${p.value} does not fit a signed 64-bit integer` };
      }
      value = Number(p.value);
      integer = true;
    } else if (typeof p.value === 'number' && Number.isFinite(p.value)) {
      value = p.value;
      integer = Number.isSafeInteger(p.value);
    } else {
      return { ok: false, message: `${where}: value ${String(p.value)} must be a finite number or a bigint` };
    }
    if (typeof p.valueText === 'string') integer = !/[.eE]/.test(p.valueText) && Number.isInteger(value);
    // The key is all that is kept: the caller's tags object is never referenced afterwards.
    keys[i] = seriesKey(p.metric, p.tags);
    t[i] = ms;
    v[i] = value;
    isInt[i] = integer ? 1 : 0;
  }
  return { ok: true, batch: { keys, t, v, isInt, n } };
}
