import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TlsOptions } from 'node:tls';
import { type AuthResult, authorizeRead, credentialsFromHeaders, type Principal } from '@otsdb/auth';
import {
  type DataPoint,
  datapointEcho,
  decodePutBody,
  errorEnvelope,
  type IndexedPointError,
  type PutResponseMode,
  putResponse,
} from '@otsdb/protocol';
import type { BackendWriteResult, ReadRequest } from './backends/backend.js';
import type { ProxyContext } from './context.js';
import { credentialTagProblem, FoundCredentials, stripCredentialTags } from './credential-tags.js';
import { readBody } from './http-body.js';
import { listen } from './listen.js';
import { authorizeReadRequest } from './read-authz.js';
import type { RejectReason } from './write-rules.js';

export interface HttpListenerOptions {
  host: string;
  port: number;
  tls?: TlsOptions | undefined;
}

export interface HttpListener {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  stopAccepting(): Promise<void>;
  /** Waits for requests in progress until the deadline, then closes every connection. */
  drain(deadline: number): Promise<void>;
  /** HTTPS: the certificate and key for new connections (open ones keep theirs). */
  setSecureContext?(options: TlsOptions): void;
}

const JSON_TYPE = 'application/json; charset=UTF-8';
const READ_PATHS = new Set([
  '/api/query',
  '/api/query/last',
  '/api/suggest',
  '/api/search/lookup',
  '/api/version',
  '/api/aggregators',
]);
/** Headers a read request may carry to the backend: never credentials or cookies. */
const FORWARDED_HEADERS = ['content-type', 'accept', 'accept-encoding', 'accept-language', 'user-agent'];
const WWW_AUTHENTICATE = 'Basic realm="opentsdb-proxy", Bearer realm="opentsdb-proxy"';
/** Largest backend answer the proxy reads whole to filter it (suggestions). */
const MAX_FILTERED_RESPONSE = 16 * 1024 * 1024;

/**
 * OpenTSDB's HTTP API as a gateway: `/api/put` (write scope) answered like a TSD once the
 * backend took the points; the read endpoints (read scope) passed to the backend with the
 * caller's credentials removed; `/health`, `/metrics` and `/api/stats` for operators.
 */
export async function startHttpListener(
  ctx: ProxyContext,
  options: HttpListenerOptions,
): Promise<HttpListener> {
  const log = ctx.logger.child({ component: options.tls ? 'https' : 'http' });
  const limits = ctx.config.limits;
  const inFlight = new Set<Promise<void>>();
  const serverOptions = {
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: Math.min(limits.requestTimeoutMs, 30_000),
    keepAliveTimeout: 5000,
    maxHeaderSize: 16 * 1024,
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const done = handle(ctx, req, res).catch((error: unknown) => {
      log.error({ err: error instanceof Error ? error.message : String(error) }, 'request failed');
      if (!res.headersSent) sendError(ctx, res, 500, 'Internal Server Error', 'see the proxy log');
      else res.destroy();
    });
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  };
  const secure =
    options.tls === undefined ? undefined : createHttpsServer({ ...options.tls, ...serverOptions }, handler);
  const server: Server = secure ?? createHttpServer(serverOptions, handler);

  // Every raw socket, TLS handshakes included: what is left at the deadline is destroyed.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    if (ctx.stopping || !ctx.connections.tryAcquire()) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      ctx.connections.release();
    });
  });
  server.on('clientError', (_error, socket) => {
    // Not HTTP at all (random bytes, a telnet client on the wrong port): a plain 400 and close.
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  server.on('tlsClientError', (error) => {
    ctx.metrics.tlsErrors++;
    log.debug({ err: error.message }, 'TLS handshake failed');
  });
  server.on('error', (error) => log.error({ err: error.message }, 'HTTP listener error'));

  const port = await listen(server, options.port, options.host);

  // As for telnet: close() calls back once every connection is gone, which drain() awaits.
  let closed: Promise<void> | undefined;
  const stopAccepting = () => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    return Promise.resolve();
  };
  return {
    host: options.host,
    port,
    tls: options.tls !== undefined,
    ...(secure === undefined ? {} : { setSecureContext: (o: TlsOptions) => secure.setSecureContext(o) }),
    stopAccepting,
    async drain(deadline: number) {
      await stopAccepting();
      const left = Math.max(0, deadline - Date.now());
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, left);
        }),
      ]);
      clearTimeout(timer);
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function splitUrl(url: string): { path: string; search: string } {
  const q = url.indexOf('?');
  let path = q < 0 ? url : url.slice(0, q);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return { path, search: q < 0 ? '' : url.slice(q) };
}

async function handle(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { path, search } = splitUrl(req.url ?? '/');
  if (ctx.stopping) res.setHeader('connection', 'close');
  switch (path) {
    case '/health':
    case '/api/health': {
      const status = ctx.stopping ? 503 : 200;
      send(ctx, res, status, JSON_TYPE, JSON.stringify({ status: ctx.stopping ? 'stopping' : 'ok' }));
      return;
    }
    case '/metrics':
      send(ctx, res, 200, JSON_TYPE, JSON.stringify(snapshot(ctx)));
      return;
    case '/api/stats':
      send(ctx, res, 200, JSON_TYPE, JSON.stringify(ctx.statsPoints()));
      return;
    case '/api/put':
      await put(ctx, req, res, search);
      return;
    default:
      if (READ_PATHS.has(path)) {
        await read(ctx, req, res, path, search);
        return;
      }
      sendError(ctx, res, 404, 'Endpoint not found', `${path.slice(0, 200)} is not served by this proxy`);
  }
}

function snapshot(ctx: ProxyContext) {
  return ctx.metrics.snapshot(ctx.backend.stats(), ctx.auth.stats());
}

// ---- authentication ------------------------------------------------------------------------

type Authenticated = { ok: true; principal: Principal } | { ok: false; result: AuthResult | undefined };

async function authenticateHeaders(ctx: ProxyContext, req: IncomingMessage): Promise<Authenticated | 'none'> {
  if (ctx.auth.anonymous !== undefined) return { ok: true, principal: ctx.auth.anonymous };
  const credentials = credentialsFromHeaders(req.headers);
  if (credentials.kind === 'none') {
    const certified = ctx.auth.certificatePrincipal(req.socket);
    return certified === undefined ? 'none' : { ok: true, principal: certified };
  }
  const result = await ctx.auth.authenticate(credentials, req.socket.remoteAddress);
  if (result.ok) return { ok: true, principal: result.principal };
  ctx.metrics.authFailures++;
  return { ok: false, result };
}

function sendAuthFailure(ctx: ProxyContext, res: ServerResponse, result: AuthResult | undefined): void {
  if (result === undefined || result.ok) {
    res.setHeader('www-authenticate', WWW_AUTHENTICATE);
    sendError(
      ctx,
      res,
      401,
      'Authentication required',
      'send Authorization: Basic or Bearer, or X-Warp10-Token',
    );
    return;
  }
  switch (result.reason) {
    case 'rate_limited':
      res.setHeader('retry-after', String(Math.max(1, Math.ceil((result.retryAfterMs ?? 1000) / 1000))));
      sendError(ctx, res, 429, 'Too many failed authentications', result.message);
      return;
    case 'unavailable':
    case 'busy':
      res.setHeader('retry-after', '5');
      sendError(ctx, res, 503, 'Authentication unavailable', result.message);
      return;
    default:
      res.setHeader('www-authenticate', WWW_AUTHENTICATE);
      sendError(ctx, res, 401, 'Unauthorized', result.message);
  }
}

// ---- /api/put --------------------------------------------------------------------------------

async function put(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  search: string,
): Promise<void> {
  if (req.method !== 'POST') {
    sendError(
      ctx,
      res,
      405,
      'Method not allowed',
      `The HTTP method [${(req.method ?? '').slice(0, 16)}] is not permitted for this endpoint`,
    );
    req.resume();
    return;
  }
  const auth = await authenticateHeaders(ctx, req);
  if (auth !== 'none' && !auth.ok) {
    sendAuthFailure(ctx, res, auth.result);
    req.resume();
    return;
  }
  if (auth !== 'none' && !auth.principal.scopes.has('write')) {
    sendError(ctx, res, 403, 'Forbidden', `'${auth.principal.name}' may not write (no 'write' scope)`);
    req.resume();
    return;
  }
  const body = await readBody(req, ctx.config.limits.maxBodyBytes);
  if (!body.ok) {
    if (body.status === 413) res.setHeader('connection', 'close');
    sendError(ctx, res, body.status, body.message, body.details);
    if (body.status === 413) res.once('finish', () => req.socket.destroySoon());
    return;
  }
  const params = new URLSearchParams(search);
  const mode: PutResponseMode = params.has('details')
    ? 'details'
    : params.has('summary')
      ? 'summary'
      : 'plain';
  const decoded = decodePutBody(body.body, ctx.rules.parseOptions);
  if (!decoded.ok) {
    sendError(ctx, res, decoded.error.status, decoded.error.message, decoded.error.details);
    return;
  }
  const names = ctx.rules.names;
  const errors: IndexedPointError[] = decoded.errors.map((e) => ({
    index: e.index,
    datapoint: scrubEcho(e.datapoint, names.user, names.password),
    error: ctx.rules.maskError(e.error),
  }));
  ctx.metrics.rejected.invalid += errors.length;
  const total = decoded.points.length + decoded.errors.length;
  ctx.metrics.pointsReceived += decoded.points.length;

  const accepted: DataPoint[] = [];
  const acceptedIndices: number[] = [];
  const byPrincipal = new Map<Principal, number>();
  const tagLogins = new Map<string, Promise<AuthResult>>();
  const found = new FoundCredentials();
  let unauthorized = 0;
  const refuse = (index: number, point: DataPoint, reason: RejectReason, message: string) => {
    ctx.metrics.rejected[reason]++;
    if (reason === 'unauthorized') unauthorized++;
    errors.push({ index, datapoint: datapointEcho(point), error: { code: 'invalid_tag', message } });
  };
  for (let i = 0; i < decoded.points.length; i++) {
    const point = decoded.points[i]!;
    const index = decoded.indices[i]!;
    stripCredentialTags(point, names, found);
    if (found.misspelled !== undefined) {
      refuse(index, point, 'credentials', credentialTagProblem(found, names) ?? 'unusable credential tags');
      continue;
    }
    let principal: Principal;
    if (auth !== 'none') {
      // Authenticated by header: credential tags on the points are dropped, never used.
      principal = auth.principal;
    } else if ((found.user === undefined) !== (found.password === undefined)) {
      refuse(index, point, 'credentials', credentialTagProblem(found, names) ?? 'unusable credential tags');
      continue;
    } else if (found.user === undefined) {
      refuse(index, point, 'unauthorized', 'credentials required');
      continue;
    } else {
      // No Authorization header: tcollector-style user/password tags on the points themselves.
      const problem = credentialTagProblem(found, names);
      if (problem !== undefined) {
        refuse(index, point, 'credentials', problem);
        continue;
      }
      const key = `${found.user}\0${found.password}`;
      let login = tagLogins.get(key);
      if (login === undefined) {
        login = ctx.auth.authenticate(
          { kind: 'basic', user: found.user, password: found.password! },
          req.socket.remoteAddress,
        );
        tagLogins.set(key, login);
      }
      const result = await login;
      if (!result.ok) {
        ctx.metrics.authFailures++;
        refuse(index, point, 'unauthorized', result.message);
        continue;
      }
      principal = result.principal;
    }
    const refused = ctx.rules.admit(point, found.tagCount, principal);
    if (refused !== undefined) {
      ctx.metrics.rejected[refused.reason]++;
      errors.push({
        index,
        datapoint: datapointEcho(point),
        error: { code: 'invalid_tag', message: refused.message },
      });
      continue;
    }
    accepted.push(point);
    acceptedIndices.push(index);
    byPrincipal.set(principal, (byPrincipal.get(principal) ?? 0) + 1);
  }

  if (
    auth === 'none' &&
    accepted.length === 0 &&
    unauthorized > 0 &&
    unauthorized === total - decoded.errors.length
  ) {
    sendAuthFailure(ctx, res, undefined);
    return;
  }
  const limiter = ctx.rateLimiter;
  if (limiter !== undefined) {
    for (const [principal, n] of byPrincipal) {
      const key =
        ctx.auth.anonymous === undefined ? `p:${principal.name}` : `ip:${req.socket.remoteAddress ?? ''}`;
      const bucket = limiter.bucket(key);
      if (!bucket.take(n)) {
        ctx.metrics.rejected.rate_limited += accepted.length;
        const wait = bucket.waitMs(n);
        res.setHeader(
          'retry-after',
          String(Number.isFinite(wait) ? Math.max(1, Math.ceil(wait / 1000)) : 60),
        );
        sendError(
          ctx,
          res,
          429,
          'Too many data points',
          `'${principal.name}' may write ${bucket.rate} points/s (burst ${bucket.burst}); this request has ${n}`,
        );
        return;
      }
    }
  }

  let success = 0;
  if (accepted.length > 0) {
    ctx.metrics.pointsAccepted += accepted.length;
    const written = await writeWithDeadline(ctx, accepted);
    if (!written.ok) {
      ctx.metrics.rejected.backend += accepted.length - written.accepted;
      if (written.status === 503) res.setHeader('retry-after', '5');
      sendError(
        ctx,
        res,
        written.status,
        written.message,
        `${written.accepted} of ${accepted.length} points were written`,
      );
      return;
    }
    success = written.accepted;
    for (const r of written.rejected) {
      ctx.metrics.rejected.backend++;
      const at = r.index === undefined ? -1 : (acceptedIndices[r.index] ?? -1);
      const datapoint =
        r.index !== undefined && accepted[r.index] !== undefined
          ? datapointEcho(accepted[r.index]!)
          : r.datapoint;
      errors.push({ index: at, datapoint, error: { code: 'invalid_value', message: r.message } });
    }
  }
  errors.sort((a, b) => a.index - b.index);
  const reply = putResponse(mode, { success, failed: total - success, errors });
  send(ctx, res, reply.status, JSON_TYPE, reply.body);
}

/** The backend's answer, or 503 once `ackTimeoutMs` passed (the points may still arrive). */
function writeWithDeadline(ctx: ProxyContext, points: DataPoint[]): Promise<BackendWriteResult> {
  const timeoutMs = ctx.config.limits.ackTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<BackendWriteResult>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          ok: false,
          status: 503,
          code: 'timeout',
          message: `the backend did not acknowledge within ${timeoutMs} ms; the points are still queued and may be written`,
          accepted: 0,
        }),
      timeoutMs,
    );
  });
  return Promise.race([ctx.backend.write(points), timeout]).finally(() => clearTimeout(timer));
}

/** A refused entry's echo without credential tags: errors go back to the client and into logs. */
export function scrubEcho(datapoint: unknown, userTag: string, passwordTag: string): unknown {
  if (datapoint === null || typeof datapoint !== 'object' || Array.isArray(datapoint)) return datapoint;
  const d = datapoint as Record<string, unknown>;
  const tags = d.tags;
  if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) return datapoint;
  const lowerPassword = passwordTag.toLowerCase();
  const clean: Record<string, unknown> = {};
  let changed = false;
  for (const [k, v] of Object.entries(tags as Record<string, unknown>)) {
    if (k === userTag || k.toLowerCase() === lowerPassword) changed = true;
    else clean[k] = v;
  }
  return changed ? { ...d, tags: clean } : datapoint;
}

// ---- reads -----------------------------------------------------------------------------------

async function read(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  search: string,
): Promise<void> {
  ctx.metrics.readRequests++;
  const handleRead = ctx.backend.handleRead;
  if (handleRead === undefined) {
    req.resume();
    sendError(ctx, res, 501, 'Not implemented', `the ${ctx.backend.type} backend does not serve reads`);
    return;
  }
  const auth = await authenticateHeaders(ctx, req);
  if (auth === 'none' || !auth.ok) {
    req.resume();
    sendAuthFailure(ctx, res, auth === 'none' ? undefined : auth.result);
    return;
  }
  const decision = authorizeRead(auth.principal);
  if (!decision.ok) {
    req.resume();
    sendError(ctx, res, 403, 'Forbidden', decision.reason);
    return;
  }
  let body: Uint8Array | undefined;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const read = await readBody(req, ctx.config.limits.maxBodyBytes);
    if (!read.ok) {
      if (read.status === 413) {
        res.setHeader('connection', 'close');
        res.once('finish', () => req.socket.destroySoon());
      }
      sendError(ctx, res, read.status, read.message, read.details);
      return;
    }
    body = read.body.length === 0 ? undefined : read.body;
  } else {
    req.resume();
  }
  const allowed = authorizeReadRequest(auth.principal, { method: req.method ?? 'GET', path, search, body });
  if (!allowed.ok) {
    sendError(
      ctx,
      res,
      allowed.status,
      allowed.status === 403 ? 'Forbidden' : 'Bad request',
      allowed.message,
    );
    return;
  }
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const v = req.headers[name];
    if (typeof v === 'string') headers[name] = v;
  }
  if (allowed.filterResponse !== undefined) headers['accept-encoding'] = 'identity';
  const forwardFor = req.socket.remoteAddress;
  if (forwardFor !== undefined) headers['x-forwarded-for'] = forwardFor;
  const request: ReadRequest = {
    method: req.method ?? 'GET',
    path,
    search: allowed.search,
    headers,
    body: allowed.body,
  };
  const response = await handleRead.call(ctx.backend, request);
  ctx.metrics.countStatus(response.status);
  if (allowed.filterResponse !== undefined && response.status === 200) {
    const text = await collect(response.body, MAX_FILTERED_RESPONSE);
    let out = text;
    try {
      out = JSON.stringify(allowed.filterResponse(JSON.parse(text)));
    } catch {
      // not JSON: pass as is (an error page)
    }
    res.writeHead(200, { 'content-type': response.headers['content-type'] ?? JSON_TYPE });
    res.end(out);
    return;
  }
  res.writeHead(response.status, response.headers);
  const b = response.body;
  if (typeof b === 'string' || b instanceof Uint8Array) {
    res.end(b);
    return;
  }
  try {
    await pipeline(Readable.from(b), res);
  } catch {
    res.destroy();
  }
}

async function collect(body: string | Uint8Array | AsyncIterable<Uint8Array>, max: number): Promise<string> {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > max) throw new Error(`backend answer larger than ${max} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

// ---- responses -------------------------------------------------------------------------------

function send(
  ctx: ProxyContext,
  res: ServerResponse,
  status: number,
  type: string,
  body: string | undefined,
): void {
  ctx.metrics.countStatus(status);
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendError(
  ctx: ProxyContext,
  res: ServerResponse,
  status: number,
  message: string,
  details?: string,
): void {
  const error = details === undefined ? { status, message } : { status, message, details };
  send(ctx, res, status, JSON_TYPE, errorEnvelope(error));
}
