import { EventEmitter } from 'node:events';
import {
  type DataPoint,
  type MetricValue,
  type PointError,
  type PointErrorCode,
  type ProtocolOptions,
  parseCollectorLine,
  parsePutLine,
  type Tags,
  validatePoint,
} from '@otsdb/protocol';
import { type AttemptResult, retryable } from './attempt-result.js';
import { EntryQueue, type EntryWriter } from './entry-queue.js';
import { JsonEntryWriter, TelnetLineWriter } from './entry-writer.js';
import { ClientError, describeCause } from './errors.js';
import { type Endpoint, HostPool } from './host-pool.js';
import { HttpTransport } from './http-transport.js';
import { JsonLineEncoder } from './json-lines.js';
import { IntervalLog, type Logger } from './logger.js';
import {
  type ClientOptions,
  type CreateClientOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.js';
import { redactText } from './redact.js';
import { retry } from './retry.js';
import { TelnetTransport } from './telnet-transport.js';
import { TokenBucket } from './token-bucket.js';
import type { Batch, DeliveryReport, RejectedPoint, Transport, TransportHooks } from './transport.js';

/** Why `send()` did not take a point: a validation error (OpenTSDB's wording) or the queue state. */
export interface SendError {
  code: PointErrorCode | 'queue_full' | 'closed';
  message: string;
}

/** `send()`'s answer, given at once. Network trouble never shows here: it is the sender's job. */
export type SendResult = { ok: true } | { ok: false; error: SendError };

export interface SendOptions {
  /** Seconds (10 digits) or milliseconds (13 digits). Default: now (whole seconds on telnet, ms on HTTP). */
  timestamp?: number;
}

/** A point of a `write()` call that failed validation, by its index in the array. */
export interface InvalidPoint {
  index: number;
  error: PointError;
}

/**
 * Outcome of a `write()` transaction. `ok: true` means every point reached the TSD (HTTP: 2xx;
 * telnet: written) except the `rejected` ones the TSD refused individually (HTTP `?details`).
 * `ok: false` means some points were not delivered: the error says why (refused batch, queue
 * full, invalid points, dropped, client closed); `accepted` still counts those that were.
 */
export type WriteResult =
  | { ok: true; accepted: number; rejected: number; errors: RejectedPoint[] }
  | {
      ok: false;
      error: ClientError;
      accepted: number;
      rejected: number;
      errors: RejectedPoint[];
      invalid: InvalidPoint[];
    };

export type FlushResult = { ok: true } | { ok: false; error: ClientError };

export interface CloseOptions {
  /** Time allowed for flushing and ending connections. Default 10 000 ms. */
  timeoutMs?: number;
}

export interface CloseResult {
  /** True when everything queued was delivered before the deadline. */
  ok: boolean;
  /** Points still undelivered when the deadline passed (also counted in `stats().abandoned`). */
  abandoned: number;
}

export interface ClientStats {
  /** Waiting in the queue. */
  queued: number;
  /** Taken from the queue and being delivered or retried (telnet re-sends included). */
  inFlight: number;
  /** Handed to a TSD: written (telnet) or acknowledged with 2xx (HTTP). Re-sends count again. */
  sent: number;
  /** Refused by a TSD for good: per-point rejects, `put:` error replies, refused batches. */
  rejected: number;
  /** Discarded because the queue was full (policies drop_oldest / drop_newest). */
  dropped: number;
  /** Refused at the door because the queue was full (policy reject, and `write()`). */
  refused: number;
  /** Refused by validation. */
  invalid: number;
  /** Delivery attempts repeated after a retryable failure. */
  retries: number;
  /** Transport failures: connect errors, lost connections, timeouts, 429/5xx answers. */
  errors: number;
  /** Telnet points written again after a connection died shortly after writing them. */
  replayed: number;
  /** Points given up at close because the deadline passed. */
  abandoned: number;
  /** `host:port` of the open connections. */
  connected: string[];
  /** `host:port` of the host that took the last batch. */
  host: string | undefined;
}

export interface RejectedEvent {
  /** `host:port` that refused. */
  host: string;
  count: number;
  /** The TSD's reasons, per point when it gave them. */
  errors: RejectedPoint[];
  /** Set when a whole batch was refused (e.g. 401, 413), with the status in `error.status`. */
  error?: ClientError;
}

export interface ClientEvents {
  /** Points the TSD refused for good (never retried). */
  rejected: [event: RejectedEvent];
  /** `writable` is true again after having been false. */
  drain: [];
  connect: [event: { host: string }];
  disconnect: [event: { host: string; error: ClientError | undefined }];
}

export interface WriteLinesOptions {
  /**
   * The caller hands `data` over and never changes it afterwards: the client keeps views of it
   * until the lines are sent, instead of copying them (a Buffer; telnet clients that send lines
   * as they are). Default false.
   */
  handOver?: boolean;
}

interface Transaction {
  pending: number;
  accepted: number;
  rejected: number;
  errors: RejectedPoint[];
  error: ClientError | undefined;
  resolve(result: WriteResult): void;
}

interface FlushWaiter {
  target: number;
  resolve(result: FlushResult): void;
  timer: NodeJS.Timeout | undefined;
}

const OK: SendResult = Object.freeze({ ok: true }) as SendResult;
const NO_TAGS: Tags = Object.freeze({}) as Tags;
const TOO_LARGE: PointError = Object.freeze({
  code: 'line_too_long',
  message: 'point is too large to queue',
});
const FLUSH_OK: FlushResult = Object.freeze({ ok: true }) as FlushResult;
/** `stage` result when reading the point threw (the writers' own results are -1 and -2). */
const THREW = -3;
const READ_THREW: PointError = Object.freeze({
  code: 'invalid_line',
  message: 'not a valid point: reading it threw',
});

/**
 * Non-blocking OpenTSDB client: `send()` validates, encodes and queues a point and returns at
 * once; a background sender batches the queue to the TSDs over telnet or HTTP, with retry,
 * backoff, failover and a bounded queue. See README.md for the delivery guarantees.
 */
export class Client extends EventEmitter<ClientEvents> {
  private readonly o: ResolvedOptions;
  private readonly log: Logger;
  private readonly queue: EntryQueue<Transaction>;
  private readonly pool: HostPool;
  private readonly transport: Transport;
  private readonly bucket: TokenBucket | undefined;
  private readonly writer: EntryWriter;
  /** Why the writer refused a point validatePoint accepts (telnet: names extraChars let through). */
  private readonly unwritable: PointError;
  private readonly validation: ProtocolOptions;
  private readonly validationWithHost: ProtocolOptions;
  private readonly parseOptions: ProtocolOptions;
  private readonly hostLeavesNoRoom: boolean;
  private readonly timestampDivisor: number;
  private readonly abort = new AbortController();

  private readonly inFlight = new Set<Batch>();
  private inFlightPoints = 0;
  private readonly requeued: Batch[] = [];
  private requeuedPoints = 0;
  private active = 0;
  private readonly deliveries = new Set<Promise<void>>();
  private flushWaiters: FlushWaiter[] = [];

  private pumpScheduled = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private lingerDue = false;
  private rateTimer: NodeJS.Timeout | undefined;
  private needDrain = false;
  private closing = false;
  private stopped = false;
  private closePromise: Promise<CloseResult> | undefined;
  private lastHost: string | undefined;

  private readonly queueFull: SendResult;
  private readonly closedResult: SendResult;
  private readonly dropLog: IntervalLog;
  private readonly errorLog: IntervalLog;
  private readonly rejectLog: IntervalLog;
  private readonly invalidLog: IntervalLog;
  private readonly batchRejectLog: IntervalLog;
  private readonly counters = {
    sent: 0,
    rejected: 0,
    dropped: 0,
    refused: 0,
    invalid: 0,
    retries: 0,
    errors: 0,
    replayed: 0,
    abandoned: 0,
  };

  private readonly pumpBound = () => this.pump();
  /**
   * Whether `writeLines()` takes lines without building a point per line: over telnet (no host
   * tag, no gateway credentials, timestamps as-is) it sends them as they are, in one copy; over
   * HTTP (no host tag) it writes each plainly valid line straight into its /api/put entry.
   * Otherwise it parses them into points.
   */
  readonly forwardsLines: boolean;
  /** HTTP's line-to-entry encoder, when `forwardsLines`. */
  private readonly jsonLines: JsonLineEncoder | undefined;

  /** Builds a client without checking connectivity. Throws `ClientError('invalid_config')` on bad options. */
  constructor(options: ClientOptions) {
    super();
    const o = resolveOptions(options);
    this.o = o;
    this.log = o.logger;
    this.queue = new EntryQueue<Transaction>(o.maxQueue, o.maxQueueBytes);
    this.pool = new HostPool(o.endpoints, o.hostPolicy, o.hostCooldownMs);
    this.bucket =
      o.mps > 0 ? new TokenBucket(o.mps, Math.max(1, Math.min(o.batchSize, o.mps / 10))) : undefined;
    const maxTags = o.protocolOptions.maxTags ?? 8;
    this.validation = o.protocolOptions;
    // A point that gets the automatic host tag may carry one tag less and may come without any.
    this.validationWithHost = { ...o.protocolOptions, tagsOptional: true, maxTags: Math.max(1, maxTags - 1) };
    this.hostLeavesNoRoom = maxTags <= 1;
    this.parseOptions = { ...o.protocolOptions, tagsOptional: true };
    checkProtocolSettings(o);
    this.timestampDivisor = o.protocol === 'telnet' ? 1000 : 1;

    const hooks: TransportHooks = {
      onConnect: (endpoint) => this.onConnect(endpoint),
      onDisconnect: (endpoint, error, idle) => this.onDisconnect(endpoint, error, idle),
      onReplay: (batches) => this.onReplay(batches),
      onRemoteLine: (endpoint, line) => this.onRemoteLine(endpoint, line),
    };
    this.forwardsLines =
      o.protocol === 'telnet'
        ? o.user === undefined && o.hostTag === undefined && o.telnetTimestamps === 'as-is'
        : o.hostTag === undefined;
    this.jsonLines =
      o.protocol === 'http' && this.forwardsLines ? new JsonLineEncoder(o.protocolOptions) : undefined;
    if (o.protocol === 'telnet') {
      const suffix = o.user === undefined ? '' : ` user=${o.user} password=${o.password ?? ''}`;
      this.writer = new TelnetLineWriter(o.telnetTimestamps, suffix, o.protocolOptions);
      this.unwritable = {
        code: 'invalid_line',
        message:
          'a telnet put line cannot carry this point: a name holds a blank, a control character or "=" ' +
          '(protocolOptions.extraChars allows it, but they separate the words of a put line)',
      };
      this.transport = new TelnetTransport(
        {
          tls: o.tls,
          connectTimeoutMs: o.connectTimeoutMs,
          writeTimeoutMs: o.writeTimeoutMs,
          keepAliveMs: o.keepAliveMs,
          replayMs: o.telnetReplayMs,
          replayMaxPoints: o.maxQueue,
          replayMaxBytes: o.maxQueueBytes,
          backoff: o.backoff,
        },
        hooks,
      );
    } else {
      this.writer = new JsonEntryWriter(o.protocolOptions);
      this.unwritable = { code: 'invalid_line', message: 'not a valid /api/put datapoint' };
      this.transport = new HttpTransport(
        {
          tls: o.tls,
          requestPath: o.details ? o.path + (o.path.includes('?') ? '&details' : '?details') : o.path,
          headers: httpHeaders(o),
          gzip: o.gzip,
          connections: o.concurrency,
          connectTimeoutMs: o.connectTimeoutMs,
          requestTimeoutMs: o.requestTimeoutMs,
          keepAliveMs: o.keepAliveMs,
        },
        hooks,
      );
    }

    const policy = `maxQueue ${o.maxQueue}, policy ${o.dropPolicy}`;
    // Shared answers for the hot path: frozen, so one caller cannot change what another sees.
    this.queueFull = frozenFailure('queue_full', `queue full (${policy})`);
    this.closedResult = frozenFailure('closed', 'client is closed');
    this.dropLog = new IntervalLog(
      (count) =>
        this.log.warn(
          { dropped: count, total: this.counters.dropped },
          `queue full (${policy}): dropped ${count} points`,
        ),
      o.logIntervalMs,
    );
    this.errorLog = new IntervalLog(
      (count, sample) =>
        this.log.warn(
          { failures: count, retries: this.counters.retries },
          `delivery failed ${count} time(s), retrying: ${sample ?? ''}`,
        ),
      o.logIntervalMs,
    );
    this.rejectLog = new IntervalLog(
      (count, sample) =>
        this.log.warn(
          { rejected: count, total: this.counters.rejected },
          `TSD refused ${count} point(s): ${sample ?? ''}`,
        ),
      o.logIntervalMs,
    );
    this.batchRejectLog = new IntervalLog(
      (count, sample) =>
        this.log.error(
          { rejected: count },
          `TSD refused batches of ${count} point(s) for good: ${sample ?? ''}`,
        ),
      o.logIntervalMs,
    );
    this.invalidLog = new IntervalLog(
      (count, sample) =>
        this.log.warn({ invalid: count }, `refused ${count} invalid point(s): ${sample ?? ''}`),
      o.logIntervalMs,
    );
  }

  /**
   * Queues one point and returns at once; never throws for bad data or network trouble.
   * `tags` may be reused by the caller right after the call (the point is encoded here).
   */
  send(metric: string, value: MetricValue, tags?: Tags, options?: SendOptions): SendResult {
    if (this.closing) return this.closedResult;
    const timestamp = options?.timestamp ?? this.now();
    return this.accept({ metric, timestamp, value, tags: tags ?? NO_TAGS });
  }

  /** Queues a point that is already built (e.g. decoded elsewhere). Same rules as `send()`. */
  sendPoint(point: DataPoint): SendResult {
    if (this.closing) return this.closedResult;
    return this.accept(point);
  }

  /**
   * Queues a telnet `put ...` line or a tcollector-style line without `put`. The value text is
   * forwarded exactly as written. A trailing newline is ignored.
   */
  sendLine(line: string): SendResult {
    if (this.closing) return this.closedResult;
    if (typeof line !== 'string') {
      return this.invalidResult({
        code: 'invalid_line',
        message: `a line must be a string, got ${typeof line}`,
      });
    }
    let text = line;
    if (text.endsWith('\n')) text = text.slice(0, text.endsWith('\r\n') ? -2 : -1);
    const parsed = text.startsWith('put ')
      ? parsePutLine(text, this.parseOptions)
      : parseCollectorLine(text, this.parseOptions);
    if (!parsed.ok) return this.invalidResult(parsed.error);
    return this.accept(parsed.point, true);
  }

  /**
   * A transaction for callers that must only acknowledge what the TSD took (the proxy): resolves
   * once every point is delivered or has failed, never rejects. All-or-nothing admission: if any
   * point is invalid, or the queue cannot take all of them, nothing is queued and the result says
   * so at once (`invalid_point` / `queue_full`); older queued points are never dropped for it.
   */
  write(points: readonly DataPoint[]): Promise<WriteResult> {
    if (this.closing) return Promise.resolve(failed(new ClientError('closed', 'client is closed')));
    if (!Array.isArray(points)) {
      return Promise.resolve(failed(new ClientError('invalid_point', 'write() takes an array of points')));
    }
    if (points.length === 0) return Promise.resolve({ ok: true, accepted: 0, rejected: 0, errors: [] });
    const invalid: InvalidPoint[] = [];
    for (let i = 0; i < points.length; i++) {
      const error = this.validate(points[i]!);
      if (error !== undefined) invalid.push({ index: i, error });
    }
    if (invalid.length > 0) return Promise.resolve(this.invalidWrite(invalid, points.length));
    const n = points.length;
    if (this.heldPoints() + n > this.o.maxQueue)
      return Promise.resolve(this.refuseWrite(n, `${this.heldPoints()} of ${this.o.maxQueue} held`));
    const { promise, txn } = transaction(n);
    for (let i = 0; i < n; i++) {
      const point = points[i]!;
      let size: number;
      try {
        size = this.queue.append(this.writer, point, this.o.hostTag, txn);
      } catch {
        size = THREW; // a getter that threw now and not while validating
      }
      const problem = size < 0 ? this.refusal(size) : this.lineProblem(size, point);
      if (problem !== undefined) {
        this.queue.removeNewest(size < 0 ? i : i + 1);
        return Promise.resolve(this.invalidWrite([{ index: i, error: problem }], n));
      }
    }
    if (this.queue.overBytes) {
      this.queue.removeNewest(n);
      return Promise.resolve(
        this.refuseWrite(n, `queued bytes would exceed maxQueueBytes ${this.o.maxQueueBytes}`),
      );
    }
    if (this.heldPoints() >= this.o.highWaterMark) this.needDrain = true;
    this.schedulePump();
    return promise;
  }

  /**
   * `write()` for put lines that are encoded already: `count` lines in `data`, line `i` being
   * `data[ends[i - 1], ends[i])` (the first starts at 0), each `put ...` ending in `\n`, checked
   * with OpenTSDB's rules by the caller (protocol's `PutLineScreen` or `parsePutLine`). A gateway
   * forwards such lines without building a point per line: a telnet client that sends lines as
   * they are (no host tag, no credentials, timestamps as-is) queues the bytes in one copy,
   * checking only each line's frame and length; an HTTP client without a host tag writes each
   * line's /api/put entry from its bytes (`forwardsLines`). Any other client, or a write with a
   * line in an unusual form, parses the lines and writes the points. Same transaction and
   * admission as `write()`; an index in `invalid` is a line's.
   */
  writeLines(
    data: Uint8Array,
    ends: ArrayLike<number>,
    count: number,
    options?: WriteLinesOptions,
  ): Promise<WriteResult> {
    if (this.closing) return Promise.resolve(failed(new ClientError('closed', 'client is closed')));
    if (count === 0) return Promise.resolve({ ok: true, accepted: 0, rejected: 0, errors: [] });
    if (!this.forwardsLines) return this.writeParsedLines(data, ends, count);
    // A TSD's line limit binds telnet only: an /api/put entry has none.
    const max = this.jsonLines === undefined ? this.o.maxLineLength : 0;
    const invalid: InvalidPoint[] = [];
    const view = viewOf(data);
    let start = 0;
    for (let i = 0; i < count; i++) {
      const end = ends[i]!;
      const problem = lineFrameProblem(data, start, end, max, view);
      if (problem !== undefined) invalid.push({ index: i, error: problem });
      start = end;
    }
    if (invalid.length > 0) return Promise.resolve(this.invalidWrite(invalid, count));
    let handOver = options?.handOver === true && Buffer.isBuffer(data);
    if (this.jsonLines !== undefined) {
      // Over HTTP the entries are the lines rewritten; a line the encoder does not take (an
      // error, an unusual form) sends the whole write through the parser, which words it.
      const json = this.jsonLines.encode(data, ends, count);
      if (json === undefined) return this.writeParsedLines(data, ends, count);
      data = json.data;
      ends = json.ends;
      start = json.data.length;
      handOver = true;
    }
    if (this.heldPoints() + count > this.o.maxQueue)
      return Promise.resolve(this.refuseWrite(count, `${this.heldPoints()} of ${this.o.maxQueue} held`));
    if (this.queue.byteLength + start > this.o.maxQueueBytes) {
      return Promise.resolve(
        this.refuseWrite(count, `queued bytes would exceed maxQueueBytes ${this.o.maxQueueBytes}`),
      );
    }
    const { promise, txn } = transaction(count);
    const queued = handOver
      ? this.queue.adoptEncoded(data as Buffer, ends, count, txn)
      : this.queue.appendEncoded(data, ends, count, txn);
    if (!queued) {
      return Promise.resolve(this.refuseWrite(count, `${this.heldPoints()} of ${this.o.maxQueue} held`));
    }
    if (this.heldPoints() >= this.o.highWaterMark) this.needDrain = true;
    this.schedulePump();
    return promise;
  }

  /** `writeLines` for a client that must build each point (HTTP, host tag, credentials...). */
  private writeParsedLines(data: Uint8Array, ends: ArrayLike<number>, count: number): Promise<WriteResult> {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const points: DataPoint[] = [];
    const invalid: InvalidPoint[] = [];
    let start = 0;
    for (let i = 0; i < count; i++) {
      const end = ends[i]!;
      const problem = lineFrameProblem(bytes, start, end, 0);
      if (problem !== undefined) {
        invalid.push({ index: i, error: problem });
      } else {
        const parsed = parsePutLine(bytes.toString('utf8', start, end - 1), this.parseOptions);
        if (parsed.ok) points.push(parsed.point);
        else invalid.push({ index: i, error: parsed.error });
      }
      start = end;
    }
    if (invalid.length > 0) return Promise.resolve(this.invalidWrite(invalid, count));
    return this.write(points);
  }

  private invalidWrite(invalid: InvalidPoint[], total: number): WriteResult {
    this.counters.invalid += invalid.length;
    const first = invalid[0]!;
    const error = new ClientError(
      'invalid_point',
      `${invalid.length} of ${total} points are invalid; point ${first.index}: ${first.error.message}`,
    );
    return { ...failed(error), invalid };
  }

  private refuseWrite(count: number, why: string): WriteResult {
    this.counters.refused += count;
    this.needDrain = true;
    return failed(new ClientError('queue_full', `queue cannot take ${count} points: ${why}`));
  }

  /**
   * Resolves when everything queued before the call has been handed to a TSD (HTTP: 2xx; telnet:
   * written on a connection that was still up when the write completed), refused, or dropped by
   * the queue policy. With `timeoutMs` it gives up with a `timeout` error instead of waiting.
   */
  flush(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
    if (this.stopped)
      return Promise.resolve({ ok: false, error: new ClientError('closed', 'client is closed') });
    const target = this.queue.nextSeq;
    if (this.lowWater() >= target) return Promise.resolve(FLUSH_OK);
    return new Promise<FlushResult>((resolve) => {
      const waiter: FlushWaiter = { target, resolve, timer: undefined };
      if (options.timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          this.flushWaiters = this.flushWaiters.filter((w) => w !== waiter);
          resolve({
            ok: false,
            error: new ClientError('timeout', `flush did not complete within ${options.timeoutMs} ms`),
          });
        }, options.timeoutMs);
      }
      this.flushWaiters.push(waiter);
      this.schedulePump();
    });
  }

  /**
   * Stops taking points, flushes within `timeoutMs`, then ends connections and gives up what is
   * left (counted as `abandoned`). Idempotent: later calls return the same promise.
   */
  close(options: CloseOptions = {}): Promise<CloseResult> {
    if (this.closePromise) return this.closePromise;
    this.closing = true;
    const timeoutMs = options.timeoutMs ?? 10_000;
    this.closePromise = this.shutdown(timeoutMs);
    return this.closePromise;
  }

  /**
   * Opens (and closes) a connection to every host, TLS handshake included. The error names each
   * unreachable host and the cause.
   */
  async checkHosts(): Promise<{ ok: true } | { ok: false; error: ClientError }> {
    const endpoints = this.pool.endpoints;
    const results = await Promise.all(endpoints.map((e) => this.transport.probe(e)));
    const failures = results.filter((r): r is ClientError => r !== undefined);
    if (failures.length === 0) return { ok: true };
    const message = failures.map((f) => f.message).join('; ');
    return {
      ok: false,
      error: new ClientError('check_host_failed', message, { host: failures[0]!.host, cause: failures[0] }),
    };
  }

  /** False once the client holds `highWaterMark` points; a `drain` event follows when it is below half. */
  /** `telnet` or `http`, from the URL or options. */
  get protocol(): 'telnet' | 'http' {
    return this.o.protocol;
  }

  /** The most points the client holds (queued, in flight, waiting for a retry). */
  get maxQueue(): number {
    return this.o.maxQueue;
  }

  /** Points held now: what counts against `maxQueue`. */
  get held(): number {
    return this.heldPoints();
  }

  get writable(): boolean {
    return !this.closing && this.heldPoints() < this.o.highWaterMark;
  }

  stats(): ClientStats {
    return {
      queued: this.queue.length,
      inFlight: this.inFlightPoints + this.requeuedPoints,
      ...this.counters,
      connected: this.transport.connectedHosts(),
      host: this.lastHost,
    };
  }

  // ---- accepting points -------------------------------------------------------------------

  private now(): number {
    const ms = Date.now();
    return this.timestampDivisor === 1 ? ms : Math.floor(ms / this.timestampDivisor);
  }

  /**
   * Writes the point into the queue's buffer, checking it on the way (see entry-writer.ts), then
   * applies the queue policy and commits it. `validatePoint` runs only for points the writer could
   * not settle alone (non-ASCII names, bigints, value texts) and to word a refusal; `parsed`
   * points come from protocol's parser, which applied the same rules already.
   */
  private accept(point: DataPoint, parsed = false): SendResult {
    let size: number;
    try {
      size = this.queue.stage(this.writer, point, this.o.hostTag);
    } catch {
      size = THREW; // a getter or proxy that throws: validate() words it
    }
    if (size < 0 || !(parsed || this.writer.plain)) {
      const error = this.validate(point) ?? (size < 0 ? this.refusal(size) : undefined);
      if (error !== undefined) return this.invalidResult(error);
    }
    const problem = this.lineProblem(size, point);
    if (problem !== undefined) return this.invalidResult(problem);
    if (this.heldPoints() >= this.o.maxQueue && !this.makeRoom()) return this.queueFull;
    this.queue.commit();
    if (this.queue.overBytes && !this.shedBytes()) return this.queueFull;
    if (!this.needDrain && this.heldPoints() >= this.o.highWaterMark) this.needDrain = true;
    if (!this.pumpScheduled) this.schedulePump();
    return OK;
  }

  /** Why a point validatePoint accepts could still not be queued (`size` from the queue). */
  private refusal(size: number): PointError {
    if (size === -1) return TOO_LARGE;
    if (size === THREW) return READ_THREW;
    return this.unwritable;
  }

  private invalidResult(error: PointError): SendResult {
    this.counters.invalid++;
    this.invalidLog.record(1, redactText(error.message, this.o.secrets));
    return { ok: false, error };
  }

  /**
   * Validates with protocol's rules, the automatic host tag included (added unless the tags have
   * an own enumerable `host`, as the writers decide). Returns the point's error, or undefined for
   * a valid point; never throws.
   */
  private validate(point: DataPoint): PointError | undefined {
    if (point === null || typeof point !== 'object') {
      return {
        code: 'invalid_value',
        message: `a point must be an object, got ${point === null ? 'null' : typeof point}`,
      };
    }
    try {
      const tags = point.tags;
      const host =
        this.o.hostTag !== undefined &&
        tags !== null &&
        typeof tags === 'object' &&
        !Object.prototype.propertyIsEnumerable.call(tags, 'host')
          ? this.o.hostTag
          : undefined;
      let error =
        host !== undefined && this.hostLeavesNoRoom
          ? validatePoint({ ...point, tags: { ...tags, host } }, this.validation)
          : validatePoint(point, host === undefined ? this.validation : this.validationWithHost);
      if (error !== undefined && host !== undefined) {
        // Re-check with the host tag in place so the message counts tags the way the TSD would.
        error = validatePoint({ ...point, tags: { ...tags, host } }, this.validation) ?? error;
      }
      return error;
    } catch (err) {
      // Input no validator expects (a getter or proxy that throws): still an invalid point,
      // never an exception out of send().
      return { code: 'invalid_value', message: `not a valid point: ${describeCause(err)}` };
    }
  }

  /** A telnet line (credentials included, newline not) longer than the TSD takes. */
  private lineProblem(size: number, point: DataPoint): PointError | undefined {
    const max = this.o.maxLineLength;
    if (max === 0 || this.o.protocol !== 'telnet' || size - 1 <= max) return undefined;
    return {
      code: 'line_too_long',
      message: `put line is ${size - 1} bytes, longer than maxLineLength ${max} (metric ${point.metric})`,
    };
  }

  private heldPoints(): number {
    return this.queue.length + this.inFlightPoints + this.requeuedPoints;
  }

  /** The point just added took the queue over maxQueueBytes: apply the policy by bytes. */
  private shedBytes(): boolean {
    if (this.o.dropPolicy === 'drop_oldest') {
      while (this.queue.overBytes && this.queue.length > 1) this.dropOne();
      if (!this.queue.overBytes) return true;
    }
    this.queue.removeNewest(1);
    if (this.o.dropPolicy === 'reject') {
      this.counters.refused++;
    } else {
      this.counters.dropped++;
      this.dropLog.record();
    }
    this.needDrain = true;
    return false;
  }

  private dropOne(): void {
    const { dropped, owner } = this.queue.dropOldest();
    if (!dropped) return;
    this.counters.dropped++;
    this.dropLog.record();
    if (owner) this.settleOwner(owner, 1, 0, [], new ClientError('dropped', 'point dropped: queue full'));
    this.checkFlushWaiters();
  }

  /** Applies the drop policy for one new point; true when the new point may be queued. */
  private makeRoom(): boolean {
    this.needDrain = true;
    switch (this.o.dropPolicy) {
      case 'drop_oldest':
        if (this.queue.length === 0) {
          // Everything held is in flight: the new point is the one to go.
          this.counters.dropped++;
          this.dropLog.record();
          return false;
        }
        this.dropOne();
        return true;
      case 'drop_newest':
        this.counters.dropped++;
        this.dropLog.record();
        return false;
      default:
        this.counters.refused++;
        return false;
    }
  }

  // ---- the sender -------------------------------------------------------------------------

  private schedulePump(): void {
    if (this.pumpScheduled || this.stopped) return;
    this.pumpScheduled = true;
    setImmediate(this.pumpBound);
  }

  private pump(): void {
    this.pumpScheduled = false;
    while (!this.stopped && this.active < this.o.concurrency) {
      const batch = this.nextBatch();
      if (!batch) break;
      this.start(batch);
    }
  }

  private nextBatch(): Batch | undefined {
    const replay = this.requeued.shift();
    if (replay) {
      this.requeuedPoints -= replay.count;
      return replay;
    }
    const available = this.queue.length;
    if (available === 0) {
      this.lingerDue = false;
      return undefined;
    }
    if (
      available < this.o.batchSize &&
      this.o.lingerMs > 0 &&
      !this.lingerDue &&
      this.flushWaiters.length === 0 &&
      !this.closing
    ) {
      this.lingerTimer ??= setTimeout(() => {
        this.lingerTimer = undefined;
        this.lingerDue = true;
        this.pump();
      }, this.o.lingerMs);
      return undefined;
    }
    let max = Math.min(this.o.batchSize, available);
    if (this.bucket) {
      max = this.bucket.take(max);
      if (max === 0) {
        this.rateTimer ??= setTimeout(() => {
          this.rateTimer = undefined;
          this.pump();
        }, this.bucket.msUntilNext());
        return undefined;
      }
    }
    const firstSeq = this.queue.headSeq;
    const owner = this.queue.peekOwner();
    const taken = this.queue.take(max);
    if (this.bucket && taken.count < max) this.bucket.giveBack(max - taken.count);
    return { runs: taken.runs, count: taken.count, bytes: taken.bytes, firstSeq, owner, replay: false };
  }

  private start(batch: Batch): void {
    this.active++;
    this.inFlight.add(batch);
    this.inFlightPoints += batch.count;
    const delivery = this.deliver(batch);
    this.deliveries.add(delivery);
    void delivery.finally(() => this.deliveries.delete(delivery));
  }

  private async deliver(batch: Batch): Promise<void> {
    let result: AttemptResult<DeliveryReport>;
    try {
      result = await retry(() => this.attempt(batch), {
        backoff: this.o.backoff,
        signal: this.abort.signal,
        onRetry: (info) => {
          this.counters.retries++;
          this.log.debug(
            { retry: info.retry, delayMs: Math.round(info.delayMs) },
            `retrying: ${info.error.message}`,
          );
        },
      });
    } catch (err) {
      // A throwing transport is a bug; keep the sender alive and say what happened.
      this.log.error({ err }, 'unexpected error while delivering a batch');
      result = {
        kind: 'failure',
        error: new ClientError('connection_lost', `unexpected error: ${String(err)}`, { cause: err }),
      };
    }
    this.settle(batch, result);
  }

  private async attempt(batch: Batch): Promise<AttemptResult<DeliveryReport>> {
    const endpoint = this.pool.pick();
    const result = await this.transport.deliver(batch, endpoint, this.abort.signal);
    if (result.kind === 'success') {
      this.pool.markOk(endpoint);
      this.lastHost = endpoint.label;
      result.value.host = endpoint.label;
      return result;
    }
    if (result.kind === 'retryable' && !this.abort.signal.aborted) {
      this.counters.errors++;
      this.errorLog.record(1, redactText(result.error.message, this.o.secrets));
      this.pool.markFailed(endpoint);
      // Another host is ready: fail over at once instead of waiting out this one's backoff.
      if (this.pool.hasHealthyOther(endpoint)) return retryable(result.error, 0);
    }
    return result;
  }

  private settle(batch: Batch, result: AttemptResult<DeliveryReport>): void {
    const n = batch.count;
    this.active--;
    this.inFlight.delete(batch);
    this.inFlightPoints -= n;
    const owner = batch.replay ? undefined : (batch.owner as Transaction | undefined);
    if (result.kind === 'success') {
      const report = result.value;
      this.counters.sent += report.accepted;
      if (report.rejected > 0) {
        this.counters.rejected += report.rejected;
        const sample = report.errors[0]?.error ?? 'refused';
        this.rejectLog.record(report.rejected, redactText(sample, this.o.secrets));
        this.emit('rejected', { host: report.host ?? '', count: report.rejected, errors: report.errors });
      }
      if (owner) this.settleOwner(owner, report.accepted, report.rejected, report.errors, undefined, n);
    } else {
      const error = result.error;
      if (error.code === 'closed') {
        this.counters.abandoned += n;
      } else {
        this.counters.rejected += n;
        this.batchRejectLog.record(n, redactText(error.message, this.o.secrets));
        this.emit('rejected', { host: error.host ?? '', count: n, errors: [], error });
      }
      if (owner) this.settleOwner(owner, 0, error.code === 'closed' ? 0 : n, [], error, n);
    }
    this.checkFlushWaiters();
    this.checkDrain();
    if (!this.stopped) this.schedulePump();
  }

  private settleOwner(
    owner: Transaction,
    accepted: number,
    rejected: number,
    errors: RejectedPoint[],
    error: ClientError | undefined,
    points = accepted + rejected,
  ): void {
    owner.accepted += accepted;
    owner.rejected += rejected;
    if (errors.length > 0) owner.errors.push(...errors);
    if (error && !owner.error) owner.error = error;
    owner.pending -= points;
    if (owner.pending > 0) return;
    const { accepted: a, rejected: r, errors: e } = owner;
    owner.resolve(
      owner.error
        ? { ok: false, error: owner.error, accepted: a, rejected: r, errors: e, invalid: [] }
        : { ok: true, accepted: a, rejected: r, errors: e },
    );
  }

  private lowWater(): number {
    let low = this.queue.headSeq;
    for (const batch of this.inFlight) if (batch.firstSeq < low) low = batch.firstSeq;
    for (const batch of this.requeued) if (batch.firstSeq < low) low = batch.firstSeq;
    return low;
  }

  private checkFlushWaiters(): void {
    if (this.flushWaiters.length === 0) return;
    const low = this.lowWater();
    const still: FlushWaiter[] = [];
    for (const waiter of this.flushWaiters) {
      if (waiter.target <= low) {
        clearTimeout(waiter.timer);
        waiter.resolve(FLUSH_OK);
      } else {
        still.push(waiter);
      }
    }
    this.flushWaiters = still;
  }

  private checkDrain(): void {
    if (this.needDrain && !this.closing && this.heldPoints() <= this.o.lowWaterMark) {
      this.needDrain = false;
      this.emit('drain');
    }
  }

  // ---- transport notifications -----------------------------------------------------------

  private onConnect(endpoint: Endpoint): void {
    this.log.info({ host: endpoint.label }, `connected to ${endpoint.label}`);
    this.emit('connect', { host: endpoint.label });
  }

  private onDisconnect(endpoint: Endpoint, error: ClientError | undefined, idle: boolean): void {
    const reason = error ? redactText(error.message, this.o.secrets) : 'closed';
    if (idle) {
      this.log.info({ host: endpoint.label }, `idle connection to ${endpoint.label} closed: ${reason}`);
    } else {
      if (this.o.protocol === 'telnet') {
        // A telnet connection can die between batches, unseen by any attempt: count it, and let
        // the next batch prefer another host.
        this.counters.errors++;
        this.pool.markFailed(endpoint);
      }
      this.log.warn({ host: endpoint.label }, `disconnected from ${endpoint.label}: ${reason}`);
    }
    this.emit('disconnect', { host: endpoint.label, error });
  }

  private onReplay(batches: Batch[]): void {
    if (this.stopped) return;
    let points = 0;
    for (const batch of batches) {
      this.requeued.push({ ...batch, owner: undefined, replay: true });
      this.requeuedPoints += batch.count;
      points += batch.count;
    }
    this.counters.replayed += points;
    this.log.warn(
      { points },
      `connection lost within ${this.o.telnetReplayMs} ms of writing ${points} points: writing them again`,
    );
    this.schedulePump();
  }

  private onRemoteLine(endpoint: Endpoint, line: string): void {
    const text = redactText(line, this.o.secrets);
    this.counters.rejected++;
    this.rejectLog.record(1, `${endpoint.label}: ${text}`);
    this.emit('rejected', {
      host: endpoint.label,
      count: 1,
      errors: [{ datapoint: undefined, error: text }],
    });
  }

  // ---- shutdown ---------------------------------------------------------------------------

  private async shutdown(timeoutMs: number): Promise<CloseResult> {
    const deadline = Date.now() + timeoutMs;
    const flushed = await this.flush({ timeoutMs });
    this.stopped = true;
    clearTimeout(this.lingerTimer);
    clearTimeout(this.rateTimer);
    this.abort.abort(new ClientError('closed', 'client closed'));

    const closedError = new ClientError('closed', 'client closed before the point was delivered');
    let abandoned = 0;
    this.queue.clear((owner) => {
      abandoned++;
      if (owner) this.settleOwner(owner, 0, 0, [], closedError, 1);
    });
    for (const batch of this.requeued.splice(0)) abandoned += batch.count;
    this.requeuedPoints = 0;
    this.counters.abandoned += abandoned;

    await this.transport.close(Math.max(0, deadline - Date.now()));
    await Promise.all([...this.deliveries]);
    for (const waiter of this.flushWaiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve({
        ok: false,
        error: new ClientError('closed', 'client closed before the flush completed'),
      });
    }
    this.dropLog.flush();
    this.errorLog.flush();
    this.rejectLog.flush();
    this.invalidLog.flush();
    this.batchRejectLog.flush();
    const total = this.counters.abandoned;
    if (total > 0) this.log.warn({ abandoned: total }, `closed with ${total} points undelivered`);
    return { ok: flushed.ok && total === 0, abandoned: total };
  }
}

/** Creates a client; with `checkHost: true` first connects to every host and rejects naming the ones that failed. */
export async function createClient(options: CreateClientOptions): Promise<Client> {
  const { checkHost, ...clientOptions } = options;
  const client = new Client(clientOptions);
  if (checkHost) {
    const result = await client.checkHosts();
    if (!result.ok) {
      await client.close({ timeoutMs: 0 });
      throw result.error;
    }
  }
  return client;
}

/**
 * Checks the protocol options, the host tag and the telnet credentials against the TSD's rules
 * once, so a mistake surfaces at construction and not as every point being refused. Messages
 * name the option, never a credential's value.
 */
function checkProtocolSettings(o: ResolvedOptions): void {
  const probe = (tags: Tags): PointError | undefined => {
    try {
      return validatePoint({ metric: 'm', timestamp: 1, value: 0, tags }, o.protocolOptions);
    } catch (err) {
      throw new ClientError(
        'invalid_config',
        `invalid client options: protocolOptions: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  };
  probe({ k: 'v' });
  const problems: string[] = [];
  if (o.hostTag !== undefined) {
    const error = probe({ host: o.hostTag });
    if (error)
      problems.push(`hostTag: ${JSON.stringify(o.hostTag)} is not a valid tag value: ${error.message}`);
  }
  if (o.protocol === 'telnet' && o.user !== undefined) {
    if (probe({ user: o.user })) problems.push('user: has characters a telnet tag value cannot carry');
    if (probe({ password: o.password ?? '' }))
      problems.push('password: has characters a telnet tag value cannot carry');
  }
  if (problems.length > 0)
    throw new ClientError('invalid_config', `invalid client options: ${problems.join('; ')}`);
}

function frozenFailure(code: SendError['code'], message: string): SendResult {
  return Object.freeze({ ok: false as const, error: Object.freeze({ code, message }) });
}

function failed(error: ClientError): Extract<WriteResult, { ok: false }> {
  return { ok: false, error, accepted: 0, rejected: 0, errors: [], invalid: [] };
}

function httpHeaders(o: ResolvedOptions): Record<string, string> {
  const headers: Record<string, string> = { ...o.headers, 'content-type': 'application/json' };
  if (o.user !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${o.user}:${o.password ?? ''}`).toString('base64')}`;
  }
  if (o.token !== undefined) {
    if (o.tokenHeader === undefined || o.tokenHeader === 'authorization')
      headers.authorization = `Bearer ${o.token}`;
    else headers[o.tokenHeader] = o.token;
  }
  return headers;
}

function viewOf(data: Uint8Array): DataView {
  return new DataView(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Whether `data[from, to)` holds a `\n`: four bytes at a time (a word XOR 0x0a0a0a0a has a zero
 * byte exactly where a newline was), about twice as fast as indexOf on short lines.
 */
function hasNewline(view: DataView, data: Uint8Array, from: number, to: number): boolean {
  let i = from;
  for (; i + 4 <= to; i += 4) {
    const v = view.getInt32(i) ^ 0x0a0a0a0a;
    if (((v - 0x01010101) & ~v & 0x80808080) !== 0) return true;
  }
  for (; i < to; i++) if (data[i] === 10) return true;
  return false;
}

/** A write transaction and the promise its settlement resolves. */
function transaction(pending: number): { promise: Promise<WriteResult>; txn: Transaction } {
  let resolveTxn!: (result: WriteResult) => void;
  const promise = new Promise<WriteResult>((resolve) => {
    resolveTxn = resolve;
  });
  const txn: Transaction = {
    pending,
    accepted: 0,
    rejected: 0,
    errors: [],
    error: undefined,
    resolve: resolveTxn,
  };
  return { promise, txn };
}

/**
 * Why `data[start, end)` is not one framed put line (`put ` ... `\n`), or is longer than
 * `maxLineLength` (0: no limit) without its `\n`.
 */
function lineFrameProblem(
  data: Uint8Array,
  start: number,
  end: number,
  maxLineLength: number,
  view: DataView = viewOf(data),
): PointError | undefined {
  if (!(end > start + 4 && end <= data.length)) {
    return {
      code: 'invalid_line',
      message: `line ends at ${end}, before its start ${start} or past the data`,
    };
  }
  if (data[start] !== 112 || data[start + 1] !== 117 || data[start + 2] !== 116 || data[start + 3] !== 32) {
    return { code: 'invalid_line', message: 'a line to forward must start with "put "' };
  }
  // One newline, at the end: another would smuggle a second command to the TSD.
  if (data[end - 1] !== 10 || hasNewline(view, data, start + 4, end - 1)) {
    return { code: 'invalid_line', message: 'a line to forward must end with its only newline' };
  }
  if (maxLineLength > 0 && end - start - 1 > maxLineLength) {
    return {
      code: 'line_too_long',
      message: `put line is ${end - start - 1} bytes, longer than maxLineLength ${maxLineLength}`,
    };
  }
  return undefined;
}
