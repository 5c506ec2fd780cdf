/**
 * OpenTSDB's HTTP read API over the in-memory series: routing the way RpcManager/HttpQuery do
 * (`/api/<endpoint>[/...]`, optional `/api/v1/`, case-insensitive endpoint names), method checks,
 * and every failure as OpenTSDB's JSON error envelope. Never throws: an unexpected internal error
 * becomes a 500 envelope, bad input a 4xx one.
 */
import { hostname } from 'node:os';
import { errorEnvelope } from '@otsdb/protocol';
import { aggregatorNames } from './aggregators.js';
import { type ApiError, ApiErrorSignal, apiError } from './api-error.js';
import { handleLastPoint } from './last-point.js';
import { handleLookup } from './lookup.js';
import { executeQuery, type QueryLimits } from './query-engine.js';
import { parseQueryBody, parseQueryString, validateQuery } from './query-parse.js';
import { serializeQueryResults } from './query-serialize.js';
import type { SeriesStore } from './series-store.js';
import { handleSuggest } from './suggest.js';

export interface ReadRequest {
  method: string;
  path: string;
  /** The query string with its leading '?', or ''. */
  search: string;
  body: Uint8Array | undefined;
}

export interface ReadResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ReadContext {
  readonly series: SeriesStore;
  readonly now: () => number;
  readonly limits: QueryLimits;
}

/** What a handler returns: a JSON body for 200, or an error for the envelope. */
export type HandlerResult = { ok: true; json: string } | { ok: false; error: ApiError };

const JSON_HEADERS = { 'content-type': 'application/json; charset=UTF-8' } as const;
const MAX_API_VERSION = 1;
const utf8 = new TextDecoder('utf-8');

export async function handleRead(ctx: ReadContext, req: ReadRequest): Promise<ReadResponse> {
  let result: HandlerResult;
  try {
    result = route(ctx, req);
  } catch (e) {
    if (e instanceof ApiErrorSignal) result = { ok: false, error: e.error };
    else
      result = {
        ok: false,
        error: apiError(500, 'Unexpected error in the local store', (e as Error)?.message),
      };
  }
  if (result.ok) return { status: 200, headers: { ...JSON_HEADERS }, body: result.json };
  return { status: result.error.status, headers: { ...JSON_HEADERS }, body: errorEnvelope(result.error) };
}

function route(ctx: ReadContext, req: ReadRequest): HandlerResult {
  const method = String(req.method ?? '').toUpperCase();
  const segments = String(req.path ?? '')
    .split('/')
    .filter((s) => s !== '');
  if (segments.length === 0 || segments[0]!.toLowerCase() !== 'api') return notFound();
  let i = 1;
  const v = segments[1];
  if (v !== undefined && /^v[0-9]/i.test(v)) {
    const version = Number.parseInt(v.slice(1), 10);
    if (!/^v[0-9]+$/i.test(v) || !Number.isSafeInteger(version)) {
      return refuse(
        400,
        'Invalid API version format supplied',
        `API version [${v.slice(1)}] cannot be parsed to an integer`,
      );
    }
    if (version > MAX_API_VERSION) {
      return refuse(
        501,
        'Requested API version is greater than the max implemented',
        `API version [${version}] is greater than the max [${MAX_API_VERSION}]`,
      );
    }
    i = 2;
  }
  const endpoint = segments[i]?.toLowerCase();
  const sub = segments[i + 1]?.toLowerCase() ?? '';
  const params = new URLSearchParams(req.search ?? '');
  const body = req.body === undefined || req.body.length === 0 ? '' : utf8.decode(req.body);
  const now = ctx.now();
  switch (endpoint) {
    case 'query': {
      const denied = allow(method, 'GET', 'POST', 'DELETE');
      if (denied !== undefined) return denied;
      if (method === 'DELETE') {
        return refuse(400, 'Bad request', 'Deleting data is not enabled (tsd.http.query.allow_delete=false)');
      }
      if (sub === 'last')
        return handleLastPoint(ctx.series, method === 'POST' ? body : undefined, params, now);
      if (sub === 'exp' || sub === 'gexp') {
        return refuse(501, 'Expression queries are not supported by the local store', `/api/query/${sub}`);
      }
      const raw = method === 'POST' ? parseQueryBody(body) : parseQueryString(params);
      const query = validateQuery(raw, now);
      const outcome = executeQuery(ctx.series, query, ctx.limits);
      if (!outcome.ok) return outcome;
      return { ok: true, json: serializeQueryResults(query, outcome.groups) };
    }
    case 'suggest': {
      const denied = allow(method, 'GET', 'POST');
      return denied ?? handleSuggest(ctx.series, method === 'POST' ? body : undefined, params);
    }
    case 'search': {
      const denied = allow(method, 'GET', 'POST');
      if (denied !== undefined) return denied;
      if (sub === 'lookup') return handleLookup(ctx.series, body !== '' ? body : undefined, params);
      if (['tsmeta', 'tsmeta_summary', 'tsuids', 'uidmeta', 'annotation'].includes(sub)) {
        return refuse(400, 'Searching is not enabled', 'The local store answers /api/search/lookup only');
      }
      return refuse(400, 'Invalid search query type supplied', `Unknown search type: ${sub}`);
    }
    case 'version': {
      const denied = allow(method, 'GET', 'POST');
      return denied ?? { ok: true, json: versionJson() };
    }
    case 'aggregators': {
      const denied = allow(method, 'GET', 'POST');
      return denied ?? { ok: true, json: JSON.stringify(aggregatorNames()) };
    }
    default:
      return notFound();
  }
}

/** RpcUtil.allowedMethods. */
function allow(method: string, ...allowed: string[]): HandlerResult | undefined {
  if (allowed.includes(method)) return undefined;
  return refuse(405, 'Method not allowed', `The HTTP method [${method}] is not permitted for this endpoint`);
}

function refuse(status: number, message: string, details?: string): HandlerResult {
  return { ok: false, error: apiError(status, message, details) };
}

function notFound(): HandlerResult {
  return refuse(404, 'Endpoint not found');
}

/** The shape of OpenTSDB's /api/version, saying what actually answers. */
function versionJson(): string {
  return JSON.stringify({
    version: '2.4.0',
    short_revision: 'otsdb-proxy',
    full_revision: 'otsdb-proxy local-store',
    timestamp: '0',
    repo_status: 'MINT',
    user: 'otsdb',
    host: hostname(),
    repo: '@otsdb/proxy local store (OpenTSDB 2.x compatible read API)',
  });
}
