/**
 * The JSON a TSD writes for /api/query (HttpJsonSerializer.formatQueryAsyncV1):
 *
 *   [{"metric":"m","tags":{..},"aggregateTags":[..],["query":{..},]["tsuids":[..],]"dps":{"<ts>":v}}]
 *
 * Timestamps are seconds unless msResolution; without it, several points inside one second are
 * all written under that second's key (a TSD does exactly this; JSON readers keep the last).
 * Integers print as integers, floats as Java's Double.toString (`2.0`, `1.0E-4`), NaN as the
 * string "NaN" - or `null` when the fill policy is null - and infinities as strings.
 */
import { javaDoubleToString, javaLongToString } from './java-text.js';
import type { ResultGroup } from './query-engine.js';
import { DEFAULT_RATE_OPTIONS, type SubQuery, type TimeSeriesQuery } from './query-spec.js';

export function serializeQueryResults(query: TimeSeriesQuery, groups: readonly ResultGroup[]): string {
  let out = '[';
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    if (g > 0) out += ',';
    out += '{"metric":' + JSON.stringify(group.metric) + ',"tags":{';
    let first = true;
    for (const k of Object.keys(group.tags)) {
      out += (first ? '' : ',') + JSON.stringify(k) + ':' + JSON.stringify(group.tags[k]);
      first = false;
    }
    out += '},"aggregateTags":' + JSON.stringify(group.aggregateTags);
    if (query.showQuery) out += ',"query":' + subQueryJson(group.sub);
    if (query.showTSUIDs) out += ',"tsuids":' + JSON.stringify(group.tsuids);
    out += ',"dps":' + dpsJson(group, query.msResolution, query.arrays);
    out += '}';
  }
  return out + ']';
}

function dpsJson(group: ResultGroup, ms: boolean, arrays: boolean): string {
  const { t, v, isInt, n } = group.points;
  const nullFill = group.sub.downsample?.fill === 'null';
  let out = arrays ? '[' : '{';
  for (let i = 0; i < n; i++) {
    const ts = ms ? t[i]! : Math.trunc(t[i]! / 1000);
    const value = v[i]!;
    let text: string;
    if (Number.isNaN(value)) text = nullFill ? 'null' : '"NaN"';
    else if (!Number.isFinite(value)) text = '"' + javaDoubleToString(value) + '"';
    else if (isInt[i] === 1) text = javaLongToString(value);
    else text = javaDoubleToString(value);
    if (i > 0) out += ',';
    out += arrays ? '[' + ts + ',' + text + ']' : '"' + ts + '":' + text;
  }
  return out + (arrays ? ']' : '}');
}

/** The sub query echoed back with showQuery, with TSSubQuery's JSON property names. */
function subQueryJson(sub: SubQuery): string {
  const groupByTags: Record<string, string> = {};
  for (const f of sub.filters) if (f.groupBy) groupByTags[f.tagk] = f.type + '(' + f.filter + ')';
  const filters = sub.filters.map((f) => ({
    tagk: f.tagk,
    filter: f.filter,
    group_by: f.groupBy,
    type: f.type,
  }));
  const rate = sub.rateOptions ?? (sub.rate ? DEFAULT_RATE_OPTIONS : undefined);
  const rateJson =
    rate === undefined
      ? 'null'
      : '{"counter":' +
        rate.counter +
        ',"counterMax":' +
        rate.counterMax.toString() +
        ',"resetValue":' +
        rate.resetValue.toString() +
        ',"dropResets":' +
        rate.dropResets +
        '}';
  return (
    '{"aggregator":' +
    JSON.stringify(sub.aggregatorName) +
    ',"metric":' +
    JSON.stringify(sub.metric ?? null) +
    ',"tsuids":' +
    JSON.stringify(sub.tsuids ?? null) +
    ',"downsample":' +
    JSON.stringify(sub.downsample?.text ?? null) +
    ',"rate":' +
    sub.rate +
    ',"filters":' +
    JSON.stringify(filters) +
    ',"explicitTags":' +
    sub.explicitTags +
    ',"index":' +
    sub.index +
    ',"tags":' +
    JSON.stringify(groupByTags) +
    ',"rateOptions":' +
    rateJson +
    '}'
  );
}
