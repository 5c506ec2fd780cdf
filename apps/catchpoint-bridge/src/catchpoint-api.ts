import { type Dispatcher, request } from 'undici';
import { type NodeInfo, nodeFromV1, nodeFromV2 } from './node-info.js';

/**
 * Clients for Catchpoint's REST API, used only to learn node metadata (city, country, ASN...).
 *
 * - v1: OAuth2 client credentials. `POST /ui/api/token` with a form body
 *   `grant_type=client_credentials&client_id=…&client_secret=…` returns
 *   `{access_token, expires_in}`; `GET /ui/api/v1/nodes` returns `{items: [...]}`. v1 expects
 *   the access token base64-encoded in `Authorization: Bearer …` (what Catchpoint's own SDKs
 *   and the NS1 bridge's client send).
 * - v2: a static API key as a bearer token; `GET /api/v2/nodes/all?pageNumber=&pageSize=`
 *   returns `{data: {nodes: [...], hasMore}, completed, errors}`, one page at a time.
 *
 * Failures are values, never exceptions: the caller keeps its last good node list.
 * Credentials and tokens never appear in an error message.
 */

export type ApiErrorCode =
  | 'network'
  | 'timeout'
  | 'aborted'
  | 'http'
  | 'auth'
  | 'invalid_response'
  | 'too_large';

export interface ApiError {
  code: ApiErrorCode;
  message: string;
  status?: number;
}

export type NodesResult = { ok: true; nodes: NodeInfo[] } | { ok: false; error: ApiError };

export interface NodeSource {
  readonly api: 'v1' | 'v2';
  fetchNodes(signal?: AbortSignal): Promise<NodesResult>;
}

export interface HttpOptions {
  /** `https://io.catchpoint.com` unless told otherwise; a path prefix is kept. */
  baseUrl: string;
  /** Per request, headers and body together. Default 30 s. */
  timeoutMs?: number;
  /** A node list is a few MB at most; anything beyond this is refused. Default 32 MiB. */
  maxResponseBytes?: number;
  /** For tests (a MockAgent) or a proxy; undici's global dispatcher otherwise. */
  dispatcher?: Dispatcher;
}

export interface V1Options extends HttpOptions {
  clientId: string;
  clientSecret: string;
  /** Clock for token expiry; `Date.now` by default. */
  now?: () => number;
}

export interface V2Options extends HttpOptions {
  apiKey: string;
  /** Default 500. */
  pageSize?: number;
  /** Stops a server that always says `hasMore` from looping forever. Default 200. */
  maxPages?: number;
}

interface RawResponse {
  status: number;
  text: string;
}

type FetchOutcome = { ok: true; response: RawResponse } | { ok: false; error: ApiError };

function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

async function readLimited(
  body: Dispatcher.ResponseData['body'],
  limit: number,
): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function send(
  options: HttpOptions,
  path: string,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
  signal: AbortSignal | undefined,
): Promise<FetchOutcome> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const url = joinUrl(options.baseUrl, path);
  try {
    const res = await request(url, {
      method: init.method,
      headers: init.headers,
      body: init.body ?? null,
      signal: combined,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
    const text = await readLimited(res.body, options.maxResponseBytes ?? 32 * 1024 * 1024);
    if (text === undefined) {
      return {
        ok: false,
        error: { code: 'too_large', message: `${init.method} ${path}: response larger than the limit` },
      };
    }
    return { ok: true, response: { status: res.statusCode, text } };
  } catch (err) {
    if (signal?.aborted)
      return { ok: false, error: { code: 'aborted', message: `${init.method} ${path}: aborted` } };
    if (timeout.aborted) {
      return {
        ok: false,
        error: { code: 'timeout', message: `${init.method} ${path}: no answer within ${timeoutMs} ms` },
      };
    }
    const e = err as { code?: string; message?: string };
    return {
      ok: false,
      error: {
        code: 'network',
        message: `${init.method} ${path}: ${e.code ?? 'error'} ${e.message ?? ''}`.trim(),
      },
    };
  }
}

/** A short, secret-free description of an error body: only known message fields, truncated. */
function describeBody(text: string): string {
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    for (const key of ['error_description', 'error', 'Message', 'message']) {
      const v = j[key];
      if (typeof v === 'string') return v.slice(0, 200);
    }
    const errors = j['errors'];
    if (Array.isArray(errors) && errors.length > 0) {
      const first = errors[0] as Record<string, unknown>;
      if (typeof first?.['message'] === 'string') return first['message'].slice(0, 200);
    }
  } catch {
    // not JSON: say nothing rather than echo an HTML error page
  }
  return '';
}

function httpError(path: string, res: RawResponse): ApiError {
  const detail = describeBody(res.text);
  const code: ApiErrorCode = res.status === 401 || res.status === 403 ? 'auth' : 'http';
  return { code, status: res.status, message: `${path}: HTTP ${res.status}${detail ? ` (${detail})` : ''}` };
}

function parseJson(
  path: string,
  text: string,
): { ok: true; value: unknown } | { ok: false; error: ApiError } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, error: { code: 'invalid_response', message: `${path}: the answer is not JSON` } };
  }
}

interface Token {
  header: string;
  expiresAt: number;
}

export class CatchpointV1Client implements NodeSource {
  readonly api = 'v1' as const;
  readonly #options: V1Options;
  readonly #now: () => number;
  #token: Token | undefined;

  constructor(options: V1Options) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  async #authorize(
    signal: AbortSignal | undefined,
  ): Promise<{ ok: true; token: Token } | { ok: false; error: ApiError }> {
    const path = '/ui/api/token';
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.#options.clientId,
      client_secret: this.#options.clientSecret,
    }).toString();
    const r = await send(
      this.#options,
      path,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
      },
      signal,
    );
    if (!r.ok) return r;
    if (r.response.status !== 200) {
      const error = httpError(path, r.response);
      // A refused client id/secret is an authentication failure whatever status carries it.
      if (r.response.status === 400) error.code = 'auth';
      return { ok: false, error };
    }
    const j = parseJson(path, r.response.text);
    if (!j.ok) return j;
    const v = j.value as Record<string, unknown> | null;
    const access = v?.['access_token'];
    if (typeof access !== 'string' || access === '') {
      return {
        ok: false,
        error: { code: 'invalid_response', message: `${path}: no access_token in the answer` },
      };
    }
    const expiresIn = typeof v?.['expires_in'] === 'number' && v['expires_in'] > 0 ? v['expires_in'] : 900;
    // Renew ahead of expiry: a minute early, or a tenth of the lifetime for short-lived tokens.
    const margin = Math.min(60, expiresIn / 10);
    const token: Token = {
      header: `Bearer ${Buffer.from(access, 'utf8').toString('base64')}`,
      expiresAt: this.#now() + (expiresIn - margin) * 1000,
    };
    this.#token = token;
    return { ok: true, token };
  }

  async #validToken(signal: AbortSignal | undefined) {
    const t = this.#token;
    if (t !== undefined && this.#now() < t.expiresAt) return { ok: true as const, token: t };
    this.#token = undefined;
    return this.#authorize(signal);
  }

  /** True while a token is held and not yet due for renewal (for tests and health). */
  get hasValidToken(): boolean {
    return this.#token !== undefined && this.#now() < this.#token.expiresAt;
  }

  async fetchNodes(signal?: AbortSignal): Promise<NodesResult> {
    const path = '/ui/api/v1/nodes';
    for (let attempt = 0; attempt < 2; attempt++) {
      const t = await this.#validToken(signal);
      if (!t.ok) return t;
      const r = await send(
        this.#options,
        path,
        { method: 'GET', headers: { authorization: t.token.header, accept: 'application/json' } },
        signal,
      );
      if (!r.ok) return r;
      const expired = r.response.status === 401 || /expired token/i.test(r.response.text.slice(0, 512));
      if (expired) {
        // The token was revoked or expired early: get a new one and try once more.
        this.#token = undefined;
        if (attempt === 0) continue;
        return { ok: false, error: httpError(path, { ...r.response, status: 401 }) };
      }
      if (r.response.status !== 200) return { ok: false, error: httpError(path, r.response) };
      const j = parseJson(path, r.response.text);
      if (!j.ok) return j;
      const v = j.value as Record<string, unknown> | unknown[] | null;
      const items = Array.isArray(v) ? v : v?.['items'];
      if (!Array.isArray(items)) {
        return {
          ok: false,
          error: { code: 'invalid_response', message: `${path}: no "items" array in the answer` },
        };
      }
      const nodes: NodeInfo[] = [];
      for (const raw of items) {
        const node = nodeFromV1(raw);
        if (node !== undefined) nodes.push(node);
      }
      return { ok: true, nodes };
    }
    // Unreachable: the loop returns on its second pass.
    return { ok: false, error: { code: 'auth', message: `${path}: token refused` } };
  }
}

export class CatchpointV2Client implements NodeSource {
  readonly api = 'v2' as const;
  readonly #options: V2Options;

  constructor(options: V2Options) {
    this.#options = options;
  }

  async fetchNodes(signal?: AbortSignal): Promise<NodesResult> {
    const pageSize = this.#options.pageSize ?? 500;
    const maxPages = this.#options.maxPages ?? 200;
    const nodes: NodeInfo[] = [];
    const seen = new Set<number>();
    for (let page = 1; page <= maxPages; page++) {
      const path = `/api/v2/nodes/all?pageNumber=${page}&pageSize=${pageSize}`;
      const r = await send(
        this.#options,
        path,
        {
          method: 'GET',
          headers: { authorization: `Bearer ${this.#options.apiKey}`, accept: 'application/json' },
        },
        signal,
      );
      if (!r.ok) return r;
      if (r.response.status !== 200) return { ok: false, error: httpError(path, r.response) };
      const j = parseJson(path, r.response.text);
      if (!j.ok) return j;
      const v = j.value as Record<string, unknown> | null;
      if (v?.['completed'] === false) {
        const detail = describeBody(r.response.text);
        return {
          ok: false,
          error: { code: 'http', message: `${path}: request not completed${detail ? ` (${detail})` : ''}` },
        };
      }
      const data = v?.['data'];
      const list = Array.isArray(data)
        ? data
        : ((data as Record<string, unknown> | undefined)?.['nodes'] ??
          (data as Record<string, unknown>)?.['items']);
      if (!Array.isArray(list)) {
        return {
          ok: false,
          error: { code: 'invalid_response', message: `${path}: no "data.nodes" array in the answer` },
        };
      }
      let fresh = 0;
      for (const raw of list) {
        const node = nodeFromV2(raw);
        if (node !== undefined && !seen.has(node.id)) {
          seen.add(node.id);
          nodes.push(node);
          fresh++;
        }
      }
      const hasMore = (data as Record<string, unknown> | undefined)?.['hasMore'];
      const more = typeof hasMore === 'boolean' ? hasMore : list.length >= pageSize;
      // A page with nothing new means the server ignores paging: stop rather than loop.
      if (!more || fresh === 0) return { ok: true, nodes };
    }
    // A partial list would replace a complete one; keep the last good list instead.
    return {
      ok: false,
      error: { code: 'invalid_response', message: `/api/v2/nodes/all: still more after ${maxPages} pages` },
    };
  }
}
