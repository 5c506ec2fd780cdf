import { createWriteStream, type WriteStream } from 'node:fs';
import { type DataPoint, formatPutLine, type ProtocolOptions, parsePutLine } from '@otsdb/protocol';
import {
  type Backend,
  BackendCounters,
  type BackendRejection,
  type BackendStats,
  type BackendWriteResult,
  type LineBatch,
  NO_REJECTIONS,
} from './backend.js';

export interface MockBackendOptions {
  /** Append every accepted point to this file as a put line. */
  file?: string | undefined;
  /** Points kept in memory at most; beyond, the oldest are dropped (counted). Default 1 000 000. */
  maxRecords?: number;
  /**
   * Take put lines from the telnet listener as a forwarding backend does (`writeLines`), reading
   * them back into points to record them. Default true; false: points only.
   */
  lines?: boolean;
  /** The proxy's character and tag rules, to read the lines back. */
  protocolOptions?: ProtocolOptions;
}

/** A backend for tests: what it was given, in order, in memory and optionally in a file. */
export interface MockBackend extends Backend {
  /** Points received, oldest first (at most `maxRecords`). */
  readonly points: readonly DataPoint[];
  /** Points dropped from `points` to respect `maxRecords`. */
  readonly droppedRecords: number;
  clear(): void;
  /** Makes every following write fail with this status and message (an outage); undefined heals it. */
  failWith(failure: { status: number; message: string } | undefined): void;
}

/** opentsdb-proxy's `mock` backend: records instead of forwarding. */
export function createMockBackend(options: MockBackendOptions = {}): MockBackend {
  const maxRecords = options.maxRecords ?? 1_000_000;
  let points: DataPoint[] = [];
  let droppedRecords = 0;
  let failure: { status: number; message: string } | undefined;
  let closed = false;
  const counters = new BackendCounters();
  let stream: WriteStream | undefined;
  let streamError: Error | undefined;
  if (options.file !== undefined) {
    stream = createWriteStream(options.file, { flags: 'a' });
    stream.on('error', (error) => {
      streamError = error;
    });
  }

  const remember = (batch: DataPoint[]) => {
    if (maxRecords === 0) {
      droppedRecords += batch.length;
      return;
    }
    for (const p of batch) points.push(p);
    // Trim in steps of 10% so a full buffer does not shift the array on every write.
    if (points.length > maxRecords + Math.ceil(maxRecords / 10)) {
      const excess = points.length - maxRecords;
      droppedRecords += excess;
      points = points.slice(excess);
    }
  };

  const appendToFile = (batch: DataPoint[]): Promise<BackendWriteResult> => {
    let text = '';
    for (const p of batch) text += formatPutLine(p) + '\n';
    return new Promise((resolve) => {
      stream!.write(text, (error) => {
        if (error || streamError) {
          const message = `cannot append to ${options.file}: ${(error ?? streamError)!.message}`;
          resolve({ ok: false, status: 503, code: 'io_error', message, accepted: 0 });
        } else {
          remember(batch);
          resolve({ ok: true, accepted: batch.length, rejected: NO_REJECTIONS });
        }
      });
    });
  };

  const readBack: ProtocolOptions = { ...options.protocolOptions, tagsOptional: true, maxTags: 0x7fff };
  const backend: MockBackend = {
    type: 'mock',
    get writable() {
      return !closed && (stream === undefined || !stream.writableNeedDrain);
    },
    get points() {
      return points;
    },
    get droppedRecords() {
      return droppedRecords;
    },
    clear() {
      points = [];
      droppedRecords = 0;
    },
    failWith(next) {
      failure = next;
    },
    async write(batch: DataPoint[]): Promise<BackendWriteResult> {
      let result: BackendWriteResult;
      if (closed) {
        result = { ok: false, status: 503, code: 'closed', message: 'backend is closed', accepted: 0 };
      } else if (failure !== undefined) {
        result = {
          ok: false,
          status: failure.status,
          code: 'unavailable',
          message: failure.message,
          accepted: 0,
        };
      } else if (stream !== undefined) {
        result = await appendToFile(batch);
      } else {
        remember(batch);
        result = { ok: true, accepted: batch.length, rejected: NO_REJECTIONS };
      }
      return counters.record(batch.length, result);
    },
    onDrain(listener) {
      if (stream === undefined) return () => undefined;
      stream.on('drain', listener);
      return () => stream?.off('drain', listener);
    },
    stats(): BackendStats {
      return {
        type: 'mock',
        received: counters.received,
        written: counters.written,
        rejected: counters.rejected,
        failed: counters.failed,
        queued: stream?.writableLength ?? 0,
        details: { records: points.length, droppedRecords },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (stream !== undefined) {
        const s = stream;
        await new Promise<void>((resolve) => s.end(() => resolve()));
      }
    },
  };
  if (options.lines !== false) {
    backend.writeLines = async (batch: LineBatch): Promise<BackendWriteResult> => {
      const points: DataPoint[] = [];
      const unreadable: BackendRejection[] = [];
      let start = 0;
      for (let i = 0; i < batch.count; i++) {
        const end = batch.ends[i]!;
        const parsed = parsePutLine(batch.data.toString('utf8', start, end), readBack);
        // The listener sends only lines it checked: one that does not read back is reported.
        if (parsed.ok) points.push(parsed.point);
        else
          unreadable.push({
            index: i,
            datapoint: undefined,
            message: `unreadable line: ${parsed.error.message}`,
          });
        start = end;
      }
      const result = await backend.write(points);
      if (unreadable.length === 0 || !result.ok) return result;
      return { ok: true, accepted: result.accepted, rejected: [...result.rejected, ...unreadable] };
    };
  }
  return backend;
}
