import type { AttemptResult } from './attempt-result.js';
import type { ClientError } from './errors.js';
import type { Endpoint } from './host-pool.js';

/**
 * Consecutive queued points sent together: `runs` are byte views holding `count` entries, telnet
 * lines (newline included) or JSON objects each followed by a comma. `firstSeq` is the queue
 * sequence number of the first point, which `flush()` waits on. A replay (telnet re-send after a
 * lost connection) has no owner.
 */
export interface Batch {
  readonly runs: readonly Buffer[];
  readonly count: number;
  readonly bytes: number;
  readonly firstSeq: number;
  readonly owner: unknown;
  readonly replay: boolean;
}

/** A point the TSD refused for good: what it echoed back and why. */
export interface RejectedPoint {
  /** The point as the TSD echoed it (HTTP `?details`), or undefined when it did not (telnet). */
  datapoint: unknown;
  error: string;
}

/** What the TSD did with a delivered batch. */
export interface DeliveryReport {
  accepted: number;
  rejected: number;
  errors: RejectedPoint[];
  /** `host:port` that answered; filled in by the client. */
  host?: string;
}

/** Notifications from a transport to the client (connection state, replies it could not attribute). */
export interface TransportHooks {
  onConnect(endpoint: Endpoint): void;
  /** `idle`: nothing was in flight or recently written (e.g. the TSD's idle timeout). */
  onDisconnect(endpoint: Endpoint, error: ClientError | undefined, idle: boolean): void;
  /** Telnet: batches written shortly before the connection died, to be written again. */
  onReplay(batches: Batch[]): void;
  /** Telnet: a line the TSD wrote back (OpenTSDB's `put: ...` errors). */
  onRemoteLine(endpoint: Endpoint, line: string): void;
}

export interface Transport {
  /** One attempt to hand `batch` to `endpoint`; the retry wrapper decides what happens next. */
  deliver(batch: Batch, endpoint: Endpoint, signal: AbortSignal): Promise<AttemptResult<DeliveryReport>>;
  /** Opens and closes a connection (TCP + TLS handshake) to check the host is reachable. */
  probe(endpoint: Endpoint): Promise<ClientError | undefined>;
  /** `host:port` of every open connection. */
  connectedHosts(): string[];
  /** Ends connections gracefully within `timeoutMs`, then destroys what is left. */
  close(timeoutMs: number): Promise<void>;
}
