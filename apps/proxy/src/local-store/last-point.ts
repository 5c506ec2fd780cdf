import { ApiErrorSignal, fail, noSuchName } from './api-error.js';
import type { HandlerResult } from './http-api.js';
import { javaDoubleToString, javaLongToString, parseJavaInt } from './java-text.js';
import {
  asArray,
  asBoolean,
  asInt,
  asObject,
  asString,
  asStringMap,
  JsonShapeError,
  parseJsonBody,
} from './json-coerce.js';
import type { Series, SeriesStore } from './series-store.js';

interface LastSubQuery {
  metric: string | undefined;
  tags: Map<string, string>;
  tsuids: string[] | undefined;
}

interface LastQuery {
  resolveNames: boolean;
  backScan: number;
  queries: LastSubQuery[];
}

const HOUR_MS = 3_600_000;

/**
 * /api/query/last: the newest point of every series matching each sub query. A sub query is a
 * metric with tags every matching series must carry (like a TSD with meta tracking enabled), or a
 * list of TSUIDs. `backScan` > 0 limits the search to that many hours back from the current hour,
 * as a TSD scanning rows backwards does; 0 means the newest point whenever it was.
 *
 * Each result is `{metric?, timestamp (ms), value (a string, as a TSD writes it), tags?, tsuid}`;
 * metric and tags only with `resolve` / `resolveNames`.
 */
export function handleLastPoint(
  series: SeriesStore,
  body: string | undefined,
  params: URLSearchParams,
  now: number,
): HandlerResult {
  const query = body !== undefined ? parseBody(body) : parseParams(params);
  if (query.queries.length === 0) fail(400, 'Missing sub queries');
  if (query.backScan < 0) fail(400, 'Backscan must be zero or a positive number');
  const hour = now - (now % HOUR_MS);
  const from = query.backScan > 0 ? hour - query.backScan * HOUR_MS : Number.NEGATIVE_INFINITY;
  const to = query.backScan > 0 ? hour + HOUR_MS : Number.POSITIVE_INFINITY;
  const out: string[] = [];
  for (const sub of query.queries) {
    for (const s of matchingSeries(series, sub)) {
      const idx = lastIndexBefore(s, to);
      if (idx < s.head || s.ts[idx]! < from) continue;
      const value = s.ints[idx] === 1 ? javaLongToString(s.vals[idx]!) : javaDoubleToString(s.vals[idx]!);
      let json = '{';
      if (query.resolveNames) json += '"metric":' + JSON.stringify(s.metric) + ',';
      json += '"timestamp":' + s.ts[idx] + ',"value":' + JSON.stringify(value);
      if (query.resolveNames) {
        const tags: Record<string, string> = Object.create(null);
        for (const k of s.tagKeys) tags[k] = s.tags[k]!;
        json += ',"tags":' + JSON.stringify(tags);
      }
      out.push(json + ',"tsuid":' + JSON.stringify(s.tsuid) + '}');
    }
  }
  return { ok: true, json: '[' + out.join(',') + ']' };
}

function matchingSeries(series: SeriesStore, sub: LastSubQuery): Series[] {
  if (sub.tsuids !== undefined && sub.tsuids.length > 0) {
    const found: Series[] = [];
    for (const t of sub.tsuids) {
      const s = series.byTsuidHex(t);
      if (s !== undefined) found.push(s);
    }
    return found;
  }
  const metric = sub.metric ?? '';
  if (!series.metricUids.has(metric)) throw new ApiErrorSignal(noSuchName('metrics', metric));
  for (const [k, v] of sub.tags) {
    if (!series.tagkUids.has(k)) throw new ApiErrorSignal(noSuchName('tagk', k));
    if (!series.tagvUids.has(v)) throw new ApiErrorSignal(noSuchName('tagv', v));
  }
  const out: Series[] = [];
  for (const s of series.seriesOfMetric(metric) ?? []) {
    let ok = true;
    for (const [k, v] of sub.tags) {
      if (s.tags[k] !== v) {
        ok = false;
        break;
      }
    }
    if (ok) out.push(s);
  }
  return out.sort((a, b) => (a.tsuid < b.tsuid ? -1 : a.tsuid > b.tsuid ? 1 : 0));
}

/** Index of the newest point strictly before `to` (head - 1 when none). */
function lastIndexBefore(s: Series, to: number): number {
  let lo = s.head;
  let hi = s.end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s.ts[mid]! < to) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function parseParams(params: URLSearchParams): LastQuery {
  let backScan = 0;
  if (params.has('back_scan')) {
    const parsed = parseJavaInt(params.get('back_scan') ?? '');
    if (parsed === undefined) fail(400, 'Unable to parse back_scan parameter');
    backScan = parsed;
  }
  const queries: LastSubQuery[] = [];
  for (const ts of params.getAll('timeseries')) queries.push(parseTimeseries(ts));
  for (const t of params.getAll('tsuids'))
    queries.push({ metric: undefined, tags: new Map(), tsuids: t.split(',') });
  return { resolveNames: params.has('resolve'), backScan, queries };
}

/** Tags.parseWithMetric into a map: `metric` or `metric{k=v,...}` with literal values. */
function parseTimeseries(text: string): LastSubQuery {
  const tags = new Map<string, string>();
  const curly = text.indexOf('{');
  if (curly < 0) return { metric: text, tags, tsuids: undefined };
  const len = text.length;
  if (text.charAt(len - 1) !== '}') fail(400, "Missing '}' at the end of: " + text);
  if (curly === len - 2) return { metric: text.slice(0, len - 2), tags, tsuids: undefined };
  for (const tag of text.slice(curly + 1, len - 1).split(',')) {
    const kv = tag.split('=');
    if (kv.length !== 2 || kv[0] === '' || kv[1] === '') {
      fail(400, "When parsing tag '" + tag + "': invalid tag: " + tag);
    }
    const existing = tags.get(kv[0]!);
    if (existing !== undefined && existing !== kv[1]) {
      fail(400, "When parsing tag '" + tag + "': duplicate tag: " + tag);
    }
    tags.set(kv[0]!, kv[1]!);
  }
  return { metric: text.slice(0, curly), tags, tsuids: undefined };
}

function parseBody(body: string): LastQuery {
  return parseJsonBody(body, (json) => {
    const obj = asObject(json, 'body');
    if (obj === undefined) throw new JsonShapeError('Expected a JSON object');
    const queries = (asArray(obj.queries, 'queries') ?? []).map((q, i): LastSubQuery => {
      const sub = asObject(q, `queries[${i}]`) ?? {};
      const tsuids = asArray(sub.tsuids, `queries[${i}].tsuids`)?.flatMap(
        (t, j) => asString(t, `queries[${i}].tsuids[${j}]`) ?? [],
      );
      return {
        metric: asString(sub.metric, `queries[${i}].metric`),
        tags: asStringMap(sub.tags, `queries[${i}].tags`) ?? new Map(),
        tsuids,
      };
    });
    return {
      resolveNames: asBoolean(obj.resolveNames, 'resolveNames'),
      backScan: asInt(obj.backScan, 'backScan') ?? 0,
      queries,
    };
  });
}
