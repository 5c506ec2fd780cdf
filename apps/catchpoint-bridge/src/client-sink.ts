import type { Client } from '@otsdb/client';
import type { DataPoint } from '@otsdb/protocol';
import type { Logger } from 'pino';
import type { Sink, WriteResult } from './sink.js';

/**
 * The sink in front of a TSD: `@otsdb/client`'s bounded queue, batching, retry and failover.
 *
 * A push is admitted whole or not at all: while the client holds fewer points than its high
 * water mark (`writable`), every point of the push is queued and the webhook answers 200; above
 * it, nothing is queued and the webhook answers 503 so Catchpoint keeps the push and retries.
 * The client runs with drop policy `reject`, so the gap between the high water mark and
 * `maxQueue` (20 % by default) absorbs a push that arrives just under the mark, and queued
 * points are never dropped to make room.
 *
 * The client checks every point as it encodes it (OpenTSDB's rules with its `protocolOptions`,
 * the same `validatePoint` applies), so this sink `checksPoints`: a point the client refuses as
 * invalid is left out alone and counted in the write's `invalid`, and the ingest does not check
 * the points a second time.
 */
const ACCEPTED: WriteResult = Object.freeze({ accepted: true });

export class ClientSink implements Sink {
  readonly #client: Client;
  readonly #closeTimeoutMs: number;
  readonly #logger: Logger | undefined;
  #closing = false;
  readonly checksPoints = true;
  /** Points the client refused as invalid (a mapping bug; never expected). */
  invalidPoints = 0;
  /** Points of admitted pushes the client refused for room (queue full, closed): never expected. */
  refusedPoints = 0;

  constructor(client: Client, options: { closeTimeoutMs?: number; logger?: Logger | undefined } = {}) {
    this.#client = client;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
    this.#logger = options.logger;
  }

  get client(): Client {
    return this.#client;
  }

  write(points: DataPoint[]): WriteResult {
    if (this.#closing) return { accepted: false, reason: 'closed' };
    const client = this.#client;
    if (!client.writable) return { accepted: false, reason: 'queue_full' };
    let invalid = 0;
    for (let i = 0; i < points.length; i++) {
      const r = client.sendPoint(points[i]!);
      if (!r.ok) invalid += this.#refused(points[i]!, r.error);
    }
    return invalid === 0 ? ACCEPTED : { accepted: true, invalid };
  }

  /** Counts and logs (the first ten of each kind) a point the client did not take; 1 when invalid. */
  #refused(p: DataPoint, error: { code: string; message: string }): number {
    const room = error.code === 'queue_full' || error.code === 'closed';
    const n = room ? ++this.refusedPoints : ++this.invalidPoints;
    if (n <= 10) {
      this.#logger?.[room ? 'error' : 'warn'](
        { metric: p.metric, code: error.code, reason: error.message },
        room ? 'point of an admitted push refused by the client' : 'mapped point refused as invalid',
      );
    }
    return room ? 0 : 1;
  }

  async flush(): Promise<void> {
    await this.#client.flush();
  }

  async close(): Promise<void> {
    this.#closing = true;
    const r = await this.#client.close({ timeoutMs: this.#closeTimeoutMs });
    if (!r.ok)
      this.#logger?.warn({ abandoned: r.abandoned }, 'points not delivered before the shutdown deadline');
  }
}
