/**
 * `/api/query` requests -> a validated TimeSeriesQuery, following OpenTSDB 2.x's QueryRpc
 * (query string), the JSON serializer (POST body), TSQuery/TSSubQuery.validateAndSetQuery,
 * DownsamplingSpecification and Tags.parseWithMetricAndFilters, with their error messages.
 *
 * Errors are thrown as ApiErrorSignal inside this module and turned into values by the callers'
 * single catch (see http-api.ts); nothing here throws anything else.
 */
import { getAggregator } from './aggregators.js';
import { ApiErrorSignal, fail } from './api-error.js';
import { buildFilter, filterFromTagValue, type TagFilter } from './filters.js';
import { javaSplit, parseJavaLong } from './java-text.js';
import {
  asArray,
  asBoolean,
  asLong,
  asObject,
  asString,
  asStringMap,
  JsonShapeError,
  parseJsonBody,
} from './json-coerce.js';
import {
  DEFAULT_RATE_OPTIONS,
  type DownsampleSpec,
  type FillPolicy,
  LONG_MAX,
  type RateOptions,
  type SubQuery,
  type TimeSeriesQuery,
} from './query-spec.js';
import { parseDateTime, parseDuration } from './time.js';

/** A sub query as received, before validation (TSSubQuery's fields). */
export interface RawSubQuery {
  aggregator: string | undefined;
  metric: string | undefined;
  tsuids: string[] | undefined;
  downsample: string | undefined;
  rate: boolean;
  rateOptions: RateOptions | undefined;
  filters: TagFilter[];
  explicitTags: boolean;
  percentiles: boolean;
}

/** A query as received, before validation (TSQuery's fields). */
export interface RawQuery {
  start: string | undefined;
  end: string | undefined;
  timezone: string | undefined;
  msResolution: boolean;
  showQuery: boolean;
  showTSUIDs: boolean;
  useCalendar: boolean;
  arrays: boolean;
  queries: RawSubQuery[] | undefined;
}

function emptySubQuery(): RawSubQuery {
  return {
    aggregator: undefined,
    metric: undefined,
    tsuids: undefined,
    downsample: undefined,
    rate: false,
    rateOptions: undefined,
    filters: [],
    explicitTags: false,
    percentiles: false,
  };
}

/** QueryRpc.parseQuery: `start`, `end`, `m` (repeatable), `tsuid`, flags by presence. */
export function parseQueryString(params: URLSearchParams): RawQuery {
  const start = params.get('start');
  if (start === null || start === '') fail(400, 'Missing parameter <code>start</code>');
  const raw: RawQuery = {
    start,
    end: params.get('end') ?? undefined,
    timezone: params.get('timezone') ?? undefined,
    msResolution: params.has('ms'),
    showQuery: params.has('show_query'),
    showTSUIDs: params.has('show_tsuids'),
    useCalendar: false,
    arrays: params.has('arrays'),
    queries: [],
  };
  for (const q of params.getAll('tsuid')) raw.queries!.push(parseTsuidSubQuery(q));
  for (const q of params.getAll('m')) raw.queries!.push(parseMSubQuery(q));
  if (raw.queries!.length < 1) fail(400, 'Missing sub queries');
  return raw;
}

/** `m=<agg>:[rate[{counter[,max[,reset]]}]:][<ds>:][explicit_tags:]<metric>[{..}][{..}]` */
export function parseMSubQuery(q: string): RawSubQuery {
  return parseSubQuery(q, 'The query string was empty', (sub, target) => {
    const parsed = parseMetricAndFilters(target);
    sub.metric = parsed.metric;
    sub.filters = parsed.filters;
  });
}

/** `tsuid=<agg>:[rate:][<ds>:]<tsuid>[,<tsuid>...]` */
function parseTsuidSubQuery(q: string): RawSubQuery {
  return parseSubQuery(q, 'The tsuid query string was empty', (sub, target) => {
    sub.tsuids = javaSplit(target, ',');
  });
}

/**
 * What `m=` and `tsuid=` share: the aggregator first, modifiers between, the target last (read
 * by `setTarget` before the modifiers, so its errors come first as in a TSD).
 */
function parseSubQuery(
  q: string,
  emptyMessage: string,
  setTarget: (sub: RawSubQuery, target: string) => void,
): RawSubQuery {
  if (q === '') fail(400, emptyMessage);
  const parts = q.split(':');
  if (parts.length < 2 || parts.length > 5) {
    fail(
      400,
      'Invalid parameter m=' +
        q +
        ' (' +
        (parts.length < 2 ? 'not enough' : 'too many') +
        ' :-separated parts)',
    );
  }
  const sub = emptySubQuery();
  sub.aggregator = parts[0];
  setTarget(sub, parts[parts.length - 1]!);
  applyModifiers(sub, parts, q);
  return sub;
}

function applyModifiers(sub: RawSubQuery, parts: string[], q: string): void {
  for (let x = 1; x < parts.length - 1; x++) {
    const part = parts[x]!;
    const lower = part.toLowerCase();
    if (lower.startsWith('rate')) {
      sub.rate = true;
      if (part.includes('{')) sub.rateOptions = parseRateSpec(part);
    } else if (part.length > 0 && part.charCodeAt(0) >= 48 && part.charCodeAt(0) <= 57) {
      sub.downsample = part;
    } else if (lower.startsWith('percentiles')) {
      sub.percentiles = true;
    } else if (lower.startsWith('explicit_tags')) {
      sub.explicitTags = true;
    } else if (part.length === 0) {
      // A TSD fails with an internal error on an empty part; a bad request is the honest answer.
      fail(400, 'Invalid parameter m=' + q + ' (empty :-separated part)');
    }
    // pre-agg, rollup_*, show-histogram-buckets and unknown words are ignored, as by a TSD.
  }
}

/** QueryRpc.parseRateOptions: `rate{counter[,<max>[,<reset>]]}` or `rate{dropcounter,...}`. */
export function parseRateSpec(spec: string): RateOptions {
  if (spec.length === 4) return DEFAULT_RATE_OPTIONS;
  if (spec.length < 6) fail(400, 'Invalid rate options specification: ' + spec);
  const parts = spec.slice(5, spec.length - 1).split(',');
  if (parts.length < 1 || parts.length > 3) {
    fail(
      400,
      'Incorrect number of values in rate options specification, must be counter[,counter max value,reset value], recieved: ' +
        parts.length +
        ' parts',
    );
  }
  const counter = parts[0]!.endsWith('counter');
  let counterMax = LONG_MAX;
  if (parts.length >= 2 && parts[1]!.length > 0) {
    const r = parseJavaLong(parts[1]!);
    if (!r.ok) fail(400, "Max value of counter was not a number, received '" + parts[1] + "'");
    counterMax = r.value;
  }
  let resetValue = 0n;
  if (parts.length >= 3 && parts[2]!.length > 0) {
    const r = parseJavaLong(parts[2]!);
    if (!r.ok) fail(400, "Reset value of counter was not a number, received '" + parts[2] + "'");
    resetValue = r.value;
  }
  return { counter, counterMax, resetValue, dropResets: parts[0] === 'dropcounter' };
}

/**
 * Tags.parseWithMetricAndFilters: `metric`, `metric{tags}` (group-by filters), `metric{}{filters}`
 * or `metric{tags}{filters}` (second braces: filters that do not group).
 */
export function parseMetricAndFilters(text: string): { metric: string; filters: TagFilter[] } {
  if (text === '') fail(400, 'Metric cannot be null or empty');
  const filters: TagFilter[] = [];
  const curly = text.indexOf('{');
  if (curly < 0) return { metric: text, filters };
  const len = text.length;
  if (text.charAt(len - 1) !== '}') fail(400, "Missing '}' at the end of: " + text);
  if (curly === len - 2) return { metric: text.slice(0, len - 2), filters };
  const close = text.indexOf('}');
  if (close !== len - 1) {
    const filterBracket = text.lastIndexOf('{');
    for (const f of text.slice(filterBracket + 1, len - 1).split(',')) {
      if (f === '') break;
      const kv = parseTagPair(f, 'When parsing filter');
      const r = filterFromTagValue(kv[0], kv[1], false);
      if (!r.ok) fail(400, "When parsing filter '" + f + "': " + r.message);
      filters.push(r.filter);
    }
  }
  for (const tag of text.slice(curly + 1, close).split(',')) {
    if (tag === '' && close !== len - 1) break;
    const kv = parseTagPair(tag, 'When parsing tag');
    const r = filterFromTagValue(kv[0], kv[1], true);
    if (!r.ok) fail(400, "When parsing tag '" + tag + "': " + r.message);
    addGroupByFilter(filters, r.filter);
  }
  return { metric: text.slice(0, curly), filters };
}

/** Tags.parse: exactly one `=` with text on both sides. */
function parseTagPair(tag: string, context: string): [string, string] {
  const kv = tag.split('=');
  if (kv.length !== 2 || kv[0]!.length <= 0 || kv[1]!.length <= 0) {
    fail(400, context + " '" + tag + "': invalid tag: " + tag);
  }
  return [kv[0]!, kv[1]!];
}

/** mapToFilters with group_by: an identical filter already present just becomes a group-by. */
function addGroupByFilter(filters: TagFilter[], filter: TagFilter): void {
  for (const existing of filters) {
    if (existing.identity === filter.identity) {
      existing.groupBy = true;
      return;
    }
  }
  filters.push(filter);
}

/** The JSON body of a POST /api/query (TSQuery as Jackson maps it). */
export function parseQueryBody(body: string): RawQuery {
  return parseJsonBody(body, mapQueryBody);
}

function mapQueryBody(json: unknown): RawQuery {
  const obj = asObject(json, 'query');
  if (obj === undefined) throw new JsonShapeError('Expected a JSON object for the query');
  const raw: RawQuery = {
    start: undefined,
    end: undefined,
    timezone: undefined,
    msResolution: false,
    showQuery: false,
    showTSUIDs: false,
    useCalendar: false,
    arrays: false,
    queries: undefined,
  };
  for (const [key, value] of Object.entries(obj)) {
    switch (key) {
      case 'start':
        raw.start = asString(value, key);
        break;
      case 'end':
        raw.end = asString(value, key);
        break;
      case 'timezone':
        raw.timezone = asString(value, key);
        break;
      case 'msResolution':
        raw.msResolution = asBoolean(value, key);
        break;
      case 'showQuery':
        raw.showQuery = asBoolean(value, key);
        break;
      case 'showTSUIDs':
        raw.showTSUIDs = asBoolean(value, key);
        break;
      case 'useCalendar':
        raw.useCalendar = asBoolean(value, key);
        break;
      case 'noAnnotations':
      case 'globalAnnotations':
      case 'padding':
      case 'showStats':
      case 'showSummary':
      case 'delete':
        asBoolean(value, key);
        break;
      case 'queries': {
        const list = asArray(value, key);
        raw.queries = list?.map((q, i) => mapSubQuery(q, `queries[${i}]`));
        break;
      }
      default:
        break; // TSQuery ignores unknown properties
    }
  }
  return raw;
}

function mapSubQuery(json: unknown, path: string): RawSubQuery {
  const obj = asObject(json, path) ?? {};
  const sub = emptySubQuery();
  for (const [key, value] of Object.entries(obj)) {
    const field = path + '.' + key;
    switch (key) {
      case 'aggregator':
        sub.aggregator = asString(value, field);
        break;
      case 'metric':
        sub.metric = asString(value, field);
        break;
      case 'tsuids':
        sub.tsuids = asArray(value, field)?.flatMap((t, i) => asString(t, `${field}[${i}]`) ?? []);
        break;
      case 'downsample':
        sub.downsample = asString(value, field);
        break;
      case 'rate':
        sub.rate = asBoolean(value, field);
        break;
      case 'rateOptions':
        sub.rateOptions = mapRateOptions(value, field);
        break;
      case 'explicitTags':
        sub.explicitTags = asBoolean(value, field);
        break;
      case 'percentiles':
        sub.percentiles = (asArray(value, field)?.length ?? 0) > 0;
        break;
      case 'tags': {
        // setTags replaces the filter list, so with both `tags` and `filters` the later key wins,
        // exactly as with a TSD's streaming parser.
        sub.filters = [];
        const tags = asStringMap(value, field);
        if (tags !== undefined) {
          for (const [k, v] of tags) {
            const r = filterFromTagValue(k, v, true);
            if (!r.ok) throw new JsonShapeError(r.message + ` (${field})`);
            addGroupByFilter(sub.filters, r.filter);
          }
        }
        break;
      }
      case 'filters':
        sub.filters = (asArray(value, field) ?? []).map((f, i) => mapFilter(f, `${field}[${i}]`));
        break;
      default:
        break;
    }
  }
  return sub;
}

function mapRateOptions(value: unknown, field: string): RateOptions | undefined {
  const obj = asObject(value, field);
  if (obj === undefined) return undefined;
  return {
    counter: asBoolean(obj.counter, field + '.counter'),
    counterMax: asLong(obj.counterMax, field + '.counterMax') ?? LONG_MAX,
    resetValue: asLong(obj.resetValue, field + '.resetValue') ?? 0n,
    dropResets: asBoolean(obj.dropResets, field + '.dropResets'),
  };
}

function mapFilter(json: unknown, field: string): TagFilter {
  const obj = asObject(json, field) ?? {};
  const type = asString(obj.type, field + '.type') ?? '';
  const tagk = asString(obj.tagk, field + '.tagk') ?? '';
  const filter = asString(obj.filter, field + '.filter') ?? '';
  const groupBy =
    'groupBy' in obj
      ? asBoolean(obj.groupBy, field + '.groupBy')
      : asBoolean(obj.group_by, field + '.group_by');
  const r = buildFilter(type, tagk, filter, groupBy);
  if (!r.ok) throw new JsonShapeError(r.message + ` (${field})`);
  return r.filter;
}

/** DownsamplingSpecification's parser. Calendar (`1dc`) downsampling is refused. */
export function parseDownsample(text: string, useCalendar: boolean): DownsampleSpec {
  const parts = javaSplit(text, '-');
  if (parts.length < 2) {
    fail(400, "Invalid downsampling specifier '" + text + "': must provide at least interval and function");
  }
  if (parts.length > 3) {
    fail(
      400,
      "Invalid downsampling specifier '" +
        text +
        "': must consist of interval, function, and optional fill policy",
    );
  }
  const intervalText = parts[0]!;
  let intervalMs = 0;
  const runAll = intervalText.includes('all');
  if (!runAll) {
    const calendar = intervalText.endsWith('c');
    const d = parseDuration(calendar ? intervalText.slice(0, -1) : intervalText);
    if (!d.ok) fail(400, d.message);
    if (calendar || useCalendar) {
      fail(
        400,
        "Calendar downsampling ('" + text + "') is not supported by the local store; use a fixed interval",
      );
    }
    intervalMs = d.ms;
  }
  const aggregator = getAggregator(parts[1]!);
  if (aggregator === undefined) fail(400, 'No such downsampling function: ' + parts[1]);
  if (aggregator.name === 'none') fail(400, 'cannot use the NONE aggregator for downsampling');
  let fill: FillPolicy = 'none';
  if (parts.length === 3) {
    const name = parts[2]!.toLowerCase();
    if (name === 'none' || name === 'nan' || name === 'null' || name === 'zero') fill = name;
    else if (name === 'scalar') fail(400, "The 'scalar' fill policy needs a value and is not supported here");
    else fail(400, 'Unrecognized fill policy: ' + parts[2]);
  }
  return { text, intervalMs, runAll, aggregator, fill };
}

/** TSQuery.validateAndSetQuery + TSSubQuery.validateAndSetQuery. */
export function validateQuery(raw: RawQuery, now: number): TimeSeriesQuery {
  const details = describeQuery(raw);
  const invalid = (message: string): never => fail(400, message, details);
  if (raw.start === undefined || raw.start === '') invalid('Missing start time');
  const start = parseDateTime(raw.start!, now, raw.timezone);
  if (!start.ok) return invalid(start.error.message);
  let endMs = now;
  if (raw.end !== undefined && raw.end !== '') {
    const end = parseDateTime(raw.end, now, raw.timezone);
    if (!end.ok) return invalid(end.error.message);
    endMs = end.ms;
  }
  if (endMs < start.ms) {
    invalid('End time [' + endMs + '] must be greater than or equal to the start time [' + start.ms + ']');
  }
  if (raw.queries === undefined || raw.queries.length === 0) invalid('Missing queries');
  const queries: SubQuery[] = [];
  const seen = new Set<string>();
  for (const sub of raw.queries!) {
    if (sub.aggregator === undefined || sub.aggregator === '') invalid('Missing the aggregation function');
    const aggregator = getAggregator(sub.aggregator!);
    if (aggregator === undefined) return invalid('No such aggregation function: ' + sub.aggregator);
    if (
      (sub.tsuids === undefined || sub.tsuids.length === 0) &&
      (sub.metric === undefined || sub.metric === '')
    ) {
      invalid('Missing the metric or tsuids, provide at least one');
    }
    let downsample: DownsampleSpec | undefined;
    if (sub.downsample !== undefined && sub.downsample !== '') {
      try {
        downsample = parseDownsample(sub.downsample, raw.useCalendar);
      } catch (e) {
        // Re-raised with the query as details, as TSQuery.validateAndSetQuery reports it.
        if (e instanceof ApiErrorSignal) invalid(e.error.message);
        throw e;
      }
    }
    if (sub.percentiles) invalid('Histogram percentile queries are not supported by the local store');
    // TSQuery de-duplicates identical sub queries (LinkedHashSet of TSSubQuery.equals).
    const identity = JSON.stringify([
      sub.aggregator,
      sub.metric,
      sub.tsuids,
      sub.downsample,
      sub.rate,
      sub.rateOptions && [
        sub.rateOptions.counter,
        String(sub.rateOptions.counterMax),
        String(sub.rateOptions.resetValue),
        sub.rateOptions.dropResets,
      ],
      sub.filters.map((f) => [f.identity, f.groupBy]),
      sub.explicitTags,
    ]);
    if (seen.has(identity)) continue;
    seen.add(identity);
    queries.push({
      index: queries.length,
      aggregatorName: sub.aggregator!,
      aggregator,
      metric: sub.metric === '' ? undefined : sub.metric,
      tsuids: sub.tsuids !== undefined && sub.tsuids.length > 0 ? sub.tsuids : undefined,
      filters: sub.filters,
      explicitTags: sub.explicitTags,
      rate: sub.rate,
      rateOptions: sub.rateOptions,
      downsample,
    });
  }
  return {
    start: raw.start!,
    end: raw.end,
    startMs: start.ms,
    endMs,
    msResolution: raw.msResolution,
    showQuery: raw.showQuery,
    showTSUIDs: raw.showTSUIDs,
    arrays: raw.arrays,
    queries,
  };
}

/** A short rendering of the query for an error's `details`, in the spirit of TSQuery.toString. */
function describeQuery(raw: RawQuery): string {
  const subs = (raw.queries ?? []).map(
    (q) =>
      'TSSubQuery(metric=' +
      (q.metric ?? '') +
      ', filters=[' +
      q.filters.map((f) => `${f.type}(${f.tagk}=${f.filter}, group_by=${f.groupBy})`).join(', ') +
      '], tsuids=[' +
      (q.tsuids ?? []).join(', ') +
      '], agg=' +
      q.aggregator +
      ', downsample=' +
      q.downsample +
      ', rate=' +
      q.rate +
      ')',
  );
  return `TSQuery(start_time=${raw.start}, end_time=${raw.end}, subQueries[${subs.join(', ')}], ms_resolution=${raw.msResolution})`;
}
