import type { DataPoint } from '@otsdb/protocol';

/**
 * A point the backend refused for good: by its index in the `write()` call when known, else as
 * the TSD echoed it (OpenTSDB's `?details` reply names points, not positions).
 */
export interface BackendRejection {
  index: number | undefined;
  datapoint: unknown;
  message: string;
}

/**
 * Outcome of one `write()`. `ok: true`: every point was taken (stored, or acknowledged by the TSD)
 * except the `rejected` ones, refused individually. `ok: false`: the points were not all
 * written; `status` is what an HTTP caller should get (503: try again later; 400/413: do not),
 * `accepted` how many were taken anyway (a write may fail half way).
 */
export type BackendWriteResult =
  | { ok: true; accepted: number; rejected: readonly BackendRejection[] }
  | { ok: false; status: number; code: string; message: string; accepted: number };

/**
 * Put lines ready to leave the proxy as they are: checked with the TSD's rules, credential tags
 * cut out, forced tags in place, each `put ...` ending in `\n`. Line `i` is
 * `data[ends[i - 1], ends[i])`, the first starting at 0.
 */
export interface LineBatch {
  readonly data: Buffer;
  readonly ends: Uint32Array;
  readonly count: number;
}

/** A read API request passed to the backend (credentials already removed). */
export interface ReadRequest {
  method: string;
  /** e.g. `/api/query`. */
  path: string;
  /** The query string with its leading `?`, or ''. */
  search: string;
  /** Allow-listed request headers (content-type, accept...). */
  headers: Record<string, string>;
  body: Uint8Array | undefined;
}

export interface ReadResponse {
  status: number;
  headers: Record<string, string>;
  /** The whole body, or a stream of it (pass-through). */
  body: string | Uint8Array | AsyncIterable<Uint8Array>;
}

export interface BackendStats {
  type: string;
  /** Points handed in by `write()`. */
  received: number;
  /** Points the backend took (stored / acknowledged). */
  written: number;
  /** Points refused individually by the backend (e.g. a TSD's 400 details). */
  rejected: number;
  /** Points of failed writes (outage, queue full, timeout). */
  failed: number;
  /** Points held and not yet written. */
  queued: number;
  /** Anything else the backend reports (client stats, store stats). */
  details?: unknown;
}

export interface Backend {
  readonly type: string;
  /**
   * Resolves once the points are taken (the TSD acknowledged, or the store made them durable),
   * or with why not. Never rejects. The caller hands over the array and its points.
   */
  write(points: DataPoint[]): Promise<BackendWriteResult>;
  /**
   * Present when the backend forwards put lines as they are (no point built per line): the
   * telnet listener then hands it lines instead of points. Same contract as `write()`; a
   * rejection's index is the line's.
   */
  writeLines?(batch: LineBatch): Promise<BackendWriteResult>;
  /** False while the backend's buffer is above its high-water mark: sources should pause. */
  readonly writable: boolean;
  /**
   * The most points one `write()` should carry so that it fits the backend's buffer beside
   * others; larger writes are split by the backend where it can. Absent: no limit.
   */
  readonly maxBatch?: number;
  /** Called when `writable` turns true again; returns an unsubscribe function. */
  onDrain(listener: () => void): () => void;
  /** Present when the backend serves OpenTSDB's read API. */
  handleRead?(request: ReadRequest): Promise<ReadResponse>;
  stats(): BackendStats;
  /** Flushes within `timeoutMs`, then releases everything. Idempotent. */
  close(timeoutMs: number): Promise<void>;
}

/** Counters every backend keeps the same way. */
export class BackendCounters {
  received = 0;
  written = 0;
  rejected = 0;
  failed = 0;

  record(points: number, result: BackendWriteResult): BackendWriteResult {
    this.received += points;
    if (result.ok) {
      this.written += points - result.rejected.length;
      this.rejected += result.rejected.length;
    } else {
      this.written += result.accepted;
      this.failed += points - result.accepted;
    }
    return result;
  }
}

/** A listener set for `onDrain`. */
export class DrainListeners {
  readonly #listeners = new Set<() => void>();

  add(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

export const NO_REJECTIONS: readonly BackendRejection[] = Object.freeze([]);
