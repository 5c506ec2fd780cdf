import type { DataPoint, Tags } from '@otsdb/protocol';

/** Why a push was not taken; each is counted and reported as `catchpoint.bridge.rejected{reason=…}`. */
export type RejectReason =
  | 'unauthorized'
  | 'not_found'
  | 'method_not_allowed'
  | 'unsupported_media_type'
  | 'too_large'
  | 'invalid_json'
  | 'invalid_payload'
  | 'queue_full'
  | 'sink_error'
  | 'shutting_down'
  | 'aborted';

export interface MetricsSnapshot {
  received: number;
  accepted: number;
  rejected: Partial<Record<RejectReason, number>>;
  pointsQueued: number;
  pointsTruncated: number;
  pointsInvalid: number;
  unknownNodes: number;
  nodeRefreshes: { ok: number; error: number };
  selfMetricsDropped: number;
}

/**
 * The bridge's own counters. Cumulative since start (so `rate()` works on them), shown on
 * `/health` and written as points `catchpoint.bridge.*` through the same sink as the data.
 */
export class BridgeMetrics {
  received = 0;
  accepted = 0;
  pointsQueued = 0;
  pointsTruncated = 0;
  /** Mapped points `validatePoint` refused: a mapping bug, logged for the first ten. */
  pointsInvalid = 0;
  unknownNodes = 0;
  refreshOk = 0;
  refreshError = 0;
  selfMetricsDropped = 0;
  readonly #rejected = new Map<RejectReason, number>();

  reject(reason: RejectReason): void {
    this.#rejected.set(reason, (this.#rejected.get(reason) ?? 0) + 1);
  }

  rejected(reason: RejectReason): number {
    return this.#rejected.get(reason) ?? 0;
  }

  snapshot(): MetricsSnapshot {
    return {
      received: this.received,
      accepted: this.accepted,
      rejected: Object.fromEntries(this.#rejected) as Partial<Record<RejectReason, number>>,
      pointsQueued: this.pointsQueued,
      pointsTruncated: this.pointsTruncated,
      pointsInvalid: this.pointsInvalid,
      unknownNodes: this.unknownNodes,
      nodeRefreshes: { ok: this.refreshOk, error: this.refreshError },
      selfMetricsDropped: this.selfMetricsDropped,
    };
  }

  /**
   * The counters as points at `timestamp` (ms), each with `tags` (at least one: OpenTSDB
   * needs one; the composition root passes `host=<hostname>`). `nodes` is the size of the
   * node list in use, a gauge.
   */
  toPoints(timestamp: number, tags: Tags, nodes: number): DataPoint[] {
    const p = (metric: string, value: number, extra?: Tags): DataPoint => ({
      metric: `catchpoint.bridge.${metric}`,
      timestamp,
      value,
      tags: extra ? { ...tags, ...extra } : { ...tags },
    });
    const points = [
      p('received', this.received),
      p('accepted', this.accepted),
      p('points_queued', this.pointsQueued),
      p('points_truncated', this.pointsTruncated),
      p('points_invalid', this.pointsInvalid),
      p('unknown_nodes', this.unknownNodes),
      p('node_refreshes', this.refreshOk, { result: 'ok' }),
      p('node_refreshes', this.refreshError, { result: 'error' }),
      p('nodes', nodes),
      p('self_metrics_dropped', this.selfMetricsDropped),
    ];
    for (const [reason, n] of [...this.#rejected].sort(([a], [b]) => (a < b ? -1 : 1))) {
      points.push(p('rejected', n, { reason }));
    }
    return points;
  }
}
