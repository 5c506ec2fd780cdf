import type { AuthenticatorStats } from '@otsdb/auth';
import type { DataPoint, Tags } from '@otsdb/protocol';
import type { BackendStats } from './backends/backend.js';
import type { ConnectionLimit } from './limits/connection-limit.js';
import { REJECT_REASONS, type RejectReason } from './write-rules.js';

/**
 * The proxy's own counters. Plain fields, incremented inline on the hot path; snapshots and
 * points are built only when asked for (`/metrics`, `/api/stats`, telnet `stats`, the
 * periodic self-metrics points).
 */
export class SelfMetrics {
  readonly startedAt = Date.now();
  /** Telnet lines read (any command). */
  telnetLines = 0;
  telnetCommands = 0;
  /** Telnet error replies not written because the client was not reading them. */
  repliesSuppressed = 0;
  idleClosed = 0;
  tlsErrors = 0;
  httpRequests = 0;
  httpStatus = { '2xx': 0, '4xx': 0, '5xx': 0 };
  /** Points parsed from telnet lines and HTTP bodies. */
  pointsReceived = 0;
  /** Points handed to the backend. */
  pointsAccepted = 0;
  readonly rejected: Record<RejectReason, number> = Object.fromEntries(
    REJECT_REASONS.map((r) => [r, 0]),
  ) as Record<RejectReason, number>;
  authFailures = 0;
  readRequests = 0;

  readonly #connections: ConnectionLimit;

  constructor(connections: ConnectionLimit) {
    this.#connections = connections;
  }

  countStatus(status: number): void {
    this.httpRequests++;
    if (status < 400) this.httpStatus['2xx']++;
    else if (status < 500) this.httpStatus['4xx']++;
    else this.httpStatus['5xx']++;
  }

  snapshot(backend: BackendStats, auth: AuthenticatorStats | undefined): ProxyStats {
    return {
      uptimeSeconds: Math.floor((Date.now() - this.startedAt) / 1000),
      connections: {
        open: this.#connections.open,
        accepted: this.#connections.accepted,
        refused: this.#connections.refused,
        idleClosed: this.idleClosed,
        tlsErrors: this.tlsErrors,
      },
      telnet: {
        lines: this.telnetLines,
        commands: this.telnetCommands,
        repliesSuppressed: this.repliesSuppressed,
      },
      http: { requests: this.httpRequests, ...this.httpStatus, reads: this.readRequests },
      points: {
        received: this.pointsReceived,
        accepted: this.pointsAccepted,
        rejected: { ...this.rejected },
      },
      auth: { failures: this.authFailures, ...(auth === undefined ? {} : { authenticator: auth }) },
      backend,
    };
  }

  /** The counters as points `<prefix>.<name>` (OpenTSDB's own stats look the same: `tsd.*`). */
  points(snapshot: ProxyStats, prefix: string, tags: Tags, timestampSeconds: number): DataPoint[] {
    const out: DataPoint[] = [];
    const add = (name: string, value: number, extra?: Tags) => {
      out.push({
        metric: `${prefix}.${name}`,
        timestamp: timestampSeconds,
        value,
        tags: extra === undefined ? { ...tags } : { ...tags, ...extra },
      });
    };
    add('uptime', snapshot.uptimeSeconds);
    add('connections.open', snapshot.connections.open);
    add('connections.accepted', snapshot.connections.accepted);
    add('connections.refused', snapshot.connections.refused);
    add('connections.idle_closed', snapshot.connections.idleClosed);
    add('telnet.lines', snapshot.telnet.lines);
    add('http.requests', snapshot.http.requests);
    add('points.received', snapshot.points.received);
    add('points.accepted', snapshot.points.accepted);
    for (const reason of REJECT_REASONS) add('points.rejected', snapshot.points.rejected[reason], { reason });
    add('auth.failures', snapshot.auth.failures);
    add('backend.written', snapshot.backend.written);
    add('backend.failed', snapshot.backend.failed);
    add('backend.rejected', snapshot.backend.rejected);
    add('backend.queued', snapshot.backend.queued);
    return out;
  }
}

export interface ProxyStats {
  uptimeSeconds: number;
  connections: { open: number; accepted: number; refused: number; idleClosed: number; tlsErrors: number };
  telnet: { lines: number; commands: number; repliesSuppressed: number };
  http: { requests: number; '2xx': number; '4xx': number; '5xx': number; reads: number };
  points: { received: number; accepted: number; rejected: Record<RejectReason, number> };
  auth: { failures: number; authenticator?: AuthenticatorStats };
  backend: BackendStats;
}
