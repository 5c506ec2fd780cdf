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
import { GrowableBytes } from './growable-bytes.js';
import { javaDoubleToString, javaLongToString } from './java-text.js';
import type { ResultGroup } from './query-engine.js';
import { DEFAULT_RATE_OPTIONS, type SubQuery, type TimeSeriesQuery } from './query-spec.js';

export function serializeQueryResults(query: TimeSeriesQuery, groups: readonly ResultGroup[]): string {
  // Bytes, not string concatenation: a day of points per group would otherwise leave hundreds
  // of thousands of intermediate strings for the garbage collector.
  const out = new JsonBytes(4096 + groups.reduce((n, g) => n + g.points.n * 24, 0));
  out.ascii('[');
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    if (g > 0) out.ascii(',');
    out.ascii('{"metric":');
    out.text(JSON.stringify(group.metric));
    out.ascii(',"tags":{');
    let first = true;
    for (const k of Object.keys(group.tags)) {
      out.text((first ? '' : ',') + JSON.stringify(k) + ':' + JSON.stringify(group.tags[k]));
      first = false;
    }
    out.ascii('},"aggregateTags":');
    out.text(JSON.stringify(group.aggregateTags));
    if (query.showQuery) out.text(',"query":' + subQueryJson(group.sub));
    if (query.showTSUIDs) out.text(',"tsuids":' + JSON.stringify(group.tsuids));
    out.ascii(',"dps":');
    writeDps(out, group, query.msResolution, query.arrays);
    out.ascii('}');
  }
  out.ascii(']');
  return out.toString();
}

function writeDps(out: JsonBytes, group: ResultGroup, ms: boolean, arrays: boolean): void {
  const { t, v, isInt, n } = group.points;
  const nullFill = group.sub.downsample?.fill === 'null';
  out.ascii(arrays ? '[' : '{');
  for (let i = 0; i < n; i++) {
    if (i > 0) out.ascii(',');
    out.ascii(arrays ? '[' : '"');
    out.integer(ms ? t[i]! : Math.trunc(t[i]! / 1000));
    out.ascii(arrays ? ',' : '":');
    const value = v[i]!;
    if (Number.isNaN(value)) out.ascii(nullFill ? 'null' : '"NaN"');
    else if (!Number.isFinite(value)) out.ascii('"' + javaDoubleToString(value) + '"');
    else if (isInt[i] === 1) out.ascii(javaLongToString(value));
    else out.ascii(javaDoubleToString(value));
    if (arrays) out.ascii(']');
  }
  out.ascii(arrays ? ']' : '}');
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** A growable UTF-8 buffer with fast paths for the ASCII that makes up almost all of the JSON. */
class JsonBytes extends GrowableBytes {
  /** Text known to be ASCII (numbers, punctuation). */
  ascii(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }

  /** Any text (names may be non-ASCII). */
  text(s: string): void {
    this.ensure(s.length * 3);
    this.pos += utf8.encodeInto(s, this.buf.subarray(this.pos)).written;
  }

  /** A non-negative safe integer, digit by digit (timestamps). */
  integer(n: number): void {
    if (n < 0 || !Number.isSafeInteger(n)) {
      this.ascii(String(n));
      return;
    }
    this.ensure(16);
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    let end = this.pos + digits;
    this.pos = end;
    do {
      this.buf[--end] = 48 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
  }

  override toString(): string {
    return utf8Decoder.decode(this.buf.subarray(0, this.pos));
  }
}

/** The sub query echoed back with showQuery, with TSSubQuery's JSON property names. */
function subQueryJson(sub: SubQuery): string {
  // Tag keys come from the query: `__proto__` must stay an ordinary key.
  const groupByTags: Record<string, string> = Object.create(null);
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
