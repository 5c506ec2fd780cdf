import { readFileSync } from 'node:fs';
import type { Client, ClientOptions, ClientStats } from '@otsdb/client';
import { type DataPoint, formatPutLine } from '@otsdb/protocol';
import type { Logger } from 'pino';
import type { AgentConfig, Credentials } from './config.js';
import type { PointSink } from './line-pipeline.js';

/**
 * Where the pipeline's points go: the TSD through @otsdb/client, or standard output with
 * --dry-run. Both are bounded in points and bytes; when full, points are dropped by the configured
 * policy (default tcollector's: the newest, so what is buffered is delivered in order once the
 * TSD is back) and counted.
 */

export interface SinkStats {
  /** Points taken. */
  accepted: number;
  /** Points refused because the buffer was full (points or bytes bound). */
  dropped: number;
  /** Points the client refused as invalid (should not happen: the pipeline validated them). */
  invalid: number;
  /** Points held right now (queued or in flight). */
  held: number;
  /** The client's own counters (undefined for --dry-run). */
  client: ClientStats | undefined;
}

export interface AgentSink extends PointSink {
  stats(): SinkStats;
  /** Delivers what is held within the deadline and releases connections; what is left is abandoned. */
  close(timeoutMs: number): Promise<{ ok: boolean; abandoned: number }>;
}

/**
 * The TSD through @otsdb/client. The client bounds its queue in points and bytes and applies the
 * drop policy; this adapter counts what it refused and logs drops once per interval.
 */
export class ClientSink implements AgentSink {
  private accepted = 0;
  private dropped = 0;
  private invalid = 0;
  private lastDropLog = 0;
  private droppedSinceLog = 0;

  constructor(
    readonly client: Client,
    private readonly logger: Logger,
    private readonly logIntervalMs: number,
  ) {}

  write(point: DataPoint): boolean {
    const result = this.client.sendPoint(point);
    if (result.ok) {
      this.accepted++;
      return true;
    }
    if (result.error.code === 'queue_full') {
      this.dropped++;
      this.droppedSinceLog++;
      this.logDrops(false);
    } else {
      // The pipeline validated the point already: this is a disagreement worth seeing.
      this.invalid++;
    }
    return false;
  }

  stats(): SinkStats {
    const client = this.client.stats();
    return {
      accepted: this.accepted,
      // drop_oldest drops inside the client, after the point was taken: its count is the truth.
      dropped: Math.max(this.dropped, client.dropped),
      invalid: this.invalid,
      held: client.queued + client.inFlight,
      client,
    };
  }

  async close(timeoutMs: number): Promise<{ ok: boolean; abandoned: number }> {
    this.logDrops(true);
    const result = await this.client.close({ timeoutMs });
    return { ok: result.ok, abandoned: result.abandoned };
  }

  private logDrops(force: boolean): void {
    const now = Date.now();
    if (this.droppedSinceLog === 0 || (!force && now - this.lastDropLog < this.logIntervalMs)) return;
    this.logger.warn(
      { dropped: this.droppedSinceLog, total: this.dropped },
      `buffer full: dropped ${this.droppedSinceLog} points (the TSD is unreachable or too slow)`,
    );
    this.lastDropLog = now;
    this.droppedSinceLog = 0;
  }
}

/**
 * --dry-run: the put lines that would be sent, written to a stream in batches. Respects the
 * stream's backpressure; past the buffer bound, points are dropped and counted like in a real run.
 */
export class DryRunSink implements AgentSink {
  private pending: string[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  private blocked = false;
  private accepted = 0;
  private dropped = 0;
  private idle: (() => void)[] = [];

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly maxPoints: number,
    private readonly maxBytes: number,
  ) {}

  write(point: DataPoint): boolean {
    const line = formatPutLine(point);
    // Bytes as written: UTF-8, with the newline.
    const bytes = Buffer.byteLength(line) + 1;
    if (this.pending.length >= this.maxPoints || this.pendingBytes + bytes > this.maxBytes) {
      this.dropped++;
      return false;
    }
    this.pending.push(line);
    this.pendingBytes += bytes;
    this.accepted++;
    if (!this.scheduled && !this.blocked) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
    return true;
  }

  stats(): SinkStats {
    return {
      accepted: this.accepted,
      dropped: this.dropped,
      invalid: 0,
      held: this.pending.length,
      client: undefined,
    };
  }

  close(timeoutMs: number): Promise<{ ok: boolean; abandoned: number }> {
    this.drain();
    if (this.pending.length === 0 && !this.blocked) return Promise.resolve({ ok: true, abandoned: 0 });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const abandoned = this.pending.length;
        this.pending = [];
        this.pendingBytes = 0;
        resolve({ ok: false, abandoned });
      }, timeoutMs);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve({ ok: true, abandoned: 0 });
      });
    });
  }

  private drain(): void {
    this.scheduled = false;
    if (this.blocked || this.pending.length === 0) {
      if (!this.blocked) this.notifyIdle();
      return;
    }
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    this.pendingBytes = 0;
    const more = this.out.write(text);
    if (!more) {
      this.blocked = true;
      this.out.once('drain', () => {
        this.blocked = false;
        this.drain();
      });
    } else {
      this.notifyIdle();
    }
  }

  private notifyIdle(): void {
    if (this.pending.length > 0) return;
    for (const fn of this.idle.splice(0)) fn();
  }
}

export function clientOptions(
  config: AgentConfig,
  credentials: Credentials | undefined,
  logger: Logger,
): ClientOptions {
  const s = config.sending;
  const tlsWanted = s.ssl;
  const tls = tlsWanted
    ? {
        ...(s.ca !== undefined ? { ca: readFileSync(s.ca) } : {}),
        ...(s.clientCert !== undefined ? { cert: readFileSync(s.clientCert) } : {}),
        ...(s.clientKey !== undefined ? { key: readFileSync(s.clientKey) } : {}),
        ...(s.tlsServerName !== undefined ? { servername: s.tlsServerName } : {}),
      }
    : false;
  return {
    hosts: s.hosts.map((h) => ({ host: h.host, port: h.port })),
    protocol: s.http ? 'http' : 'telnet',
    tls,
    hostPolicy: 'failover',
    // The pipeline adds host= (and every default tag) itself.
    hostTag: false,
    ...(credentials !== undefined ? { user: credentials.user, password: credentials.password } : {}),
    maxQueue: s.maxBufferPoints,
    maxQueueBytes: s.maxBufferBytes,
    dropPolicy: s.dropPolicy,
    ...(s.batchSize !== undefined ? { batchSize: s.batchSize } : {}),
    // Collectors print a few lines at a time: waiting a moment for a fuller batch saves most of
    // the writes (tcollector waited 5 s); shutdown and flush do not wait.
    lingerMs: s.batchLingerMs,
    path: s.httpApiPath,
    gzip: s.gzip,
    telnetTimestamps: s.telnetTimestamps,
    protocolOptions: { maxTags: config.lines.maxTags },
    logger: logger as unknown as NonNullable<ClientOptions['logger']>,
    logIntervalMs: config.statsIntervalMs,
  };
}
