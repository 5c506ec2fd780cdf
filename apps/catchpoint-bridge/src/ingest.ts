import type { DataPoint, ProtocolOptions } from '@otsdb/protocol';
import type { Logger } from 'pino';
import type { Mapper } from './mapping-options.js';
import type { NodeDirectory } from './node-directory.js';
import { type PayloadError, parsePush } from './payload.js';
import { PointGuard } from './point-guard.js';
import type { BridgeMetrics } from './self-metrics.js';
import type { Sink, WriteResult } from './sink.js';

/**
 * Source-independent half of the bridge: a decoded JSON document in, points into the sink,
 * an outcome out. The webhook turns the outcome into an HTTP status; file replay into a
 * count. Never throws.
 */
export type IngestOutcome =
  | { ok: true; points: number; unknownNode: boolean }
  | { ok: false; status: 400; reason: 'invalid_payload'; message: string; field: string }
  | { ok: false; status: 503; reason: 'queue_full' | 'shutting_down' | 'sink_error'; message: string };

export interface IngestOptions {
  directory: NodeDirectory;
  mapper: Mapper;
  sink: Sink;
  metrics: BridgeMetrics;
  /** Called with the node id of a push the node list does not know (rate limiting is the callee's). */
  onUnknownNode?: (nodeId: number) => void;
  /**
   * The target's rules (max tags, extra characters). Every mapped point is checked with
   * `validatePoint` before it reaches the sink; one that fails (a mapping bug, never bad input:
   * the mapping sanitises) is dropped and counted, so one bad point cannot fail a whole batch.
   * A sink that `checksPoints` (the client sink: `@otsdb/client` checks each point as it
   * encodes it) does that itself, with the client's rules, and reports how many it left out.
   */
  protocol?: ProtocolOptions;
  logger?: Logger | undefined;
}

export class Ingest {
  readonly #o: IngestOptions;
  readonly #guard: PointGuard;

  constructor(options: IngestOptions) {
    this.#o = options;
    this.#guard = new PointGuard(options.protocol);
  }

  /** Sync when the sink answers synchronously, so the hot path allocates no promise. */
  accept(body: unknown): IngestOutcome | Promise<IngestOutcome> {
    const { directory, mapper, sink, metrics } = this.#o;
    const parsed = parsePush(body);
    if (!parsed.ok) return this.#invalid(parsed.error);
    const push = parsed.push;
    const node = directory.get(push.nodeId);
    if (node === undefined) {
      metrics.unknownNodes++;
      this.#o.onUnknownNode?.(push.nodeId);
    }
    const mapped = mapper(push, node);
    metrics.pointsTruncated += mapped.truncated;
    const points = sink.checksPoints === true ? mapped.points : this.#valid(mapped.points);
    let result: WriteResult | Promise<WriteResult>;
    try {
      result = sink.write(points);
    } catch (err) {
      return this.#sinkError(err);
    }
    const unknownNode = node === undefined;
    if (result instanceof Promise) {
      return result.then(
        (r) => this.#written(r, points.length, unknownNode),
        (err: unknown) => this.#sinkError(err),
      );
    }
    return this.#written(result, points.length, unknownNode);
  }

  #valid(points: DataPoint[]): DataPoint[] {
    let kept: DataPoint[] | undefined;
    for (let i = 0; i < points.length; i++) {
      const error = this.#guard.check(points[i]!);
      if (error === undefined) {
        kept?.push(points[i]!);
        continue;
      }
      kept ??= points.slice(0, i);
      this.#o.metrics.pointsInvalid++;
      if (this.#o.metrics.pointsInvalid <= 10) {
        this.#o.logger?.error(
          { metric: points[i]!.metric, code: error.code, reason: error.message },
          'mapped point dropped',
        );
      }
    }
    return kept ?? points;
  }

  #invalid(error: PayloadError): IngestOutcome {
    this.#o.metrics.reject('invalid_payload');
    return { ok: false, status: 400, reason: 'invalid_payload', message: error.message, field: error.field };
  }

  #written(r: WriteResult, points: number, unknownNode: boolean): IngestOutcome {
    const { metrics } = this.#o;
    if (r.accepted) {
      const invalid = r.invalid ?? 0;
      metrics.accepted++;
      metrics.pointsQueued += points - invalid;
      metrics.pointsInvalid += invalid;
      return { ok: true, points: points - invalid, unknownNode };
    }
    const reason = r.reason === 'closed' ? 'shutting_down' : 'queue_full';
    metrics.reject(reason);
    return {
      ok: false,
      status: 503,
      reason,
      message: `the sender did not take the points (${r.reason ?? 'queue full'}); retry later`,
    };
  }

  #sinkError(err: unknown): IngestOutcome {
    this.#o.metrics.reject('sink_error');
    this.#o.logger?.error({ err }, 'sink write failed');
    return { ok: false, status: 503, reason: 'sink_error', message: 'the sender failed; retry later' };
  }
}
