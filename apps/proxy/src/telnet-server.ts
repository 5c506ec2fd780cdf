import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { AuthResult, Principal } from '@otsdb/auth';
import {
  type DataPoint,
  LineFramer,
  lineTooLongError,
  parseTelnetCommand,
  telnetHelpReply,
  telnetPutError,
  telnetStatsReply,
  telnetUnknownCommandReply,
} from '@otsdb/protocol';
import type { BackendWriteResult } from './backends/backend.js';
import type { ProxyContext } from './context.js';
import { credentialTagProblem, FoundCredentials } from './credential-tags.js';
import type { TokenBucket } from './limits/rate-limit.js';
import { isRejection, type Rejection, rejection } from './write-rules.js';

export interface TelnetListenerOptions {
  host: string;
  port: number;
  /** TLS server options (cert, key, ca, requestCert...); plain TCP without. */
  tls?: TlsOptions | undefined;
}

export interface TelnetListener {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** Open connections. */
  readonly connections: number;
  /** Stops accepting (at once); open connections go on. */
  stopAccepting(): Promise<void>;
  /**
   * Ends every connection: buffered lines are handed on when the backend can take them, pending
   * writes are awaited, then the socket is closed. What is left at the deadline is destroyed.
   */
  drain(deadline: number): Promise<void>;
}

/** The commands this proxy serves, in OpenTSDB's order; `help` lists them. */
const COMMANDS = ['stats', 'version', 'exit', 'help', 'put'];
/** Points collected from one read before they go to the backend as one write. */
const MAX_BATCH = 4096;
/** A client that does not read its error replies gets no more once this much is unsent. */
const MAX_UNSENT_REPLY_BYTES = 256 * 1024;
/** A failed credential pair is answered from memory this long, without asking the store again. */
const FAILURE_MEMORY_MS = 1000;

/**
 * OpenTSDB's telnet-style put protocol, over TCP or TLS. Acknowledge-nothing semantics as a TSD:
 * good lines are handed to the backend in batches and answered with nothing; a bad line gets an
 * error line in OpenTSDB's style and the next lines keep flowing. Reading pauses (TCP
 * backpressure) while an authentication is under way, while the backend is above its
 * high-water mark, or while too many of this connection's points are waiting to be written.
 */
export async function startTelnetListener(
  ctx: ProxyContext,
  options: TelnetListenerOptions,
): Promise<TelnetListener> {
  const open = new Set<TelnetConnection>();
  const log = ctx.logger.child({ component: options.tls ? 'telnet-tls' : 'telnet' });

  const accept = (socket: Socket) => {
    const conn = new TelnetConnection(ctx, socket);
    open.add(conn);
    socket.once('close', () => open.delete(conn));
  };
  // Every raw connection counts against the limit, TLS ones before their handshake.
  const admit = (raw: Socket): boolean => {
    if (ctx.stopping || !ctx.connections.tryAcquire()) {
      raw.destroy();
      return false;
    }
    raw.once('close', () => ctx.connections.release());
    return true;
  };

  let server: Server;
  if (options.tls !== undefined) {
    const tlsServer = createTlsServer({ ...options.tls, allowHalfOpen: true } as TlsOptions);
    tlsServer.on('connection', admit);
    tlsServer.on('secureConnection', accept);
    tlsServer.on('tlsClientError', (error) => {
      ctx.metrics.tlsErrors++;
      log.debug({ err: error.message }, 'TLS handshake failed');
    });
    server = tlsServer;
  } else {
    server = createNetServer({ allowHalfOpen: true }, (socket) => {
      if (admit(socket)) accept(socket);
    });
  }
  server.on('error', (error) => log.error({ err: error.message }, 'telnet listener error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;

  // server.close() calls back only once every connection is gone: stopping must not wait for
  // it (drain() ends the connections), so the callback is kept for drain() to await.
  let closed: Promise<void> | undefined;
  const stopAccepting = () => {
    closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
    return Promise.resolve();
  };
  return {
    host: options.host,
    port,
    tls: options.tls !== undefined,
    get connections() {
      return open.size;
    },
    stopAccepting,
    async drain(deadline: number) {
      await stopAccepting();
      await Promise.all([...open].map((c) => c.shutdown(deadline)));
      await closed;
    },
  };
}

class TelnetConnection {
  readonly #ctx: ProxyContext;
  readonly #socket: Socket;
  readonly #source: string | undefined;
  readonly #framer: LineFramer;
  readonly #found = new FoundCredentials();
  readonly #maxPending: number;

  #batch: DataPoint[] = [];
  readonly #batchLimit: number;
  /** Points handed to the backend whose write has not resolved yet (retries included). */
  #pending = 0;
  /** Batches the backend refused for lack of room: written again once it drains. */
  readonly #retry: DataPoint[][] = [];
  /** Set when the backend filled up during a read: the rest of the read's lines wait. */
  #stalled = false;

  // The last verified credentials: the hot path compares two strings.
  #user: string | undefined;
  /** When the pair was last verified; it is asked again after auth.cacheTtlMs (a changed password, a disabled account). */
  #verifiedAt = 0;
  /** The clock, read once per socket read rather than per line. */
  #now = 0;
  readonly #reverifyMs: number;
  #password: string | undefined;
  #principal: Principal | undefined;
  #bucket: TokenBucket | undefined;
  #bucketOwner: Principal | undefined;
  // The last refused credentials, answered from memory for a moment.
  #failedUser: string | undefined;
  #failedPassword: string | undefined;
  #failedReply: Rejection | undefined;
  #failedAt = 0;

  #authWaiting = false;
  /** Lines held while an authentication is under way; a number stands for an oversize line. */
  readonly #lines: Array<string | number> = [];
  #lineAt = 0;
  readonly #chunks: Buffer[] = [];
  #paused = false;
  #drainSubscription: (() => void) | undefined;
  #inputEnded = false;
  #framerEnded = false;
  #exiting = false;
  #finished = false;
  #closed = false;
  #shutdownWaiters: Array<() => void> = [];

  constructor(ctx: ProxyContext, socket: Socket) {
    this.#ctx = ctx;
    this.#socket = socket;
    this.#source = socket.remoteAddress;
    this.#maxPending = ctx.config.limits.maxPendingPointsPerConnection;
    this.#batchLimit = Math.max(1, Math.min(MAX_BATCH, ctx.backend.maxBatch ?? MAX_BATCH));
    this.#reverifyMs = ctx.config.auth.cacheTtlMs;
    this.#framer = new LineFramer({
      maxLineLength: ctx.config.limits.maxLineLength,
      onLine: (line) => this.#onLine(line),
      // Its reply keeps its place among the other lines' (which may wait for authentication).
      onOversize: (length) => this.#onLine(length),
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    const idle = ctx.config.limits.idleTimeoutMs;
    if (idle > 0) {
      socket.setTimeout(idle, () => {
        // Paused by us (backpressure, authentication): the silence is ours, not the client's.
        if (this.#paused) {
          socket.setTimeout(idle);
          return;
        }
        ctx.metrics.idleClosed++;
        this.#flush();
        socket.destroy();
      });
    }
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => {
      this.#inputEnded = true;
      this.#work();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#closed = true;
      // Refused batches are still written once the backend drains, connection or not.
      if (this.#retry.length === 0) {
        this.#drainSubscription?.();
        this.#drainSubscription = undefined;
      }
      this.#notifyShutdown();
    });
  }

  #onData(chunk: Buffer): void {
    if (this.#exiting) return;
    this.#now = performance.now();
    if (this.#chunks.length > 0 || this.#blocked()) {
      this.#chunks.push(chunk);
      this.#pause();
      return;
    }
    this.#framer.push(chunk);
    this.#flush();
    if (this.#blocked()) this.#pause();
  }

  #blocked(): boolean {
    return this.#holding() || this.#backendFull();
  }

  /** Lines must wait in order: an authentication is under way, or earlier lines wait. */
  #holding(): boolean {
    return this.#authWaiting || this.#stalled || this.#lineAt < this.#lines.length;
  }

  #backendFull(): boolean {
    return this.#pending >= this.#maxPending || !this.#ctx.backend.writable || this.#retry.length > 0;
  }

  #pause(): void {
    if (!this.#paused && !this.#closed) {
      this.#paused = true;
      this.#socket.pause();
    }
    if (!this.#ctx.backend.writable) this.#awaitDrain();
  }

  #awaitDrain(): void {
    if (this.#drainSubscription !== undefined) return;
    this.#drainSubscription = this.#ctx.backend.onDrain(() => {
      this.#drainSubscription?.();
      this.#drainSubscription = undefined;
      this.#work();
    });
  }

  /** Processes what was held back, as far as the backend and authentication allow. */
  #work(): void {
    if (this.#retry.length > 0) {
      if (!this.#ctx.backend.writable) {
        this.#pause();
        return;
      }
      for (const batch of this.#retry.splice(0)) this.#submit(batch);
    }
    if (this.#closed) return;
    for (;;) {
      if (this.#authWaiting) return;
      if (this.#backendFull()) {
        this.#stalled = true;
        this.#pause();
        return;
      }
      this.#stalled = false;
      if (this.#lineAt < this.#lines.length) {
        const line = this.#lines[this.#lineAt++]!;
        if (this.#lineAt === this.#lines.length) {
          this.#lines.length = 0;
          this.#lineAt = 0;
        }
        this.#handleLine(line);
        continue;
      }
      const chunk = this.#chunks.shift();
      if (chunk !== undefined) {
        this.#now = performance.now();
        if (!this.#exiting) this.#framer.push(chunk);
        this.#flush();
        continue;
      }
      break;
    }
    this.#flush();
    if (this.#inputEnded || this.#exiting) {
      this.#endInput();
      return;
    }
    if (this.#paused) {
      this.#paused = false;
      this.#socket.resume();
    }
  }

  #endInput(): void {
    if (!this.#framerEnded && !this.#exiting) {
      this.#framerEnded = true;
      this.#framer.end();
      if (this.#authWaiting || this.#lineAt < this.#lines.length) return; // #work comes back here
      this.#flush();
    }
    if (this.#pending === 0 && !this.#authWaiting) this.#finish();
  }

  /** Everything handed on and answered: close our side (the client learns we read it all). */
  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#socket.end();
    this.#notifyShutdown();
  }

  #onLine(line: string | number): void {
    if (this.#exiting) return;
    if (this.#holding()) {
      this.#lines.push(line);
      return;
    }
    this.#handleLine(line);
  }

  #handleLine(line: string | number): void {
    this.#ctx.metrics.telnetLines++;
    if (typeof line === 'number') {
      this.#reject({
        reason: 'line_too_long',
        message: `line of ${line} bytes`,
        telnet: telnetPutError(lineTooLongError(line, this.#ctx.config.limits.maxLineLength)),
      });
      return;
    }
    if (
      line.length > 4 &&
      line.charCodeAt(0) === 112 && // p
      line.charCodeAt(1) === 117 && // u
      line.charCodeAt(2) === 116 && // t
      line.charCodeAt(3) === 32
    ) {
      this.#put(line);
      return;
    }
    this.#command(line);
  }

  #command(line: string): void {
    const ctx = this.#ctx;
    ctx.metrics.telnetCommands++;
    const command = parseTelnetCommand(line);
    switch (command.name) {
      case 'put':
        this.#put(line);
        return;
      case 'version':
        this.#reply(ctx.versionReply);
        return;
      case 'help':
        this.#reply(telnetHelpReply(COMMANDS));
        return;
      case 'stats':
        this.#reply(telnetStatsReply(ctx.statsPoints()));
        return;
      case 'exit':
        this.#flush();
        this.#exiting = true;
        this.#lines.length = 0;
        this.#lineAt = 0;
        this.#chunks.length = 0;
        this.#endInput();
        return;
      case 'empty':
        this.#reply(telnetUnknownCommandReply(''));
        return;
      case 'unknown':
        this.#reply(telnetUnknownCommandReply(command.word));
        return;
      default:
        // dropcaches, diediedie, rollup, histogram: a TSD's, not a gateway's.
        this.#reply(telnetUnknownCommandReply(command.name));
    }
  }

  #put(line: string): void {
    const ctx = this.#ctx;
    const found = this.#found;
    const parsed = ctx.rules.parseLine(line, found);
    if (isRejection(parsed)) {
      this.#reject(parsed);
      return;
    }
    if (!parsed.ok) {
      this.#reject(ctx.rules.invalid(parsed.error));
      return;
    }
    ctx.metrics.pointsReceived++;
    const point = parsed.point;
    const user = found.user;
    const password = found.password;
    if (found.misspelled !== undefined || (user === undefined) !== (password === undefined)) {
      this.#credentialProblem();
      return;
    }
    const anonymous = ctx.auth.anonymous;
    if (anonymous !== undefined) {
      this.#admit(point, found.tagCount, anonymous);
      return;
    }
    if (user === undefined) {
      this.#reject(
        rejection(
          'unauthorized',
          'unauthorized',
          `credentials required: add the tags ${ctx.rules.names.user}=<name> ${ctx.rules.names.password}=<secret>`,
        ),
      );
      return;
    }
    if (
      user === this.#user &&
      password === this.#password &&
      this.#now - this.#verifiedAt < this.#reverifyMs
    ) {
      this.#admit(point, found.tagCount, this.#principal!);
      return;
    }
    this.#authenticate(point, found.tagCount, user, password!);
  }

  #credentialProblem(): void {
    const message = credentialTagProblem(this.#found, this.#ctx.rules.names) ?? 'unusable credential tags';
    this.#reject(rejection('credentials', 'illegal argument', message));
  }

  #authenticate(point: DataPoint, tagCount: number, user: string, password: string): void {
    if (
      this.#failedReply !== undefined &&
      user === this.#failedUser &&
      password === this.#failedPassword &&
      performance.now() - this.#failedAt < FAILURE_MEMORY_MS
    ) {
      this.#ctx.metrics.authFailures++;
      this.#reject(this.#failedReply);
      return;
    }
    if (credentialTagProblem(this.#found, this.#ctx.rules.names) !== undefined) {
      this.#credentialProblem();
      return;
    }
    // Points before this line go first; lines after it wait (in order) for the answer.
    this.#flush();
    this.#authWaiting = true;
    this.#pause();
    void this.#ctx.auth
      .authenticate({ kind: 'basic', user, password }, this.#source)
      .then((result) => this.#onAuthenticated(result, point, tagCount, user, password));
  }

  #onAuthenticated(
    result: AuthResult,
    point: DataPoint,
    tagCount: number,
    user: string,
    password: string,
  ): void {
    this.#authWaiting = false;
    if (this.#closed) return;
    if (result.ok) {
      this.#user = user;
      this.#password = password;
      this.#principal = result.principal;
      this.#verifiedAt = performance.now();
      this.#admit(point, tagCount, result.principal);
    } else {
      this.#ctx.metrics.authFailures++;
      const reply = rejection('unauthorized', 'unauthorized', result.message);
      if (result.reason !== 'unavailable' && result.reason !== 'busy') {
        this.#failedUser = user;
        this.#failedPassword = password;
        this.#failedReply = reply;
        this.#failedAt = performance.now();
      }
      this.#reject(reply);
    }
    this.#work();
  }

  #admit(point: DataPoint, tagCount: number, principal: Principal): void {
    const ctx = this.#ctx;
    const refused = ctx.rules.admit(point, tagCount, principal);
    if (refused !== undefined) {
      this.#reject(refused);
      return;
    }
    const limiter = ctx.rateLimiter;
    if (limiter !== undefined) {
      if (this.#bucketOwner !== principal || this.#bucket === undefined) {
        this.#bucketOwner = principal;
        const key = ctx.auth.anonymous === undefined ? `p:${principal.name}` : `ip:${this.#source ?? ''}`;
        this.#bucket = limiter.bucket(key);
      }
      if (!this.#bucket.take()) {
        this.#reject(
          rejection(
            'rate_limited',
            'Please throttle writes',
            `more than ${this.#bucket.rate} points/s for '${principal.name}'`,
          ),
        );
        return;
      }
    }
    this.#batch.push(point);
    if (this.#batch.length >= this.#batchLimit) this.#flush();
  }

  #flush(): void {
    const points = this.#batch;
    if (points.length === 0) return;
    this.#batch = [];
    this.#pending += points.length;
    this.#ctx.metrics.pointsAccepted += points.length;
    this.#submit(points);
    // The rest of this read waits (in order) until the backend has room again.
    if (this.#backendFull()) this.#stalled = true;
  }

  #submit(points: DataPoint[]): void {
    void this.#ctx.backend.write(points).then((result) => this.#onWritten(points, result));
  }

  #onWritten(points: DataPoint[], result: BackendWriteResult): void {
    const n = points.length;
    if (!result.ok && result.code === 'queue_full' && result.accepted === 0 && !this.#ctx.stopping) {
      // Telnet acknowledges nothing, so a full backend means waiting, not refusing.
      this.#retry.push(points);
      this.#stalled = true;
      this.#pause();
      this.#awaitDrain();
      return;
    }
    this.#pending -= n;
    const metrics = this.#ctx.metrics;
    if (!result.ok) {
      const lost = n - result.accepted;
      metrics.rejected.backend += lost;
      const kind = result.code === 'queue_full' ? 'Please throttle writes' : 'storage error';
      this.#reply(`put: ${kind}: ${lost} of ${n} points not written: ${result.message}`);
    } else if (result.rejected.length > 0) {
      metrics.rejected.backend += result.rejected.length;
      for (const r of result.rejected) this.#reply(`put: rejected by the TSD: ${r.message}`);
    }
    if (this.#closed) {
      this.#notifyShutdown();
      return;
    }
    if (this.#paused || this.#stalled || this.#inputEnded || this.#exiting) this.#work();
  }

  #reject(rejected: Rejection): void {
    this.#ctx.metrics.rejected[rejected.reason]++;
    this.#reply(rejected.telnet);
  }

  #reply(text: string): void {
    const socket = this.#socket;
    if (this.#closed || socket.writableEnded) return;
    if (socket.writableLength > MAX_UNSENT_REPLY_BYTES) {
      this.#ctx.metrics.repliesSuppressed++;
      return;
    }
    socket.write(text + '\n');
  }

  /** Graceful end for shutdown: hand on what was read, wait for the writes, close by the deadline. */
  shutdown(deadline: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#inputEnded = true;
    this.#work();
    this.#flush();
    const done = new Promise<void>((resolve) => {
      this.#shutdownWaiters.push(resolve);
    });
    this.#notifyShutdown();
    const left = deadline - Date.now();
    const timer = setTimeout(() => this.#socket.destroy(), Math.max(0, left));
    timer.unref();
    return done.finally(() => clearTimeout(timer));
  }

  #notifyShutdown(): void {
    if (this.#shutdownWaiters.length === 0) return;
    if (this.#closed || (this.#pending === 0 && !this.#authWaiting && this.#finished)) {
      const waiters = this.#shutdownWaiters;
      this.#shutdownWaiters = [];
      if (!this.#closed) {
        // Wait for the socket to close (the client reads our FIN and closes its side).
        this.#socket.once('close', () => {
          for (const w of waiters) w();
        });
        return;
      }
      for (const w of waiters) w();
    }
  }
}
