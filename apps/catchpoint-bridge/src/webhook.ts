import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Ingest, IngestOutcome } from './ingest.js';
import type { SecretMatcher } from './secret.js';
import type { BridgeMetrics, RejectReason } from './self-metrics.js';

/**
 * The HTTP side of the bridge. Catchpoint nodes POST one JSON document per test run, wait
 * 20 s for a 200 and otherwise retry up to 9 times over about an hour. So the answers are:
 *
 * - 200 once the points are queued in the sink (an unknown node is still a 200);
 * - 400 naming the missing or malformed field: retrying would not help;
 * - 401 without the shared secret, 404 elsewhere, 405 for anything but POST;
 * - 413 above the size limit (reading stops there), 415 for a body that is not JSON;
 * - 503 with Retry-After when the sink's queue is full or the bridge is shutting down, so
 *   Catchpoint keeps the push and its own retries become the buffer.
 *
 * Never 500: whatever the body, the answer is one of the above.
 */
export interface WebhookOptions {
  ingest: Ingest;
  metrics: BridgeMetrics;
  /** Where Catchpoint posts. The secret may follow as one more segment: `<path>/<secret>`. Default `/`. */
  path?: string;
  /** Unauthenticated liveness and counters for load balancers. Default `/health`. */
  healthPath?: string;
  /** Undefined only when the operator explicitly allowed unauthenticated pushes. */
  secrets?: SecretMatcher | undefined;
  /** Header that may carry the secret (lower case). Default `x-bridge-secret`. */
  secretHeader?: string;
  /** Default 1 MiB. */
  maxBodyBytes?: number;
  /** Sent with every 503. Default 60 s (Catchpoint's first retry comes after a minute). */
  retryAfterSeconds?: number;
  /** Extra fields for the health answer (node list state...). */
  health?: () => Record<string, unknown>;
  logger?: Logger | undefined;
}

export interface ListenOptions {
  host?: string;
  port: number;
  /** Whole request, headers and body; Catchpoint gives up after 20 s anyway. Default 30 s. */
  requestTimeoutMs?: number;
  /** Default 1024. */
  maxConnections?: number;
}

const JSON_TYPES = new Set(['application/json', 'text/json', 'text/plain', 'application/x-json']);

function mediaType(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const semi = header.indexOf(';');
  return (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
}

function isJsonType(type: string | undefined): boolean {
  return type === undefined || type === '' || JSON_TYPES.has(type) || type.endsWith('+json');
}

function normalisePath(p: string): string {
  if (p === '' || p === '/') return '/';
  const withSlash = p.startsWith('/') ? p : `/${p}`;
  return withSlash.replace(/\/+$/, '');
}

function firstNonSpace(buf: Buffer): number {
  let i = 0;
  // Skip a UTF-8 byte order mark, then JSON whitespace.
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
  for (; i < buf.length; i++) {
    const c = buf[i]!;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c;
  }
  return -1;
}

/** One warning per interval for noisy conditions (bad secrets from a scanner), with a count. */
class Throttled {
  #last = Number.NEGATIVE_INFINITY;
  #suppressed = 0;
  constructor(readonly intervalMs: number) {}
  take(): number | undefined {
    const now = Date.now();
    if (now - this.#last < this.intervalMs) {
      this.#suppressed++;
      return undefined;
    }
    this.#last = now;
    const n = this.#suppressed;
    this.#suppressed = 0;
    return n;
  }
}

export class WebhookServer {
  readonly #o: Required<
    Pick<WebhookOptions, 'path' | 'healthPath' | 'secretHeader' | 'maxBodyBytes' | 'retryAfterSeconds'>
  > &
    WebhookOptions;
  readonly #prefix: string;
  readonly #started = Date.now();
  #server: Server | undefined;
  #shuttingDown = false;
  #inFlight = 0;
  #idleWaiters: Array<() => void> = [];
  readonly #authWarn = new Throttled(60_000);

  constructor(options: WebhookOptions) {
    this.#o = {
      path: '/',
      healthPath: '/health',
      secretHeader: 'x-bridge-secret',
      maxBodyBytes: 1024 * 1024,
      retryAfterSeconds: 60,
      ...options,
    };
    this.#o.path = normalisePath(this.#o.path);
    this.#o.healthPath = normalisePath(this.#o.healthPath);
    this.#o.secretHeader = this.#o.secretHeader.toLowerCase();
    this.#prefix = this.#o.path === '/' ? '/' : `${this.#o.path}/`;
  }

  /** Requests being answered right now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The request listener, usable on any node:http server. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      this.#route(req, res);
    } catch (err) {
      // A bug here must not turn into a 500 nor leave Catchpoint waiting: ask for a retry.
      this.#o.logger?.error({ err }, 'webhook handler failed');
      if (!res.headersSent) this.#reply(res, 503, 'sink_error', 'internal error; retry later');
    }
  };

  #route(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q + 1);

    if (pathname === this.#o.healthPath && (req.method === 'GET' || req.method === 'HEAD')) {
      this.#healthReply(res, req.method === 'HEAD');
      return;
    }

    let pathSecret: string | undefined;
    if (pathname !== this.#o.path) {
      if (!pathname.startsWith(this.#prefix)) {
        this.#reject(req, res, 404, 'not_found', 'no such path');
        return;
      }
      const segment = pathname.slice(this.#prefix.length);
      if (segment === '' || segment.includes('/')) {
        this.#reject(req, res, 404, 'not_found', 'no such path');
        return;
      }
      try {
        pathSecret = decodeURIComponent(segment);
      } catch {
        pathSecret = '';
      }
    }

    if (req.method === 'POST') this.#o.metrics.received++;

    if (this.#o.secrets !== undefined) {
      const header = req.headers[this.#o.secretHeader];
      const candidate =
        pathSecret ??
        (query !== '' ? (new URLSearchParams(query).get('secret') ?? undefined) : undefined) ??
        (typeof header === 'string' ? header : undefined);
      if (!this.#o.secrets.matches(candidate)) {
        const suppressed = this.#authWarn.take();
        if (suppressed !== undefined) {
          this.#o.logger?.warn(
            { remote: req.socket.remoteAddress, suppressed, hadSecret: candidate !== undefined },
            'push refused: missing or wrong shared secret',
          );
        }
        this.#reject(req, res, 401, 'unauthorized', 'missing or wrong shared secret');
        return;
      }
    } else if (pathSecret !== undefined) {
      this.#reject(req, res, 404, 'not_found', 'no such path');
      return;
    }

    if (req.method !== 'POST') {
      this.#reject(req, res, 405, 'method_not_allowed', 'only POST is accepted here', {
        allow: 'POST',
      });
      return;
    }
    if (this.#shuttingDown) {
      this.#reject(req, res, 503, 'shutting_down', 'the bridge is shutting down; retry later');
      return;
    }
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      this.#reject(
        req,
        res,
        415,
        'unsupported_media_type',
        `content-encoding ${encoding.slice(0, 64)} is not supported`,
      );
      return;
    }
    const type = mediaType(req.headers['content-type']);
    if (!isJsonType(type)) {
      this.#reject(
        req,
        res,
        415,
        'unsupported_media_type',
        `expected a JSON body (Catchpoint "JSON" format), got content-type ${type?.slice(0, 64)}`,
      );
      return;
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > this.#o.maxBodyBytes) {
      this.#reject(req, res, 413, 'too_large', `body larger than ${this.#o.maxBodyBytes} bytes`);
      return;
    }
    this.#readBody(req, res);
  }

  #readBody(req: IncomingMessage, res: ServerResponse): void {
    this.#inFlight++;
    // 'close' comes once per response, whether answered, aborted or destroyed.
    res.once('close', () => this.#finished());

    const chunks: Buffer[] = [];
    let size = 0;
    let stopped = false;
    req.on('data', (chunk: Buffer) => {
      if (stopped) return;
      size += chunk.length;
      if (size > this.#o.maxBodyBytes) {
        stopped = true;
        chunks.length = 0;
        req.pause();
        this.#reject(req, res, 413, 'too_large', `body larger than ${this.#o.maxBodyBytes} bytes`);
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      stopped = true;
    });
    req.on('aborted', () => {
      if (!stopped) this.#o.metrics.reject('aborted');
      stopped = true;
    });
    req.on('end', () => {
      if (stopped) return;
      stopped = true;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      this.#process(req, res, body);
    });
  }

  #finished(): void {
    this.#inFlight--;
    if (this.#inFlight === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  #process(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const first = firstNonSpace(body);
    if (first === -1) {
      this.#reject(req, res, 400, 'invalid_json', '(body): empty; expected one JSON object');
      return;
    }
    if (first !== 0x7b && first !== 0x5b) {
      this.#reject(
        req,
        res,
        415,
        'unsupported_media_type',
        '(body): not JSON; set the webhook format to JSON in Catchpoint',
      );
      return;
    }
    let json: unknown;
    try {
      const text = body.toString('utf8');
      json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (err) {
      this.#reject(req, res, 400, 'invalid_json', `(body): malformed JSON: ${(err as Error).message}`);
      return;
    }
    let outcome: IngestOutcome | Promise<IngestOutcome>;
    try {
      outcome = this.#o.ingest.accept(json);
    } catch (err) {
      this.#o.logger?.error({ err }, 'ingest failed');
      outcome = { ok: false, status: 503, reason: 'sink_error', message: 'internal error; retry later' };
    }
    if (outcome instanceof Promise) {
      outcome.then(
        (o) => this.#answer(res, o),
        () => this.#reply(res, 503, 'sink_error', 'internal error; retry later'),
      );
    } else {
      this.#answer(res, outcome);
    }
  }

  #answer(res: ServerResponse, o: IngestOutcome): void {
    if (res.destroyed || res.headersSent) return;
    if (o.ok) {
      const body = o.unknownNode
        ? `{"ok":true,"points":${o.points},"node":"unknown"}`
        : `{"ok":true,"points":${o.points}}`;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    // Ingest counted the rejection itself.
    this.#reply(res, o.status, o.reason, o.message);
  }

  #reject(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    reason: RejectReason,
    message: string,
    headers: Record<string, string> = {},
  ): void {
    this.#o.metrics.reject(reason);
    // When the body was not read to the end, close the connection rather than drain it.
    const unread = !req.complete;
    this.#reply(res, status, reason, message, unread ? { ...headers, connection: 'close' } : headers);
    if (unread) {
      res.once('finish', () => req.destroy());
    }
  }

  #reply(
    res: ServerResponse,
    status: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
  ): void {
    if (res.headersSent || res.destroyed) return;
    const body = JSON.stringify({ error: { code, message } });
    const h: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...headers,
    };
    if (status === 503) h['retry-after'] = String(this.#o.retryAfterSeconds);
    res.writeHead(status, h);
    res.end(body);
  }

  #healthReply(res: ServerResponse, head: boolean): void {
    const status = this.#shuttingDown ? 'shutting_down' : 'ok';
    const body = JSON.stringify({
      status,
      uptimeSeconds: Math.round((Date.now() - this.#started) / 1000),
      ...(this.#o.health?.() ?? {}),
      counters: this.#o.metrics.snapshot(),
    });
    res.writeHead(this.#shuttingDown ? 503 : 200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(head ? undefined : body);
  }

  /** Starts a node:http server with this handler. Resolves with the bound address. */
  listen(options: ListenOptions): Promise<AddressInfo> {
    if (this.#server !== undefined) throw new Error('WebhookServer.listen called twice');
    const server = createServer(
      {
        requestTimeout: options.requestTimeoutMs ?? 30_000,
        headersTimeout: Math.min(options.requestTimeoutMs ?? 30_000, 20_000),
        keepAliveTimeout: 5_000,
      },
      this.handle,
    );
    server.maxConnections = options.maxConnections ?? 1024;
    server.maxHeadersCount = 100;
    this.#server = server;
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen(options.port, options.host, () => {
        server.off('error', onError);
        server.on('error', (err) => this.#o.logger?.error({ err }, 'webhook server error'));
        resolve(server.address() as AddressInfo);
      });
    });
  }

  /**
   * Stops accepting connections, answers new requests on open connections with 503, waits for
   * requests in flight to finish (at most `deadlineMs`), then closes every connection.
   * Resolves true when all requests finished in time. Idempotent.
   */
  async close(deadlineMs = 10_000): Promise<boolean> {
    this.#shuttingDown = true;
    const server = this.#server;
    const closed = server
      ? new Promise<void>((resolve) => {
          if (!server.listening) return resolve();
          server.close(() => resolve());
        })
      : Promise.resolve();
    server?.closeIdleConnections();
    const drained =
      this.#inFlight === 0
        ? Promise.resolve(true)
        : new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), deadlineMs);
            timer.unref();
            this.#idleWaiters.push(() => {
              clearTimeout(timer);
              resolve(true);
            });
          });
    const inTime = await drained;
    server?.closeAllConnections();
    await closed;
    return inTime;
  }
}
