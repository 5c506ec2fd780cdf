import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions, type Server as TlsServer } from 'node:tls';
import type { AuthResult, Principal } from '@otsdb/auth';
import {
  type DataPoint,
  LineFramer,
  lineTooLongError,
  PutLineScreen,
  parseTelnetCommand,
  telnetHelpReply,
  telnetPutError,
  telnetStatsReply,
  telnetUnknownCommandReply,
} from '@otsdb/protocol';
import type { BackendWriteResult, LineBatch } from './backends/backend.js';
import type { ProxyContext } from './context.js';
import { credentialTagProblem, FoundCredentials } from './credential-tags.js';
import type { TokenBucket } from './limits/rate-limit.js';
import { LineBatchBuilder } from './line-batch-builder.js';
import { listen } from './listen.js';
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
  /** TLS: the certificate and key for new connections (open ones keep theirs). */
  setSecureContext?(options: TlsOptions): void;
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
  // Raw sockets too: a TLS connection whose handshake never completes (or that the client
  // dropped after the handshake failed on its side) must not hold up a shutdown.
  const sockets = new Set<Socket>();
  const admit = (raw: Socket): boolean => {
    if (ctx.stopping || !ctx.connections.tryAcquire()) {
      raw.destroy();
      return false;
    }
    sockets.add(raw);
    raw.once('close', () => {
      sockets.delete(raw);
      ctx.connections.release();
    });
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
  const port = await listen(server, options.port, options.host);

  // server.close() calls back only once every connection is gone: stopping must not wait for
  // it (drain() ends the connections), so the callback is kept for drain() to await.
  let closed: Promise<void> | undefined;
  const stopAccepting = () => {
    closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
    return Promise.resolve();
  };
  const tlsServer = options.tls === undefined ? undefined : (server as TlsServer);
  return {
    host: options.host,
    port,
    tls: options.tls !== undefined,
    ...(tlsServer === undefined
      ? {}
      : { setSecureContext: (o: TlsOptions) => tlsServer.setSecureContext(o) }),
    get connections() {
      return open.size;
    },
    stopAccepting,
    async drain(deadline: number) {
      await stopAccepting();
      await Promise.all([...open].map((c) => c.shutdown(deadline)));
      for (const raw of sockets) raw.destroy();
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
  readonly #credentialKeys: { user: Buffer; password: Buffer };
  readonly #maxTags: number;
  readonly #tagsOptional: boolean;

  #batch: DataPoint[] = [];
  readonly #batchLimit: number;
  /** Lines taken as bytes (see #takeBytes), when the backend forwards lines as they are. */
  readonly #lineBatch: LineBatchBuilder | undefined;
  readonly #screen: PutLineScreen | undefined;
  /** The principal #fast describes. */
  #fastOwner: Principal | undefined;
  #fast: FastRules | undefined;
  /** The verified credentials as bytes, compared on the byte path. */
  #userBytes: Buffer | undefined;
  #passwordBytes: Buffer | undefined;
  /** ` user=U password=P` and ` password=P user=U` as verified last, and views of them. */
  #tails: Buffer[] = [];
  #tailViews: DataView[] = [];
  /** The buffer lines were last read from, and a view of it (compared four bytes at a time). */
  #viewed: Buffer | undefined;
  #view: DataView | undefined;
  /** Points handed to the backend whose write has not resolved yet (retries included). */
  #pending = 0;
  /** Batches the backend refused for lack of room: written again once it drains. */
  readonly #retry: Outgoing[] = [];
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
  /** Who the connection's verified client certificate stands for (auth.certificates). */
  readonly #certified: Principal | undefined;
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
    this.#credentialKeys = {
      user: Buffer.from(ctx.rules.names.user, 'utf8'),
      password: Buffer.from(ctx.rules.names.password, 'utf8'),
    };
    this.#maxTags = ctx.config.protocol.maxTags;
    this.#tagsOptional = ctx.config.protocol.tagsOptional;
    this.#batchLimit = Math.max(1, Math.min(MAX_BATCH, ctx.backend.maxBatch ?? MAX_BATCH));
    this.#reverifyMs = ctx.config.auth.cacheTtlMs;
    this.#certified = ctx.auth.certificatePrincipal(socket);
    if (ctx.backend.writeLines !== undefined) {
      this.#lineBatch = new LineBatchBuilder(this.#batchLimit);
      this.#screen = new PutLineScreen(ctx.rules.parseOptions);
    }
    this.#framer = new LineFramer({
      maxLineLength: ctx.config.limits.maxLineLength,
      onLine: (line) => this.#onLine(line),
      // Its reply keeps its place among the other lines' (which may wait for authentication).
      onOversize: (length) => this.#onLine(length),
      ...(this.#lineBatch === undefined
        ? {}
        : { onLineBytes: (buf: Buffer, start: number, end: number) => this.#takeBytes(buf, start, end) }),
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
      if (this.#certified !== undefined) {
        this.#admit(point, found.tagCount, this.#certified);
        return;
      }
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
      this.#userBytes = undefined;
      this.#passwordBytes = undefined;
      if (this.#lineBatch !== undefined) {
        this.#userBytes = Buffer.from(user, 'utf8');
        this.#passwordBytes = Buffer.from(password, 'utf8');
        const u = `${this.#ctx.rules.names.user}=${user}`;
        const p = `${this.#ctx.rules.names.password}=${password}`;
        this.#tails = [Buffer.from(` ${u} ${p}`, 'utf8'), Buffer.from(` ${p} ${u}`, 'utf8')];
        this.#tailViews = this.#tails.map((b) => new DataView(b.buffer, b.byteOffset, b.byteLength));
      }
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
    if (!this.#withinRate(principal)) return;
    // Lines taken as bytes before this point go first.
    if (this.#lineBatch !== undefined && this.#lineBatch.count > 0) this.#flushLines();
    this.#batch.push(point);
    if (this.#batch.length >= this.#batchLimit) this.#flush();
  }

  /** Takes a token from the principal's bucket; false (and the reply sent) when it is empty. */
  #withinRate(principal: Principal): boolean {
    const ctx = this.#ctx;
    const limiter = ctx.rateLimiter;
    if (limiter === undefined) return true;
    if (this.#bucketOwner !== principal || this.#bucket === undefined) {
      this.#bucketOwner = principal;
      const key = ctx.auth.anonymous === undefined ? `p:${principal.name}` : `ip:${this.#source ?? ''}`;
      this.#bucket = limiter.bucket(key);
    }
    if (this.#bucket.take()) return true;
    this.#reject(
      rejection(
        'rate_limited',
        'Please throttle writes',
        `more than ${this.#bucket.rate} points/s for '${principal.name}'`,
      ),
    );
    return false;
  }

  /**
   * The byte path: a put line the backend can forward as it is, taken without building a point.
   * It must be plainly valid (PutLineScreen), carry the credentials this connection verified
   * last (fresh), and pass the principal's rules without needing a reply; it is then copied into
   * the line batch with the credential tags cut out and the forced tags put in. Anything else
   * (a command, an error, new credentials, a line while others wait for authentication) returns
   * false and takes the point path, which words every reply exactly as before.
   */
  #takeBytes(buf: Buffer, start: number, end: number): boolean {
    // While the backend is full the lines of this read are still taken (bounded: reading is
    // paused); behind lines waiting for authentication or held as text, they wait as text too.
    if (this.#exiting || this.#authWaiting || this.#lineAt < this.#lines.length) return false;
    const ctx = this.#ctx;
    const screen = this.#screen!;
    let principal = ctx.auth.anonymous;
    // Most clients end every line with the same credentials: when the line ends with the pair
    // verified last, only the rest is screened and the pair is not looked for again.
    const tail =
      principal === undefined && this.#now - this.#verifiedAt < this.#reverifyMs
        ? this.#tailAt(buf, start, end)
        : 0;
    const lineEnd = end - tail;
    if (!screen.screen(buf, start, lineEnd)) return false;
    const names = this.#credentialKeys;
    const userKey = names.user;
    const passwordKey = names.password;
    const count = screen.tagCount;
    const keyStarts = screen.keyStarts;
    const equals = screen.equals;
    let userAt = -1;
    let passwordAt = -1;
    for (let k = 0; k < count; k++) {
      const from = keyStarts[k]!;
      const length = equals[k]! - from;
      if (length === userKey.length && sameBytes(buf, from, userKey)) userAt = k;
      else if (length === passwordKey.length) {
        if (sameBytes(buf, from, passwordKey)) passwordAt = k;
        else if (sameBytesIgnoringCase(buf, from, passwordKey)) return false; // `Password=`: worded
      }
    }
    if (tail > 0) {
      // A second pair before the verified one: the point path words it.
      if (userAt >= 0 || passwordAt >= 0) return false;
      principal = this.#principal!;
    } else {
      if (userAt < 0 !== passwordAt < 0) return false;
      if (principal === undefined && userAt < 0) {
        // No credentials: the client certificate's principal, if any.
        if (this.#certified === undefined) return false;
        principal = this.#certified;
      } else if (principal === undefined) {
        if (
          this.#now - this.#verifiedAt >= this.#reverifyMs ||
          !sameValue(buf, equals[userAt]! + 1, screen.valueEnds[userAt]!, this.#userBytes) ||
          !sameValue(buf, equals[passwordAt]! + 1, screen.valueEnds[passwordAt]!, this.#passwordBytes)
        ) {
          return false;
        }
        principal = this.#principal!;
      }
    }
    if (this.#fastOwner !== principal) {
      this.#fastOwner = principal;
      this.#fast = fastRules(principal);
    }
    const fast = this.#fast;
    if (fast === undefined) return false;
    if (
      fast.metricPatterns !== undefined &&
      !fast.metricPatterns.matches(buf.toString('latin1', screen.metricStart, screen.metricEnd))
    ) {
      return false;
    }
    // Tags as forwarded: the client's without credentials and without forced keys, then the forced.
    const forcedKeys = fast.forcedKeys;
    let kept = 0;
    let keepMask = 0;
    for (let k = 0; k < count; k++) {
      if (k === userAt || k === passwordAt) continue;
      if (forcedKeys.length > 0 && isForcedKey(buf, keyStarts[k]!, equals[k]!, forcedKeys)) continue;
      kept++;
      if (k < 31) keepMask |= 1 << k;
    }
    if (count > 31) return false;
    const tags = kept + forcedKeys.length;
    if (tags > this.#maxTags || (tags === 0 && !this.#tagsOptional)) return false;
    // Counted with the batch (#flushLines): two shared counters less to touch per line.
    if (!this.#withinRate(principal)) {
      ctx.metrics.telnetLines++;
      ctx.metrics.pointsReceived++;
      return true;
    }

    if (this.#batch.length > 0) this.#flush();
    const lines = this.#lineBatch!;
    const size = end - start + fast.forcedSuffix.length + 1;
    if (!lines.reserve(size)) {
      this.#flushLines();
      lines.reserve(size);
    }
    // Copy the kept pieces, adjacent ones as one run: most lines are one copy.
    let runFrom = start;
    let runTo = screen.headEnd;
    const valueEnds = screen.valueEnds;
    for (let k = 0; k < count; k++) {
      if ((keepMask & (1 << k)) === 0) continue;
      const from = keyStarts[k]! - 1; // with the space before it
      if (from !== runTo) {
        lines.copy(buf, runFrom, runTo);
        runFrom = from;
      }
      runTo = valueEnds[k]!;
    }
    lines.copy(buf, runFrom, runTo);
    if (fast.forcedSuffix.length > 0) lines.copy(fast.forcedSuffix, 0, fast.forcedSuffix.length);
    lines.endLine();
    if (lines.full) this.#flushLines();
    return true;
  }

  /** Length of the verified credential pair at the end of `buf[start, end)`, or 0. */
  #tailAt(buf: Buffer, start: number, end: number): number {
    const tails = this.#tails;
    for (let t = 0; t < tails.length; t++) {
      const tail = tails[t]!;
      const at = end - tail.length;
      if (at <= start || buf[end - 1] !== tail[tail.length - 1]) continue;
      if (buf !== this.#viewed) {
        this.#viewed = buf;
        this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      }
      if (sameWords(this.#view!, at, this.#tailViews[t]!, tail.length)) return tail.length;
    }
    return 0;
  }

  #flush(): void {
    this.#flushLines();
    const points = this.#batch;
    if (points.length === 0) return;
    this.#batch = [];
    this.#pending += points.length;
    this.#ctx.metrics.pointsAccepted += points.length;
    this.#submit(points);
    // The rest of this read waits (in order) until the backend has room again.
    if (this.#backendFull()) this.#stalled = true;
  }

  #flushLines(): void {
    const lines = this.#lineBatch;
    if (lines === undefined || lines.count === 0) return;
    const batch = lines.take();
    this.#pending += batch.count;
    const metrics = this.#ctx.metrics;
    metrics.telnetLines += batch.count;
    metrics.pointsReceived += batch.count;
    metrics.pointsAccepted += batch.count;
    this.#submit(batch);
    if (this.#backendFull()) this.#stalled = true;
  }

  #submit(outgoing: Outgoing): void {
    const backend = this.#ctx.backend;
    const written = Array.isArray(outgoing) ? backend.write(outgoing) : backend.writeLines!(outgoing);
    void written.then((result) => this.#onWritten(outgoing, result));
  }

  #onWritten(outgoing: Outgoing, result: BackendWriteResult): void {
    const n = Array.isArray(outgoing) ? outgoing.length : outgoing.count;
    if (!result.ok && result.code === 'queue_full' && result.accepted === 0 && !this.#ctx.stopping) {
      // Telnet acknowledges nothing, so a full backend means waiting, not refusing.
      this.#retry.push(outgoing);
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

/** What the telnet listener hands the backend: points, or lines forwarded as they are. */
type Outgoing = DataPoint[] | LineBatch;

/** A principal's write rules in the form the byte path applies them. */
interface FastRules {
  metricPatterns: Principal['metricPatterns'];
  /** The forced tag keys: a client tag with one of them is left out. */
  forcedKeys: Buffer[];
  /** ` key=value` for each forced tag, appended to every line. */
  forcedSuffix: Buffer;
}

/** Undefined when the principal may not write (the point path words the refusal). */
function fastRules(principal: Principal): FastRules | undefined {
  if (!principal.scopes.has('write')) return undefined;
  const forced = principal.forcedTags ?? {};
  const keys = Object.keys(forced);
  return {
    metricPatterns: principal.metricPatterns,
    forcedKeys: keys.map((k) => Buffer.from(k, 'utf8')),
    forcedSuffix: Buffer.from(keys.map((k) => ` ${k}=${forced[k]}`).join(''), 'utf8'),
  };
}

/** Whether `buf` holds `word` at `at`. */
function sameBytes(buf: Buffer, at: number, word: Buffer): boolean {
  for (let i = 0; i < word.length; i++) if (buf[at + i] !== word[i]) return false;
  return true;
}

/** Whether `length` bytes of `a` from `at` equal `b`'s first, four at a time. */
function sameWords(a: DataView, at: number, b: DataView, length: number): boolean {
  let i = 0;
  for (; i + 4 <= length; i += 4) if (a.getInt32(at + i) !== b.getInt32(i)) return false;
  for (; i < length; i++) if (a.getUint8(at + i) !== b.getUint8(i)) return false;
  return true;
}

/** `sameBytes` with ASCII letters compared without case. */
function sameBytesIgnoringCase(buf: Buffer, at: number, word: Buffer): boolean {
  for (let i = 0; i < word.length; i++) if ((buf[at + i]! | 0x20) !== (word[i]! | 0x20)) return false;
  return true;
}

/** Whether `buf[from, to)` is exactly `value`. */
function sameValue(buf: Buffer, from: number, to: number, value: Buffer | undefined): boolean {
  return value !== undefined && to - from === value.length && sameBytes(buf, from, value);
}

function isForcedKey(buf: Buffer, from: number, to: number, keys: readonly Buffer[]): boolean {
  for (const key of keys) if (to - from === key.length && sameBytes(buf, from, key)) return true;
  return false;
}
