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
 */
export class ClientSink implements Sink {
  readonly #client: Client;
  readonly #closeTimeoutMs: number;
  readonly #logger: Logger | undefined;
  #closing = false;
  /** Points of admitted pushes the client still refused (validation or a full queue). */
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
    if (!this.#client.writable) return { accepted: false, reason: 'queue_full' };
    for (const p of points) {
      const r = this.#client.sendPoint(p);
      if (!r.ok) {
        this.refusedPoints++;
        if (this.refusedPoints <= 10) {
          this.#logger?.warn(
            { metric: p.metric, code: r.error.code, reason: r.error.message },
            'point refused by the client',
          );
        }
      }
    }
    return { accepted: true };
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
