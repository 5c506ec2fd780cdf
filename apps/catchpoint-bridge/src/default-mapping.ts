import type { DataPoint, Tags } from '@otsdb/protocol';
import { type MappingOptions, type MapResult, metadataValue, NODE_TAGS } from './mapping-options.js';
import type { NodeInfo } from './node-info.js';
import { snakeCase } from './opentsdb-names.js';
import type { CatchpointPush } from './payload.js';
import { errorFacts, numericValue } from './push-facts.js';

const MAX_DEPTH = 3;
const MAX_SEGMENT = 64;

/**
 * Catchpoint's JSON keys are a small, fixed vocabulary: each key is converted once per prefix
 * and the metric name kept (bounded: cleared whole when full), which also spares hashing a
 * freshly built name per point.
 */
const NAME_CACHE_SIZE = 4096;
let nameCount = 0;
const names = new Map<string, Map<string, string>>();

/** `prefix.snake_key`, or '' when the key has nothing usable. */
function metricName(prefix: string, key: string): string {
  let byKey = names.get(prefix);
  if (byKey === undefined) {
    byKey = new Map();
    names.set(prefix, byKey);
  }
  let name = byKey.get(key);
  if (name === undefined) {
    const segment = snakeCase(key).slice(0, MAX_SEGMENT);
    name = segment === '' ? '' : `${prefix}.${segment}`;
    if (++nameCount > NAME_CACHE_SIZE) {
      names.clear();
      nameCount = 0;
    }
    byKey.set(key, name);
  }
  return name;
}

/**
 * Collects the numeric leaves of a section as `prefix.snake_path` points. Nested objects
 * (`Byte.Response.Content`, `Timing.ContentType.Image`) become dotted names; arrays,
 * strings that are not numbers, `null` and booleans are skipped.
 */
function collect(
  prefix: string,
  section: Record<string, unknown>,
  depth: number,
  emit: (metric: string, value: number) => void,
): void {
  for (const key of Object.keys(section)) {
    const name = metricName(prefix, key);
    if (name === '') continue;
    const v = section[key];
    const n = numericValue(v);
    if (n !== undefined) {
      emit(name, n);
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < MAX_DEPTH) {
      collect(name, v as Record<string, unknown>, depth + 1, emit);
    }
  }
}

/**
 * The default mapping. Per push, at the run's own time (UTC, milliseconds):
 *
 * - `catchpoint.timing.<name>` for every timing present (`total`, `dns`, `connect`, `ssl`,
 *   `send`, `wait`, `load`, `content_load`, `document_complete`, `render_start`, `client`...)
 * - `catchpoint.run` = 1 with `status=ok|error`
 * - `catchpoint.error` = 0|1 per error flag with `type=<flag>` (`any`, `dns`, `timeout`...), and
 *   = 1 with `type=code code=<code>` when the run carries an error code
 * - `catchpoint.ping.<name>` (round trip times, packet loss), `catchpoint.byte.<path>`,
 *   `catchpoint.counter.<path>` for the numeric members of those sections
 *
 * Tags: the point's own (`status`, `type`, `code`) first, then `test_id`, `node_id`, then the
 * node metadata tags in configured order, cut at `maxTags`.
 */
export function mapDefault(
  push: CatchpointPush,
  node: NodeInfo | undefined,
  options: MappingOptions,
): MapResult {
  const base: Array<[string, string]> = [
    ['test_id', String(push.testId)],
    ['node_id', String(push.nodeId)],
  ];
  for (const tag of options.nodeTags) {
    const field = NODE_TAGS[tag];
    const raw = field === 'asn' ? (node?.asn ?? push.asn) : node?.[field];
    base.push([tag, metadataValue(raw, options)]);
  }

  const points: DataPoint[] = [];
  let truncated = 0;
  const ts = push.timestamp;
  const tagsWith = (own: Array<[string, string]>): Tags => {
    const tags: Tags = {};
    let n = 0;
    for (const [k, v] of own) {
      if (n >= options.maxTags) return tags;
      tags[k] = v;
      n++;
    }
    for (const [k, v] of base) {
      if (n >= options.maxTags) return tags;
      tags[k] = v;
      n++;
    }
    return tags;
  };
  const plainTags = tagsWith([]);
  // `Total` and `total`, or `DnsError` and `DNSError`, name the same series: keep the first,
  // since two values for one series and timestamp make OpenTSDB report duplicates on read.
  const seen = new Set<string>();
  const add = (metric: string, value: number, tags: Tags, identity = metric): void => {
    if (seen.has(identity)) return;
    seen.add(identity);
    if (points.length >= options.maxPointsPerPush) truncated++;
    else points.push({ metric, timestamp: ts, value, tags });
  };

  const facts = errorFacts(push);
  add('catchpoint.run', 1, tagsWith([['status', facts.failed ? 'error' : 'ok']]));
  if (push.timing !== undefined) collect('catchpoint.timing', push.timing, 1, (m, v) => add(m, v, plainTags));
  for (const [flag, set] of facts.flags) {
    const identity = metricName('catchpoint.error', flag);
    if (identity !== '') {
      const type = identity.slice('catchpoint.error.'.length);
      add('catchpoint.error', set ? 1 : 0, tagsWith([['type', type]]), identity);
    }
  }
  if (facts.code !== undefined) {
    const code = metadataValue(facts.code, options);
    add(
      'catchpoint.error',
      1,
      tagsWith([
        ['type', 'code'],
        ['code', code],
      ]),
      'catchpoint.error code',
    );
  }
  if (push.ping !== undefined) collect('catchpoint.ping', push.ping, 1, (m, v) => add(m, v, plainTags));
  if (push.byte !== undefined) collect('catchpoint.byte', push.byte, 1, (m, v) => add(m, v, plainTags));
  if (push.counter !== undefined)
    collect('catchpoint.counter', push.counter, 1, (m, v) => add(m, v, plainTags));
  return { points, truncated };
}
