/**
 * Segment files of length+CRC32-framed records, appended with group commit.
 *
 * File layout (dataDir/wal/<20-digit sequence>.seg):
 *
 *   header  8 bytes "OTSDBWAL", u32 LE version (1), u32 LE reserved (0)
 *   record  u32 LE payload length, u32 LE CRC-32 (zlib) of the payload, payload
 *   record  ...
 *
 * Only the newest segment is ever appended to. Writers queue their batches; one flush at a time
 * encodes every queued batch into a single record, writes it, fsyncs it (policy permitting) and
 * only then resolves all of those writers - so concurrent writes share one fsync.
 *
 * On open every segment is read in order; a record that is short, longer than the file, or fails
 * its CRC ends that segment: the file is truncated there (a torn tail from a crash mid-append),
 * counted and logged, and replay goes on with the next segment.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

export type FsyncPolicy = 'always' | 'batch' | 'none';

export interface StoreLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SegmentMeta {
  readonly seq: number;
  readonly file: string;
  bytes: number;
  /** Smallest and largest point timestamp in the segment (ms); +/-Infinity when empty. */
  minTs: number;
  maxTs: number;
  readonly createdAt: number;
}

export interface RecoveryReport {
  segments: number;
  records: number;
  tornTails: number;
  bytesTruncated: number;
}

/** What the WAL needs from its owner: turn batches into a payload, and learn what was durable. */
export interface WalHooks<B> {
  /** `freshSegment`: the record opens a new segment (per-segment state must start over). */
  encode(batches: readonly B[], freshSegment: boolean): { payload: Uint8Array; minTs: number; maxTs: number };
  /** Called in order, after the record holding `batches` is durable and before writers resolve. */
  durable(batches: readonly B[]): void;
  /** Replays one record of a segment at open; throws if the payload is unusable. */
  replay(
    payload: Uint8Array,
    segment: SegmentMeta,
    firstRecordOfSegment: boolean,
  ): { minTs: number; maxTs: number };
}

export interface WalOptions {
  readonly dir: string;
  readonly fsync: FsyncPolicy;
  readonly maxSegmentBytes: number;
  readonly maxSegmentAgeMs: number;
  readonly clock: () => number;
  readonly logger: StoreLogger | undefined;
}

export class WalError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

const MAGIC = Buffer.from('OTSDBWAL', 'latin1');
const VERSION = 1;
export const HEADER_BYTES = 16;
const FRAME_BYTES = 8;
/** A record longer than this is garbage, not data (a flush is bounded far below it). */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;
const SEGMENT_NAME = /^(\d{20})\.seg$/;

interface Pending<B> {
  batch: B;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class WriteAheadLog<B> {
  private readonly options: WalOptions;
  private readonly hooks: WalHooks<B>;
  private readonly segments: SegmentMeta[];
  private nextSeq: number;
  private active: { meta: SegmentMeta; handle: FileHandle } | undefined;
  private freshSegment = true;
  private mustRoll = false;
  private failure: Error | undefined;
  private queue: Pending<B>[] = [];
  private flushing: Promise<void> | undefined;
  private lock: Promise<void> = Promise.resolve();
  private closed = false;
  fsyncs = 0;
  records = 0;

  private constructor(options: WalOptions, hooks: WalHooks<B>, segments: SegmentMeta[], nextSeq: number) {
    this.options = options;
    this.hooks = hooks;
    this.segments = segments;
    this.nextSeq = nextSeq;
  }

  /** Reads every segment (replaying records through `hooks.replay`) and returns the log. */
  static async open<B>(
    options: WalOptions,
    hooks: WalHooks<B>,
  ): Promise<{ wal: WriteAheadLog<B>; report: RecoveryReport }> {
    await mkdir(options.dir, { recursive: true });
    const names = (await readdir(options.dir)).filter((n) => SEGMENT_NAME.test(n)).sort();
    const report: RecoveryReport = { segments: 0, records: 0, tornTails: 0, bytesTruncated: 0 };
    const segments: SegmentMeta[] = [];
    let maxSeq = 0;
    for (const name of names) {
      const seq = Number(SEGMENT_NAME.exec(name)![1]);
      maxSeq = Math.max(maxSeq, seq);
      const file = join(options.dir, name);
      const meta = await replaySegment(file, seq, options, hooks, report);
      if (meta !== undefined) segments.push(meta);
    }
    report.segments = segments.length;
    return { wal: new WriteAheadLog(options, hooks, segments, maxSeq + 1), report };
  }

  /** Resolves once `batch` is in a durable record (per the fsync policy); rejects on I/O failure. */
  append(batch: B): Promise<void> {
    if (this.closed) return Promise.reject(new WalError('closed', 'the local store is closed'));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      if (this.flushing === undefined) this.flushing = this.flushLoop();
    });
  }

  get pending(): number {
    return this.queue.length;
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  segmentList(): readonly SegmentMeta[] {
    return this.segments;
  }

  get bytes(): number {
    let b = 0;
    for (const s of this.segments) b += s.bytes;
    return b;
  }

  /**
   * Deletes every closed segment whose newest point is older than `cutoff`, and closes the
   * active segment when it is older than the roll age (so an idle log can expire too).
   */
  expire(cutoff: number): Promise<number> {
    return this.exclusive(async () => {
      const active = this.active;
      if (
        active !== undefined &&
        this.options.clock() - active.meta.createdAt >= this.options.maxSegmentAgeMs
      ) {
        await this.closeActive();
      }
      let deleted = 0;
      for (const seg of [...this.segments]) {
        if (this.active?.meta === seg) continue;
        if (seg.maxTs >= cutoff) continue;
        await unlink(seg.file).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        });
        this.segments.splice(this.segments.indexOf(seg), 1);
        deleted++;
      }
      if (deleted > 0) syncDir(this.options.dir);
      return deleted;
    });
  }

  /** Waits for queued writes, then syncs and closes the active segment. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing !== undefined) await this.flushing;
    await this.exclusive(() => this.closeActive()).catch(() => undefined);
  }

  /** Runs `fn` alone: appends, rolls, expiry and close never interleave on the active file. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async flushLoop(): Promise<void> {
    try {
      // Let every write issued in the same tick join the first record.
      await Promise.resolve();
      while (this.queue.length > 0) {
        // 'always' gives every write its own fsync; otherwise one record takes all that queued.
        const items = this.options.fsync === 'always' ? this.queue.splice(0, 1) : this.queue.splice(0);
        try {
          await this.exclusive(() => this.writeRecord(items.map((i) => i.batch)));
        } catch (e) {
          for (const item of items) item.reject(e as Error);
          continue;
        }
        for (const item of items) item.resolve();
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async writeRecord(batches: B[]): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const now = this.options.clock();
    const a = this.active;
    if (
      a === undefined ||
      this.mustRoll ||
      a.meta.bytes >= this.options.maxSegmentBytes ||
      now - a.meta.createdAt >= this.options.maxSegmentAgeMs
    ) {
      await this.roll();
    }
    const active = this.active!;
    const { payload, minTs, maxTs } = this.hooks.encode(batches, this.freshSegment);
    this.freshSegment = false;
    const frame = Buffer.allocUnsafe(FRAME_BYTES + payload.length);
    frame.writeUInt32LE(payload.length, 0);
    frame.writeUInt32LE(crc32(payload), 4);
    frame.set(payload, FRAME_BYTES);
    try {
      await writeAll(active.handle, frame);
      if (this.options.fsync !== 'none') {
        await active.handle.datasync();
        this.fsyncs++;
      }
    } catch (e) {
      await this.afterWriteError(active, e as Error);
      throw new WalError('io', 'writing the local store failed: ' + (e as Error).message, { cause: e });
    }
    active.meta.bytes += frame.length;
    if (minTs < active.meta.minTs) active.meta.minTs = minTs;
    if (maxTs > active.meta.maxTs) active.meta.maxTs = maxTs;
    this.records++;
    this.hooks.durable(batches);
  }

  /**
   * A failed write may have left part of a record behind: cut the file back to its last good
   * record and start a new segment on the next write. A failed fsync leaves the file's state
   * unknown (the kernel may have dropped the dirty pages), so the log refuses further writes.
   */
  private async afterWriteError(
    active: { meta: SegmentMeta; handle: FileHandle },
    error: Error,
  ): Promise<void> {
    this.options.logger?.error({ err: error, file: active.meta.file }, 'local store write failed');
    try {
      await active.handle.truncate(active.meta.bytes);
      await active.handle.datasync();
      this.mustRoll = true;
    } catch (e) {
      this.failure = new WalError(
        'failed',
        'the local store could not recover from a write error and refuses writes until restarted: ' +
          (e as Error).message,
        { cause: e },
      );
    }
  }

  private async roll(): Promise<void> {
    await this.closeActive();
    const seq = this.nextSeq++;
    const file = join(this.options.dir, String(seq).padStart(20, '0') + '.seg');
    const handle = await open(file, 'wx');
    try {
      const header = Buffer.alloc(HEADER_BYTES);
      MAGIC.copy(header, 0);
      header.writeUInt32LE(VERSION, 8);
      await writeAll(handle, header);
      if (this.options.fsync !== 'none') {
        await handle.datasync();
        syncDir(this.options.dir);
      }
    } catch (e) {
      await handle.close().catch(() => undefined);
      await unlink(file).catch(() => undefined);
      throw e;
    }
    const meta = emptySegment(seq, file, this.options.clock());
    this.segments.push(meta);
    this.active = { meta, handle };
    this.freshSegment = true;
    this.mustRoll = false;
  }

  private async closeActive(): Promise<void> {
    const a = this.active;
    if (a === undefined) return;
    this.active = undefined;
    try {
      if (this.options.fsync !== 'none') await a.handle.datasync();
    } finally {
      await a.handle.close();
    }
  }
}

/** A segment holding only its header. */
function emptySegment(seq: number, file: string, createdAt: number): SegmentMeta {
  return {
    seq,
    file,
    bytes: HEADER_BYTES,
    minTs: Number.POSITIVE_INFINITY,
    maxTs: Number.NEGATIVE_INFINITY,
    createdAt,
  };
}

async function writeAll(handle: FileHandle, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await handle.write(buf, off, buf.length - off);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    off += bytesWritten;
  }
}

/** Makes a created or deleted directory entry durable. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on directories; the file data itself is already synced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function replaySegment<B>(
  file: string,
  seq: number,
  options: WalOptions,
  hooks: WalHooks<B>,
  report: RecoveryReport,
): Promise<SegmentMeta | undefined> {
  const data = await readFile(file);
  const createdAt = (await stat(file)).mtimeMs;
  if (data.length < HEADER_BYTES) {
    // Created but its header never made it to disk: nothing in it was ever acknowledged.
    options.logger?.warn({ file, bytes: data.length }, 'local store: removing segment with a torn header');
    report.tornTails++;
    report.bytesTruncated += data.length;
    await unlink(file);
    return undefined;
  }
  if (!data.subarray(0, 8).equals(MAGIC) || data.readUInt32LE(8) !== VERSION) {
    throw new WalError(
      'not_a_segment',
      `${file} is not a local store segment (bad magic or version); refusing to open this data directory`,
    );
  }
  const meta = emptySegment(seq, file, createdAt);
  let off = HEADER_BYTES;
  let reason: string | undefined;
  let first = true;
  while (off < data.length) {
    if (data.length - off < FRAME_BYTES) {
      reason = 'partial record header';
      break;
    }
    const len = data.readUInt32LE(off);
    if (len === 0 || len > MAX_RECORD_BYTES) {
      reason = `impossible record length ${len}`;
      break;
    }
    if (off + FRAME_BYTES + len > data.length) {
      reason = 'record runs past the end of the file';
      break;
    }
    const payload = data.subarray(off + FRAME_BYTES, off + FRAME_BYTES + len);
    if (crc32(payload) !== data.readUInt32LE(off + 4)) {
      reason = 'CRC mismatch';
      break;
    }
    let range: { minTs: number; maxTs: number };
    try {
      range = hooks.replay(payload, meta, first);
    } catch (e) {
      reason = 'undecodable record: ' + (e as Error).message;
      break;
    }
    first = false;
    if (range.minTs < meta.minTs) meta.minTs = range.minTs;
    if (range.maxTs > meta.maxTs) meta.maxTs = range.maxTs;
    off += FRAME_BYTES + len;
    report.records++;
  }
  if (reason !== undefined) {
    const cut = data.length - off;
    options.logger?.warn(
      { file, offset: off, bytesTruncated: cut, reason },
      'local store: cutting a torn or corrupt tail from a segment',
    );
    report.tornTails++;
    report.bytesTruncated += cut;
    const handle = await open(file, 'r+');
    try {
      await handle.truncate(off);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }
  meta.bytes = off;
  return meta;
}
