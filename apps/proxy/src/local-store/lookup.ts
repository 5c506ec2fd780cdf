import { apiError, fail } from './api-error.js';
import type { HandlerResult } from './http-api.js';
import { parseJavaInt } from './java-text.js';
import { asArray, asInt, asObject, asString, JsonShapeError, parseJsonBody } from './json-coerce.js';
import type { Series, SeriesStore } from './series-store.js';

type Pair = [key: string | null, value: string | null];

interface LookupQuery {
  metric: string | null;
  tags: Pair[];
  limit: number;
}

const DEFAULT_LIMIT = 25;

/**
 * /api/search/lookup (SearchRpc + TimeSeriesLookup): series matching a metric and tag pairs.
 * `k=v` pairs with the same key are ORed, different keys ANDed; `k=*` (or `k=`) needs the key
 * with any value and wins over that key's pairs; `*=v` (or `=v`) values are ORed together and
 * ANDed with the rest. Every literal name must be known, else 404. Results in TSUID order, at
 * most `limit` (25 by default; 0 or less = all).
 */
export function handleLookup(
  series: SeriesStore,
  body: string | undefined,
  params: URLSearchParams,
): HandlerResult {
  const started = performance.now();
  const query = body !== undefined ? parseBody(body) : parseParams(params);
  if (query.metric === null && query.tags.length === 0) {
    fail(400, 'Missing metric and tags. Please supply at least one value.');
  }
  const unresolved = resolve(series, query);
  if (unresolved !== undefined) {
    return { ok: false, error: apiError(404, 'Unable to resolve one or more UIDs', unresolved) };
  }
  const anyValues = new Set<string>();
  const keyValues = new Map<string, Set<string> | null>(); // null = any value
  for (const [k, v] of query.tags) {
    const key = k === null || k === '*' ? null : k;
    const value = v === null || v === '*' ? null : v;
    if (key === null) {
      if (value !== null) anyValues.add(value);
      continue;
    }
    const current = keyValues.get(key);
    if (value === null || current === null) keyValues.set(key, null);
    else if (current === undefined) keyValues.set(key, new Set([value]));
    else current.add(value);
  }
  const metric =
    query.metric === null || query.metric === '' || query.metric === '*' ? undefined : query.metric;
  const candidates: Iterable<Series> =
    metric !== undefined ? (series.seriesOfMetric(metric) ?? []) : series.allSeries();
  const matches: Series[] = [];
  for (const s of candidates) {
    let ok = true;
    for (const [k, values] of keyValues) {
      const v = s.tags[k];
      if (v === undefined || (values !== null && !values.has(v))) {
        ok = false;
        break;
      }
    }
    if (ok && anyValues.size > 0) ok = s.tagKeys.some((k) => anyValues.has(s.tags[k]!));
    if (ok) matches.push(s);
  }
  matches.sort((a, b) => (a.tsuid < b.tsuid ? -1 : a.tsuid > b.tsuid ? 1 : 0));
  const results = query.limit > 0 ? matches.slice(0, query.limit) : matches;
  let json = '{"type":"LOOKUP"';
  if (query.metric !== null) json += ',"metric":' + JSON.stringify(query.metric);
  json += ',"tags":' + JSON.stringify(query.tags.map(([key, value]) => ({ key, value })));
  json += ',"limit":' + query.limit;
  json += ',"time":' + Math.max(0, performance.now() - started);
  json += ',"results":[';
  for (let i = 0; i < results.length; i++) {
    const s = results[i]!;
    const tags: Record<string, string> = Object.create(null);
    for (const k of s.tagKeys) tags[k] = s.tags[k]!;
    if (i > 0) json += ',';
    json += '{"tsuid":' + JSON.stringify(s.tsuid) + ',"metric":' + JSON.stringify(s.metric);
    json += ',"tags":' + JSON.stringify(tags) + '}';
  }
  json += '],"startIndex":0,"totalResults":' + results.length + '}';
  return { ok: true, json };
}

/** The first name that is not in the store's UID tables, as NoSuchUniqueName's message. */
function resolve(series: SeriesStore, query: LookupQuery): string | undefined {
  const m = query.metric;
  if (m !== null && m !== '' && m !== '*' && !series.metricUids.has(m))
    return `No such name for 'metrics': '${m}'`;
  for (const [k, v] of query.tags) {
    if (k !== null && k !== '*' && !series.tagkUids.has(k)) return `No such name for 'tagk': '${k}'`;
    if (v !== null && v !== '*' && !series.tagvUids.has(v)) return `No such name for 'tagv': '${v}'`;
  }
  return undefined;
}

function parseParams(params: URLSearchParams): LookupQuery {
  const m = params.get('m');
  if (m === null || m === '') fail(400, 'Missing parameter <code>m</code>');
  let limit = DEFAULT_LIMIT;
  const limitText = params.get('limit');
  if (limitText !== null) {
    const parsed = parseJavaInt(limitText);
    if (parsed === undefined) fail(400, "Unable to convert 'limit' to a valid number");
    limit = parsed;
  }
  const parsed = parseMetricPairs(m);
  if (typeof parsed === 'string') fail(400, 'Unable to parse query', parsed);
  return { metric: parsed.metric, tags: parsed.tags, limit };
}

/** Tags.parseWithMetric for lookups: `metric`, `metric{k=v,k=,=v,...}` or `{...}` (no metric). */
function parseMetricPairs(text: string): { metric: string | null; tags: Pair[] } | string {
  const curly = text.indexOf('{');
  if (curly < 0) return text === '' ? 'Metric string was empty' : { metric: text, tags: [] };
  const len = text.length;
  if (text.charAt(len - 1) !== '}') return "Missing '}' at the end of: " + text;
  if (curly === len - 2) {
    if (text.charAt(0) === '{') return 'Missing metric and tags: ' + text;
    return { metric: text.slice(0, len - 2), tags: [] };
  }
  const tags: Pair[] = [];
  for (const tag of text.slice(curly + 1, len - 1).split(',')) {
    if (tag.length < 2) return "When parsing tag '" + tag + "': Missing tag pair";
    if (tag.charAt(0) === '=') {
      tags.push([null, tag.slice(1)]);
    } else if (tag.charAt(tag.length - 1) === '=') {
      tags.push([tag.slice(0, -1), null]);
    } else {
      const kv = tag.split('=');
      if (kv.length !== 2 || kv[0] === '' || kv[1] === '')
        return "When parsing tag '" + tag + "': invalid tag: " + tag;
      tags.push([kv[0]!, kv[1]!]);
    }
  }
  return { metric: text.charAt(0) === '{' ? null : text.slice(0, curly), tags };
}

function parseBody(body: string): LookupQuery {
  return parseJsonBody(body, (json) => {
    const obj = asObject(json, 'body');
    if (obj === undefined) throw new JsonShapeError('Expected a JSON object');
    const tags: Pair[] = (asArray(obj.tags, 'tags') ?? []).map((t, i) => {
      const pair = asObject(t, `tags[${i}]`) ?? {};
      return [asString(pair.key, `tags[${i}].key`) ?? null, asString(pair.value, `tags[${i}].value`) ?? null];
    });
    return {
      metric: asString(obj.metric, 'metric') ?? null,
      tags,
      limit: asInt(obj.limit, 'limit') ?? DEFAULT_LIMIT,
    };
  });
}
