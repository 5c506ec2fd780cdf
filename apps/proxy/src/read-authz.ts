import type { Principal } from '@otsdb/auth';

/** A read request as it arrives (credentials are in headers, not here). */
export interface ReadTarget {
  method: string;
  path: string;
  search: string;
  body: Uint8Array | undefined;
}

export type ReadDecision =
  | {
      ok: true;
      search: string;
      body: Uint8Array | undefined;
      /** Applied to the backend's JSON answer before it goes out (suggest results). */
      filterResponse?: (json: unknown) => unknown;
    }
  | { ok: false; status: number; message: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Keeps a restricted principal's reads inside what it may see. Metric patterns: every metric a
 * query names must match (`tsuids` cannot be checked, so they are refused), and metric
 * suggestions are filtered. Forced tags: every query gets `tagk=literal_or(value)` as an extra
 * filter; OpenTSDB ANDs filters, so whatever else the query asks for, it only sees series with
 * that tag (the same tag its writes were forced to carry). Tag-name and tag-value suggestions
 * would list other tenants' tags, so they are refused. An unrestricted principal's request
 * passes unchanged.
 */
export function authorizeReadRequest(principal: Principal, req: ReadTarget): ReadDecision {
  const patterns = principal.metricPatterns;
  const forced = principal.forcedTags;
  if (patterns === undefined && forced === undefined) return { ok: true, search: req.search, body: req.body };
  const policy: Policy = {
    metricAllowed: (metric) => patterns === undefined || patterns.matches(metric),
    forced: forced === undefined ? [] : Object.entries(forced),
    name: principal.name,
  };
  try {
    switch (req.path) {
      case '/api/version':
      case '/api/aggregators':
        return { ok: true, search: req.search, body: req.body };
      case '/api/query':
        return rewrite(
          req,
          (params) => rewriteQueryParams(params, policy),
          (json) => rewriteQueryBody(json, policy),
        );
      case '/api/query/last':
        return rewrite(
          req,
          (params) => rewriteLastParams(params, policy),
          (json) => rewriteLastBody(json, policy),
        );
      case '/api/search/lookup':
        return rewrite(
          req,
          (params) => rewriteLookupParams(params, policy),
          (json) => rewriteLookupBody(json, policy),
        );
      case '/api/suggest':
        return suggest(req, principal, policy);
      default:
        return denied(403, `'${principal.name}' may not use ${req.path}`);
    }
  } catch (error) {
    if (error instanceof ReadDenied) return { ok: false, status: error.status, message: error.message };
    throw error;
  }
}

interface Policy {
  metricAllowed(metric: string): boolean;
  forced: [string, string][];
  name: string;
}

class ReadDenied extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function denied(status: number, message: string): ReadDecision {
  return { ok: false, status, message };
}

function checkMetric(metric: unknown, policy: Policy): string {
  if (typeof metric !== 'string' || metric === '') throw new ReadDenied(400, 'a query needs a metric name');
  if (!policy.metricAllowed(metric)) {
    throw new ReadDenied(403, `metric '${metric}' is not among the metrics '${policy.name}' may read`);
  }
  return metric;
}

function rewrite(
  req: ReadTarget,
  params: (p: URLSearchParams) => void,
  body: (json: unknown) => unknown,
): ReadDecision {
  const search = new URLSearchParams(req.search);
  params(search);
  const text = search.toString();
  let newBody = req.body;
  if (req.body !== undefined && req.body.byteLength > 0) newBody = encodeJson(body(parseJson(req.body)));
  return { ok: true, search: text === '' ? '' : `?${text}`, body: newBody };
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(body));
  } catch {
    throw new ReadDenied(400, 'the request body is not valid JSON');
  }
}

function encodeJson(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// ---- /api/query ------------------------------------------------------------------------------

function rewriteQueryParams(params: URLSearchParams, policy: Policy): void {
  if (params.has('tsuid')) throw new ReadDenied(403, 'queries by tsuid cannot be checked; query by metric');
  const ms = params.getAll('m');
  params.delete('m');
  for (const m of ms) params.append('m', rewriteMParam(m, policy));
}

/** `sum:1h-avg:rate{counter}:sys.cpu{host=*}{dc=lga}` -> the same with the forced filters added. */
export function rewriteMParam(m: string, policy: Policy): string {
  const parts = splitTopLevel(m, ':');
  const last = parts[parts.length - 1]!;
  const spec = parseSeriesSpec(last);
  checkMetric(spec.metric, policy);
  if (policy.forced.length === 0) return m;
  const groupBy = spec.groups[0] ?? '';
  let filters = spec.groups[1] ?? '';
  for (const [k, v] of policy.forced) filters += `${filters === '' ? '' : ','}${k}=literal_or(${v})`;
  parts[parts.length - 1] = `${spec.metric}{${groupBy}}{${filters}}`;
  return parts.join(':');
}

function rewriteQueryBody(json: unknown, policy: Policy): unknown {
  if (!isObject(json) || !Array.isArray(json.queries)) return json; // the TSD answers 400
  for (const q of json.queries as unknown[]) {
    if (!isObject(q)) continue;
    if (q.tsuids !== undefined)
      throw new ReadDenied(403, 'queries by tsuid cannot be checked; query by metric');
    checkMetric(q.metric, policy);
    if (policy.forced.length === 0) continue;
    // OpenTSDB turns `tags` into filters, and a later `filters` or `tags` field replaces the
    // earlier: so `tags` becomes filters here, and the forced ones are added to one list.
    const filters: unknown[] = Array.isArray(q.filters) ? [...(q.filters as unknown[])] : [];
    if (isObject(q.tags)) {
      for (const [tagk, value] of Object.entries(q.tags)) {
        if (typeof value === 'string') filters.push(tagToFilter(tagk, value));
      }
    }
    delete q.tags;
    for (const [tagk, value] of policy.forced) {
      filters.push({ type: 'literal_or', tagk, filter: value, groupBy: false });
    }
    q.filters = filters;
  }
  return json;
}

/** OpenTSDB's `TagVFilter.tagsToFilters` for one `tags` entry (all group-by). */
export function tagToFilter(tagk: string, value: string): Record<string, unknown> {
  if (value === '*') return { type: 'wildcard', tagk, filter: '*', groupBy: true };
  const paren = value.indexOf('(');
  if (paren > -1) {
    const close = value.lastIndexOf(')');
    const inner = close > paren ? value.slice(paren + 1, close) : value.slice(paren + 1);
    return { type: value.slice(0, paren).toLowerCase(), tagk, filter: inner, groupBy: true };
  }
  if (value.includes('*')) return { type: 'wildcard', tagk, filter: value, groupBy: true };
  return { type: 'literal_or', tagk, filter: value, groupBy: true };
}

// ---- /api/query/last and /api/search/lookup ---------------------------------------------------

function rewriteLastParams(params: URLSearchParams, policy: Policy): void {
  if (params.has('tsuids')) throw new ReadDenied(403, 'queries by tsuid cannot be checked; query by metric');
  const all = params.getAll('timeseries');
  params.delete('timeseries');
  for (const t of all) params.append('timeseries', rewriteExactSpec(t, policy));
}

function rewriteLastBody(json: unknown, policy: Policy): unknown {
  if (!isObject(json) || !Array.isArray(json.queries)) return json;
  for (const q of json.queries as unknown[]) {
    if (!isObject(q)) continue;
    if (q.tsuids !== undefined)
      throw new ReadDenied(403, 'queries by tsuid cannot be checked; query by metric');
    checkMetric(q.metric, policy);
    if (policy.forced.length === 0) continue;
    const tags: Record<string, unknown> = isObject(q.tags) ? { ...q.tags } : {};
    for (const [k, v] of policy.forced) tags[k] = v;
    q.tags = tags;
  }
  return json;
}

function rewriteLookupParams(params: URLSearchParams, policy: Policy): void {
  const m = params.get('m');
  if (m === null) return;
  params.set('m', rewriteExactSpec(m, policy));
}

function rewriteLookupBody(json: unknown, policy: Policy): unknown {
  if (!isObject(json)) return json;
  checkMetric(json.metric, policy);
  if (policy.forced.length === 0) return json;
  const tags: unknown[] = Array.isArray(json.tags)
    ? (json.tags as unknown[]).filter((t) => !(isObject(t) && policy.forced.some(([k]) => k === t.key)))
    : [];
  for (const [key, value] of policy.forced) tags.push({ key, value });
  json.tags = tags;
  return json;
}

/** `metric{k=v,...}` with the forced tags set (overriding the client's). */
function rewriteExactSpec(spec: string, policy: Policy): string {
  const parsed = parseSeriesSpec(spec);
  checkMetric(parsed.metric, policy);
  if (policy.forced.length === 0) return spec;
  const pairs = new Map<string, string>();
  for (const pair of splitTopLevel(parsed.groups[0] ?? '', ',')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ReadDenied(400, `malformed tag '${pair}' in '${spec}'`);
    pairs.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  for (const [k, v] of policy.forced) pairs.set(k, v);
  return `${parsed.metric}{${[...pairs].map(([k, v]) => `${k}=${v}`).join(',')}}`;
}

// ---- /api/suggest ------------------------------------------------------------------------------

function suggest(req: ReadTarget, principal: Principal, policy: Policy): ReadDecision {
  let type = new URLSearchParams(req.search).get('type');
  if (req.body !== undefined && req.body.byteLength > 0) {
    const json = parseJson(req.body);
    if (isObject(json) && typeof json.type === 'string') type = json.type;
  }
  if (type !== 'metrics') {
    return denied(403, `'${principal.name}' may only ask for metric suggestions (type=metrics)`);
  }
  return {
    ok: true,
    search: req.search,
    body: req.body,
    filterResponse: (json) =>
      Array.isArray(json) ? json.filter((m) => typeof m === 'string' && policy.metricAllowed(m)) : json,
  };
}

// ---- series specs ------------------------------------------------------------------------------

/** Splits on `sep` outside braces and parentheses. */
function splitTopLevel(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '{' || c === '(') depth++;
    else if (c === '}' || c === ')') depth--;
    else if (c === sep && depth === 0) {
      out.push(s.slice(from, i));
      from = i + 1;
    }
    if (depth < 0) throw new ReadDenied(400, `unbalanced braces in '${s}'`);
  }
  if (depth !== 0) throw new ReadDenied(400, `unbalanced braces in '${s}'`);
  out.push(s.slice(from));
  return out;
}

/** `metric`, `metric{a}`, `metric{a}{b}` -> name and the brace groups' contents. */
function parseSeriesSpec(spec: string): { metric: string; groups: string[] } {
  const brace = spec.indexOf('{');
  const metric = (brace < 0 ? spec : spec.slice(0, brace)).trim();
  const groups: string[] = [];
  let i = brace;
  while (i >= 0 && i < spec.length) {
    if (spec[i] !== '{') throw new ReadDenied(400, `malformed series '${spec}'`);
    let depth = 0;
    let j = i;
    for (; j < spec.length; j++) {
      if (spec[j] === '{' || spec[j] === '(') depth++;
      else if (spec[j] === '}' || spec[j] === ')') {
        depth--;
        if (depth === 0) break;
      }
    }
    if (j >= spec.length) throw new ReadDenied(400, `unbalanced braces in '${spec}'`);
    groups.push(spec.slice(i + 1, j));
    i = j + 1;
  }
  if (groups.length > 2) throw new ReadDenied(400, `malformed series '${spec}'`);
  return { metric, groups };
}
