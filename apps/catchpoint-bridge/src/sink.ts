import type { DataPoint } from '@otsdb/protocol';

/**
 * Where mapped points go. The composition root builds it from `@otsdb/client` (a bounded
 * queue with batching, retry and failover in front of a TSD), from a file in file mode, or a
 * null sink for benchmarks.
 *
 * `write` answers at once whether the points were taken. `accepted: false` means none of
 * them were (queue full, closed): the webhook then answers 503 so the Catchpoint node keeps
 * the push and retries it later, which makes Catchpoint's own retry schedule the buffer.
 */
export interface WriteResult {
  accepted: boolean;
  /** Why not, when not accepted: `queue_full`, `closed`, ... */
  reason?: string;
  /**
   * Accepted writes of a sink that `checksPoints`: how many of the points broke OpenTSDB's
   * rules and were left out (the others were taken). Absent means none.
   */
  invalid?: number;
}

export interface Sink {
  /**
   * True when `write` checks every point itself against the target's rules (what
   * `validatePoint` checks, with the same max tags and extra characters) and leaves out only
   * the bad ones, counting them in `invalid`. The ingest then does not check them first.
   */
  readonly checksPoints?: boolean;
  write(points: DataPoint[]): WriteResult | Promise<WriteResult>;
  /** Resolves when everything accepted so far was delivered or given up on. */
  flush(): Promise<void>;
  /** Flushes, then releases connections and files. Idempotent. */
  close(): Promise<void>;
}

/** Takes everything and keeps nothing: for benchmarks and dry runs. Counts what it got. */
export class NullSink implements Sink {
  points = 0;
  writes = 0;
  #closed = false;

  write(points: DataPoint[]): WriteResult {
    if (this.#closed) return { accepted: false, reason: 'closed' };
    this.writes++;
    this.points += points.length;
    return { accepted: true };
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.#closed = true;
  }
}
