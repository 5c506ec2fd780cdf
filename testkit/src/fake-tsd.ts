import { EventEmitter } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { gunzipSync, inflateSync } from 'node:zlib';
import { tlsFixtures } from './tls-fixtures.js';

// A deliberately unreliable OpenTSDB endpoint for fault tests: it refuses, stalls, cuts
// connections, answers with errors, slowly, or with garbage, and records what it got.
// It validates nothing and stores nothing; a working TSD in tests is a real VictoriaMetrics.

export type FakeTsdProtocol = 'telnet' | 'http';

export interface FakeTsdTlsOptions {
  cert: string;
  key: string;
  /** CA(s) used to verify client certificates. */
  ca?: string | string[];
  /** Ask clients for a certificate (mutual TLS). Default false. */
  requestCert?: boolean;
  /** With `requestCert`: refuse clients without a valid certificate. Default true. */
  rejectUnauthorized?: boolean;
}

export interface FakeTsdOptions {
  protocol: FakeTsdProtocol;
  /**
   * `true`: TLS with the shared test certificates (tlsFixtures(): server cert for
   * localhost/127.0.0.1/::1, client certs verified against the test CA when presented).
   * An object: your own material. Default: plain TCP.
   */
  tls?: boolean | FakeTsdTlsOptions;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Initial behaviour. Default `{ kind: 'accept' }`. */
  mode?: FakeTsdMode;
  /**
   * Entries kept per record list (lines, points, requests, connections): the oldest are dropped
   * in batches once a list exceeds this by 10%. Default 100 000.
   */
  maxRecords?: number;
}

/** Decides whether the fake rejects one point; returns the error message to reject it. */
export type RejectFn = (input: RejectInput) => string | undefined;

export type RejectInput =
  | { protocol: 'telnet'; line: string; index: number }
  | { protocol: 'http'; point: unknown; index: number };

export type FakeTsdMode =
  /** Read everything, record it, answer like a TSD that took it (204 / no telnet reply). */
  | { kind: 'accept' }
  /** Listener closed: new connections get ECONNREFUSED; open ones are destroyed. */
  | { kind: 'refuse' }
  /** Accept, then destroy at once (ECONNRESET / EPIPE on the client). */
  | { kind: 'reset' }
  /** Accept (and finish the TLS handshake), then never read: the client's writes back up. */
  | { kind: 'stall' }
  /**
   * Read up to `bytes` bytes or `lines` lines per connection (telnet) or `bytes` body bytes per
   * request (http, default 0: right after the headers), then destroy the connection without
   * answering. `once`: back to accept after the first cut.
   */
  | { kind: 'close-after'; bytes?: number; lines?: number; once?: boolean }
  /**
   * Reject the points `reject` returns a message for (default: every point). Telnet answers
   * `put: illegal argument: <message>`; HTTP answers OpenTSDB's 400 (with `?details`: per-point
   * errors; `?summary`: counts). Points not rejected are recorded as accepted.
   */
  | { kind: 'reject'; reject?: RejectFn }
  /** HTTP only: answer every request with this status (e.g. 500, 503, 429 with Retry-After). */
  | { kind: 'status'; status: number; retryAfter?: string | number; body?: string; contentType?: string }
  /** Like accept, but HTTP answers after `delayMs`; telnet reads one chunk per `delayMs`. */
  | { kind: 'slow'; delayMs: number }
  /** Answer with bytes that are not the protocol (default: binary junk), then (HTTP) close. */
  | { kind: 'garbage'; data?: string | Buffer };

export interface FakeTsdConnection {
  id: number;
  remoteAddress: string;
  remotePort: number;
  tls: boolean;
  /** TLS: whether the client certificate verified against `ca`. */
  authorized: boolean;
  /** TLS: common name of the client certificate, if one was presented. */
  peerCommonName: string | undefined;
  openedAt: number;
  closedAt: number | undefined;
  bytesReceived: number;
}

export interface FakeTsdRequest {
  connectionId: number;
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Body as received (still compressed if it was). */
  rawBody: Buffer;
  /** Parsed JSON body, after gzip/deflate decoding; undefined if absent or unparsable. */
  body: unknown;
  /** Why the body could not be decoded or parsed, if so. */
  bodyError: string | undefined;
  /** Status the fake answered, or 0 when it cut the connection instead. */
  status: number;
  receivedAt: number;
}

/** A point the fake accepted (telnet put lines are split on whitespace, not validated). */
export interface FakeTsdPoint {
  protocol: FakeTsdProtocol;
  connectionId: number;
  metric: string;
  timestamp: number;
  /** As received: the telnet token, or the JSON value. */
  value: number | string;
  tags: Record<string, string>;
}

export interface FakeTsdWaitOptions {
  /** Default 10 000 ms. */
  timeoutMs?: number;
}

/** Reply of OpenTSDB's `version` telnet command, in its two-line shape. */
export const FAKE_TSD_VERSION_REPLY =
  'net.opentsdb.tools BuildData built at revision fake (MODIFIED)\nBuilt on 2020/01/01 00:00:00 +0000 by fake@tsd:/fake-tsd\n';

const DEFAULT_GARBAGE = Buffer.concat([
  Buffer.from([0x00, 0xff, 0xfe, 0x1b]),
  Buffer.from(' \u00e9 this is not an OpenTSDB reply \r\r\n', 'latin1'),
]);
const MAX_LINE_BYTES = 1024 * 1024;

interface ConnState {
  info: FakeTsdConnection;
  socket: Socket;
  /** Bytes/lines read since the current close-after mode began. */
  cutBytes: number;
  cutLines: number;
  partial: string;
  putIndex: number;
  garbageSent: boolean;
  stalled: boolean;
  /** HTTP: whether the socket has been given to the HTTP parser yet (not while stalled). */
  handed: boolean;
}

export class FakeTsd {
  readonly protocol: FakeTsdProtocol;
  readonly host: string;
  readonly tls: boolean;
  #port: number;
  #mode: FakeTsdMode;
  readonly #server: Server;
  readonly #http = createHttpServer();
  readonly #conns = new Map<Socket, ConnState>();
  /** Raw TCP sockets, including TLS ones still in their handshake. */
  readonly #rawSockets = new Set<Socket>();
  readonly #events = new EventEmitter();
  readonly #maxRecords: number;
  #listening = false;
  #stopped = false;
  #closed = false;
  #nextConnectionId = 1;
  readonly #lines: string[] = [];
  readonly #points: FakeTsdPoint[] = [];
  readonly #requests: FakeTsdRequest[] = [];
  readonly #connections: FakeTsdConnection[] = [];
  #counts = { lines: 0, points: 0, requests: 0, connections: 0, bytes: 0, dropped: 0 };

  constructor(options: FakeTsdOptions, tlsOptions: FakeTsdTlsOptions | undefined) {
    this.protocol = options.protocol;
    this.host = options.host ?? '127.0.0.1';
    this.#port = options.port ?? 0;
    this.#mode = options.mode ?? { kind: 'accept' };
    this.#maxRecords = options.maxRecords ?? 100_000;
    this.tls = tlsOptions !== undefined;
    this.#assertModeFits(this.#mode);
    this.#events.setMaxListeners(0);
    if (tlsOptions) {
      const server = createTlsServer({
        cert: tlsOptions.cert,
        key: tlsOptions.key,
        ...(tlsOptions.ca === undefined ? {} : { ca: tlsOptions.ca }),
        requestCert: tlsOptions.requestCert ?? false,
        rejectUnauthorized: tlsOptions.rejectUnauthorized ?? true,
        ...(this.protocol === 'http' ? { ALPNProtocols: ['http/1.1'] } : {}),
      });
      server.on('connection', (raw: Socket) => this.#onRawConnection(raw));
      server.on('secureConnection', (socket: TLSSocket) => this.#onConnection(socket, socket));
      // A failed handshake is the client's problem (wrong CA, no cert); keep serving.
      server.on('tlsClientError', () => {});
      this.#server = server;
    } else {
      const server = createNetServer();
      server.on('connection', (socket: Socket) => {
        if (this.#onRawConnection(socket)) this.#onConnection(socket, undefined);
      });
      this.#server = server;
    }
    this.#server.on('error', () => {});
    this.#http.on('request', (req, res) => this.#onHttpRequest(req, res));
    // Idle keep-alive connections stay open as on a real TSD; with Node's 5 s default, client
    // tests would race the server closing a pooled connection. stop()/close() destroy them.
    this.#http.keepAliveTimeout = 60_000;
  }

  get port(): number {
    return this.#port;
  }
  /** `http(s)://host:port` (also given for telnet, where it only names host and port). */
  get url(): string {
    return `${this.tls ? 'https' : 'http'}://${this.host}:${this.#port}`;
  }
  /** `url` + `/api/put`. */
  get putUrl(): string {
    return `${this.url}/api/put`;
  }
  get mode(): FakeTsdMode {
    return this.#mode;
  }
  /** Every complete telnet line received, in order (whatever the mode did with it). */
  get lines(): readonly string[] {
    return this.#lines;
  }
  /** Points accepted (not rejected), from telnet `put` lines and HTTP bodies. */
  get points(): readonly FakeTsdPoint[] {
    return this.#points;
  }
  /** Every HTTP request received, with what the fake answered. */
  get requests(): readonly FakeTsdRequest[] {
    return this.#requests;
  }
  /** Every connection accepted (after the TLS handshake for TLS). */
  get connections(): readonly FakeTsdConnection[] {
    return this.#connections;
  }
  get openConnections(): number {
    return this.#conns.size;
  }
  /** Bytes read from clients (after TLS decryption), all connections. */
  get bytesReceived(): number {
    return this.#counts.bytes;
  }
  /** Records dropped because a list reached `maxRecords`. */
  get droppedRecords(): number {
    return this.#counts.dropped;
  }

  /** Switches behaviour; applies to open connections too (see README for details). */
  async setMode(mode: FakeTsdMode): Promise<void> {
    this.#assertModeFits(mode);
    this.#mode = mode;
    for (const conn of this.#conns.values()) {
      conn.cutBytes = 0;
      conn.cutLines = 0;
    }
    if (mode.kind === 'refuse') {
      await this.#unlisten();
      this.#destroyAll();
    } else {
      if (mode.kind === 'reset') this.#destroyAll();
      for (const conn of this.#conns.values()) this.#applyStall(conn);
      if (!this.#stopped) await this.#listen();
    }
    this.#changed();
  }

  /** Forgets everything recorded so far (counts included); connections stay open. */
  clear(): void {
    this.#lines.length = 0;
    this.#points.length = 0;
    this.#requests.length = 0;
    this.#connections.length = 0;
    this.#counts = { lines: 0, points: 0, requests: 0, connections: 0, bytes: 0, dropped: 0 };
  }

  /** Resolves once at least `count` telnet lines have been received (since start or clear). */
  waitForLines(count: number, options?: FakeTsdWaitOptions): Promise<readonly string[]> {
    return this.#waitUntil(() => this.#counts.lines >= count, `${count} lines`, options).then(
      () => this.#lines,
    );
  }
  /** Resolves once at least `count` points have been accepted. */
  waitForPoints(count: number, options?: FakeTsdWaitOptions): Promise<readonly FakeTsdPoint[]> {
    return this.#waitUntil(() => this.#counts.points >= count, `${count} points`, options).then(
      () => this.#points,
    );
  }
  /** Resolves once at least `count` HTTP requests have been received. */
  waitForRequests(count: number, options?: FakeTsdWaitOptions): Promise<readonly FakeTsdRequest[]> {
    return this.#waitUntil(() => this.#counts.requests >= count, `${count} requests`, options).then(
      () => this.#requests,
    );
  }
  /** Resolves once at least `count` connections have been accepted in total. */
  waitForConnections(count: number, options?: FakeTsdWaitOptions): Promise<readonly FakeTsdConnection[]> {
    return this.#waitUntil(() => this.#counts.connections >= count, `${count} connections`, options).then(
      () => this.#connections,
    );
  }
  /** Resolves once `predicate` holds; checked whenever something is received or changes. */
  waitUntil(predicate: (tsd: FakeTsd) => boolean, options?: FakeTsdWaitOptions): Promise<void> {
    return this.#waitUntil(() => predicate(this), 'predicate', options);
  }

  /** Closes the listener and destroys every connection, keeping port and records: a TSD going down. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#unlisten();
    this.#destroyAll();
    this.#changed();
  }

  /** Listens again on the same port after `stop()` (unless the mode is `refuse`). */
  async start(): Promise<void> {
    if (this.#closed) throw new Error('FakeTsd: start() after close()');
    this.#stopped = false;
    if (this.#mode.kind !== 'refuse') await this.#listen();
    this.#changed();
  }

  /** Stops for good. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.stop();
    this.#http.close();
    this.#events.emit('closed');
  }

  /** Binds the listener; the first call picks the port. */
  async listen(): Promise<void> {
    if (this.#mode.kind !== 'refuse') await this.#listen();
  }

  #assertModeFits(mode: FakeTsdMode): void {
    if (this.protocol === 'telnet' && mode.kind === 'status') {
      throw new TypeError("FakeTsd: mode 'status' is for HTTP; a telnet TSD has no status codes");
    }
  }

  async #listen(): Promise<void> {
    if (this.#listening || this.#closed) return;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen({ host: this.host, port: this.#port }, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
    const address = this.#server.address();
    if (address !== null && typeof address !== 'string') this.#port = address.port;
    this.#listening = true;
  }

  async #unlisten(): Promise<void> {
    if (!this.#listening) return;
    this.#listening = false;
    // close() waits for open connections; those are destroyed right after, by the caller.
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#destroyAll();
    await closed;
  }

  #destroyAll(): void {
    for (const socket of this.#rawSockets) socket.destroy();
    for (const socket of this.#conns.keys()) socket.destroy();
  }

  /** Returns false when the connection was dealt with already (reset). */
  #onRawConnection(raw: Socket): boolean {
    this.#rawSockets.add(raw);
    raw.once('close', () => this.#rawSockets.delete(raw));
    raw.on('error', () => {});
    if (this.#mode.kind === 'reset' || this.#mode.kind === 'refuse') {
      raw.destroy();
      return false;
    }
    return true;
  }

  #onConnection(socket: Socket, tlsSocket: TLSSocket | undefined): void {
    socket.on('error', () => {});
    if (this.#mode.kind === 'reset') {
      socket.destroy();
      return;
    }
    const peer = tlsSocket?.getPeerCertificate();
    const info: FakeTsdConnection = {
      id: this.#nextConnectionId++,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      tls: tlsSocket !== undefined,
      authorized: tlsSocket?.authorized ?? false,
      peerCommonName: peer && typeof peer.subject?.CN === 'string' ? peer.subject.CN : undefined,
      openedAt: Date.now(),
      closedAt: undefined,
      bytesReceived: 0,
    };
    const conn: ConnState = {
      info,
      socket,
      cutBytes: 0,
      cutLines: 0,
      partial: '',
      putIndex: 0,
      garbageSent: false,
      stalled: false,
      handed: false,
    };
    this.#conns.set(socket, conn);
    this.#record(this.#connections, info);
    this.#counts.connections += 1;
    socket.once('close', () => {
      info.closedAt = Date.now();
      this.#conns.delete(socket);
      this.#changed();
    });
    if (this.protocol === 'telnet') {
      socket.on('data', (chunk: Buffer) => this.#onTelnetData(conn, chunk));
    } else if (this.#mode.kind === 'garbage') {
      socket.on('data', (chunk: Buffer) => this.#countBytes(conn, chunk.length));
      socket.once('data', () => this.#sendGarbageAndClose(conn));
    } else if (this.#mode.kind !== 'stall') {
      this.#handToHttp(conn);
    }
    this.#applyStall(conn);
    this.#changed();
  }

  #handToHttp(conn: ConnState): void {
    conn.handed = true;
    this.#http.emit('connection', conn.socket);
    // Listening to 'data' after the HTTP server took the socket makes Node read through the
    // stream (instead of straight from the handle), so bytes are counted and pause() works.
    conn.socket.on('data', (chunk: Buffer) => this.#countBytes(conn, chunk.length));
  }

  #applyStall(conn: ConnState): void {
    const stall = this.#mode.kind === 'stall';
    if (stall && !conn.stalled) {
      conn.stalled = true;
      conn.socket.pause();
    } else if (!stall && conn.stalled) {
      conn.stalled = false;
      if (this.protocol === 'http' && !conn.handed) this.#handToHttp(conn);
      conn.socket.resume();
    }
  }

  #countBytes(conn: ConnState, n: number): void {
    conn.info.bytesReceived += n;
    this.#counts.bytes += n;
  }

  #onTelnetData(conn: ConnState, chunk: Buffer): void {
    const mode = this.#mode;
    let data = chunk;
    let cut = false;
    if (mode.kind === 'close-after') {
      // Neither limit given: cut at once, like `bytes: 0`.
      const bytes = mode.bytes ?? (mode.lines === undefined ? 0 : undefined);
      let end = data.length;
      if (bytes !== undefined && bytes - conn.cutBytes <= end) {
        end = Math.max(0, bytes - conn.cutBytes);
        cut = true;
      }
      if (mode.lines !== undefined) {
        if (conn.cutLines >= mode.lines) {
          end = 0;
          cut = true;
        }
        for (let i = 0; i < end; i += 1) {
          if (data[i] !== 0x0a) continue;
          conn.cutLines += 1;
          if (conn.cutLines >= mode.lines) {
            end = i + 1;
            cut = true;
            break;
          }
        }
      }
      conn.cutBytes += end;
      data = data.subarray(0, end);
    }
    this.#countBytes(conn, data.length);
    this.#readLines(conn, data, mode);
    if (cut) {
      conn.socket.destroy();
      if (mode.kind === 'close-after' && mode.once) this.#mode = { kind: 'accept' };
      this.#changed();
      return;
    }
    if (mode.kind === 'garbage' && !conn.garbageSent) {
      conn.garbageSent = true;
      conn.socket.write(garbageOf(mode));
    }
    if (mode.kind === 'slow' && !conn.stalled) {
      conn.socket.pause();
      setTimeout(() => {
        if (!conn.stalled) conn.socket.resume();
      }, mode.delayMs).unref();
    }
    this.#changed();
  }

  #readLines(conn: ConnState, data: Buffer, mode: FakeTsdMode): void {
    conn.partial += data.toString('utf8');
    let start = 0;
    for (;;) {
      const nl = conn.partial.indexOf('\n', start);
      if (nl < 0) break;
      let line = conn.partial.slice(start, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      start = nl + 1;
      this.#onTelnetLine(conn, line, mode);
    }
    conn.partial = conn.partial.slice(start);
    // Bounded: a client that never sends a newline cannot grow this without limit.
    if (conn.partial.length > MAX_LINE_BYTES) conn.partial = '';
  }

  #onTelnetLine(conn: ConnState, line: string, mode: FakeTsdMode): void {
    this.#record(this.#lines, line);
    this.#counts.lines += 1;
    const words = line.trim().split(/\s+/);
    const command = words[0] ?? '';
    if (command === '') return;
    if (command === 'put') {
      const index = conn.putIndex++;
      if (mode.kind === 'reject') {
        const message = (mode.reject ?? rejectAll)({ protocol: 'telnet', line, index });
        if (message !== undefined) {
          conn.socket.write(`put: illegal argument: ${message}\n`);
          return;
        }
      }
      const [, metric = '', ts = '', value = '', ...tagWords] = words;
      this.#record(this.#points, {
        protocol: 'telnet',
        connectionId: conn.info.id,
        metric,
        timestamp: Number(ts),
        value,
        tags: Object.fromEntries(
          tagWords.map((word) => {
            const eq = word.indexOf('=');
            return eq < 0 ? [word, ''] : [word.slice(0, eq), word.slice(eq + 1)];
          }),
        ),
      });
      this.#counts.points += 1;
      return;
    }
    if (mode.kind === 'garbage') return;
    if (command === 'version') {
      conn.socket.write(FAKE_TSD_VERSION_REPLY);
    } else {
      conn.socket.write(`unknown command: ${command}.  Try \`help'.\n`);
    }
  }

  #sendGarbageAndClose(conn: ConnState): void {
    const mode = this.#mode;
    conn.socket.end(mode.kind === 'garbage' ? garbageOf(mode) : DEFAULT_GARBAGE);
  }

  #onHttpRequest(req: IncomingMessage, res: ServerResponse): void {
    const conn = this.#conns.get(req.socket);
    const mode = this.#mode;
    const url = new URL(req.url ?? '/', 'http://fake');
    const record: FakeTsdRequest = {
      connectionId: conn?.info.id ?? 0,
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      rawBody: Buffer.alloc(0),
      body: undefined,
      bodyError: undefined,
      status: 0,
      receivedAt: Date.now(),
    };
    if (mode.kind === 'garbage' || mode.kind === 'stall') {
      // The mode changed after this connection was handed to the HTTP parser.
      this.#recordRequest(record);
      if (mode.kind === 'garbage') req.socket.end(garbageOf(mode));
      else req.socket.pause();
      this.#changed();
      return;
    }
    const chunks: Buffer[] = [];
    let bodyBytes = 0;
    let aborted = false;
    const cutAt = mode.kind === 'close-after' ? (mode.bytes ?? 0) : undefined;
    const cut = (): void => {
      aborted = true;
      record.rawBody = Buffer.concat(chunks);
      this.#recordRequest(record);
      req.socket.destroy();
      if (mode.kind === 'close-after' && mode.once) this.#mode = { kind: 'accept' };
      this.#changed();
    };
    if (cutAt === 0) {
      cut();
      return;
    }
    req.on('data', (chunk: Buffer) => {
      if (aborted) return;
      if (cutAt !== undefined && bodyBytes + chunk.length >= cutAt) {
        chunks.push(chunk.subarray(0, cutAt - bodyBytes));
        bodyBytes = cutAt;
        cut();
        return;
      }
      bodyBytes += chunk.length;
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (aborted) return;
      record.rawBody = Buffer.concat(chunks);
      this.#decodeBody(record);
      const answer = (): void => {
        if (res.destroyed) return;
        this.#answerHttp(record, res, mode);
        this.#recordRequest(record);
        this.#changed();
      };
      if (mode.kind === 'slow') setTimeout(answer, mode.delayMs).unref();
      else answer();
    });
  }

  #decodeBody(record: FakeTsdRequest): void {
    if (record.rawBody.length === 0) return;
    try {
      const encoding = String(record.headers['content-encoding'] ?? '').toLowerCase();
      const decoded =
        encoding === 'gzip'
          ? gunzipSync(record.rawBody)
          : encoding === 'deflate'
            ? inflateSync(record.rawBody)
            : record.rawBody;
      record.body = JSON.parse(decoded.toString('utf8'));
    } catch (err) {
      record.bodyError = err instanceof Error ? err.message : String(err);
    }
  }

  #answerHttp(record: FakeTsdRequest, res: ServerResponse, mode: FakeTsdMode): void {
    const reply = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, {
        ...(text === '' ? {} : { 'content-type': 'application/json; charset=UTF-8' }),
        ...headers,
        'content-length': String(Buffer.byteLength(text)),
      });
      res.end(text);
    };
    const error = (status: number, message: string, details?: string): void =>
      reply(status, { error: { code: status, message, ...(details === undefined ? {} : { details }) } });

    if (mode.kind === 'status') {
      const headers: Record<string, string> = {};
      if (mode.retryAfter !== undefined) headers['retry-after'] = String(mode.retryAfter);
      if (mode.body !== undefined) {
        headers['content-type'] = mode.contentType ?? 'application/json; charset=UTF-8';
        reply(mode.status, mode.body, headers);
      } else {
        reply(
          mode.status,
          { error: { code: mode.status, message: `fake TSD answers ${mode.status}` } },
          headers,
        );
      }
      return;
    }
    if (record.path !== '/api/put' && record.path !== '/api/put/') {
      error(404, 'Endpoint not found');
      return;
    }
    if (record.method !== 'POST') {
      error(
        405,
        'Method not allowed',
        'The HTTP method [' + record.method + '] is not permitted for this endpoint',
      );
      return;
    }
    if (record.body === undefined) {
      error(400, 'Unable to parse the given JSON', record.bodyError ?? 'Missing message content');
      return;
    }
    const points: unknown[] = Array.isArray(record.body) ? record.body : [record.body];
    const details = 'details' in record.query;
    const summary = 'summary' in record.query;
    const errors: { datapoint: unknown; error: string }[] = [];
    let success = 0;
    points.forEach((point, index) => {
      const message =
        mode.kind === 'reject' ? (mode.reject ?? rejectAll)({ protocol: 'http', point, index }) : undefined;
      if (message !== undefined) {
        errors.push({ datapoint: point, error: message });
        return;
      }
      success += 1;
      const p = (typeof point === 'object' && point !== null ? point : {}) as Record<string, unknown>;
      this.#record(this.#points, {
        protocol: 'http',
        connectionId: record.connectionId,
        metric: String(p.metric ?? ''),
        timestamp: Number(p.timestamp),
        value: typeof p.value === 'number' ? p.value : String(p.value),
        tags: (typeof p.tags === 'object' && p.tags !== null ? p.tags : {}) as Record<string, string>,
      });
      this.#counts.points += 1;
    });
    const failed = errors.length;
    // OpenTSDB 2.x PutDataPointRpc: 204 when all is well and nothing was asked for; otherwise
    // a summary body, 400 when any point failed.
    if (!details && !summary) {
      if (failed === 0) reply(204);
      else
        error(
          400,
          'One or more data points had errors',
          'Please see the TSD logs or append "details" to the put request',
        );
      return;
    }
    reply(failed > 0 ? 400 : 200, details ? { errors, failed, success } : { failed, success });
  }

  #recordRequest(record: FakeTsdRequest): void {
    this.#record(this.#requests, record);
    this.#counts.requests += 1;
  }

  #record<T>(list: T[], item: T): void {
    list.push(item);
    // Trimmed in batches: shifting one entry per push is quadratic on long runs.
    if (list.length > this.#maxRecords + Math.ceil(this.#maxRecords / 10)) {
      const excess = list.length - this.#maxRecords;
      list.splice(0, excess);
      this.#counts.dropped += excess;
    }
  }

  #changed(): void {
    this.#events.emit('change');
  }

  #waitUntil(check: () => boolean, what: string, options: FakeTsdWaitOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.#events.off('change', onChange);
        this.#events.off('closed', onClosed);
        if (err) reject(err);
        else resolve();
      };
      const onChange = (): void => {
        if (check()) done();
      };
      const onClosed = (): void => {
        if (!check()) done(new Error(`FakeTsd closed while waiting for ${what} (${this.#describe()})`));
      };
      const timer = setTimeout(
        () => done(new Error(`FakeTsd: no ${what} within ${timeoutMs} ms (${this.#describe()})`)),
        timeoutMs,
      );
      this.#events.on('change', onChange);
      this.#events.on('closed', onClosed);
    });
  }

  #describe(): string {
    const c = this.#counts;
    return `got ${c.connections} connections, ${c.lines} lines, ${c.requests} requests, ${c.points} points, ${c.bytes} bytes; mode ${this.#mode.kind}`;
  }
}

function rejectAll(): string {
  return 'fake TSD rejects every point';
}

function garbageOf(mode: { data?: string | Buffer }): Buffer {
  if (mode.data === undefined) return DEFAULT_GARBAGE;
  return typeof mode.data === 'string' ? Buffer.from(mode.data, 'utf8') : mode.data;
}

/** Starts a fake TSD listening on a free loopback port. Close it in `afterEach`. */
export async function startFakeTsd(options: FakeTsdOptions): Promise<FakeTsd> {
  let tlsOptions: FakeTsdTlsOptions | undefined;
  if (options.tls === true) {
    const f = await tlsFixtures();
    // Ask for a client certificate but let clients without one in: tests of mutual TLS read
    // `connections[i].authorized` / `peerCommonName`, or pass their own options to enforce it.
    tlsOptions = {
      cert: f.serverCert.pem,
      key: f.serverKey.pem,
      ca: f.ca.pem,
      requestCert: true,
      rejectUnauthorized: false,
    };
  } else if (options.tls) {
    tlsOptions = options.tls;
  }
  const tsd = new FakeTsd(options, tlsOptions);
  await tsd.listen();
  return tsd;
}
