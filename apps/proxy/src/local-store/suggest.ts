import { fail } from './api-error.js';
import type { HandlerResult } from './http-api.js';
import { parseJavaInt } from './java-text.js';
import { asObject, asString, JsonShapeError, parseJsonBody } from './json-coerce.js';
import type { SeriesStore } from './series-store.js';

/** UniqueId.MAX_SUGGESTIONS. */
const DEFAULT_MAX = 25;

/**
 * /api/suggest (SuggestRpc): names of the given type starting with `q`, in byte order, at most
 * `max` (25 when absent or not positive). Every name the store has seen counts, as every name in
 * a TSD's UID table does.
 */
export function handleSuggest(
  series: SeriesStore,
  body: string | undefined,
  params: URLSearchParams,
): HandlerResult {
  let type: string | undefined;
  let q: string;
  let max: string | undefined;
  if (body !== undefined) {
    const map = parseBody(body);
    type = map.get('type');
    if (type === undefined || type === '') fail(400, "Missing 'type' parameter");
    q = map.get('q') ?? '';
    max = map.get('max');
  } else {
    type = params.get('type') ?? undefined;
    if (type === undefined || type === '') fail(400, 'Missing parameter <code>type</code>');
    q = params.get('q') ?? '';
    max = params.get('max') ?? undefined;
  }
  let limit = 0;
  if (max !== undefined && max !== '') {
    const parsed = parseJavaInt(max);
    if (parsed === undefined) fail(400, "Unable to parse 'max' as a number");
    limit = parsed;
  }
  if (limit <= 0) limit = DEFAULT_MAX;
  let names: readonly string[];
  if (type === 'metrics') names = series.metricUids.all();
  else if (type === 'tagk') names = series.tagkUids.all();
  else if (type === 'tagv') names = series.tagvUids.all();
  else fail(400, "Invalid 'type' parameter:" + type);
  const matches = names.filter((n) => n.startsWith(q)).sort(compareUtf8);
  return { ok: true, json: JSON.stringify(matches.slice(0, limit)) };
}

function parseBody(body: string): Map<string, string> {
  return parseJsonBody(body, (json) => {
    const obj = asObject(json, 'body');
    if (obj === undefined) throw new JsonShapeError('Expected a JSON object');
    const out = new Map<string, string>();
    for (const [k, v] of Object.entries(obj)) {
      const s = asString(v, k);
      if (s !== undefined) out.set(k, s);
    }
    return out;
  });
}

/** Byte order of the UTF-8 encodings (code point order), as HBase orders UID names. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}
