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
function collect(out: PointList, prefix: string, section: Record<string, unknown>, depth: number): void {
  for (const key of Object.keys(section)) {
    const name = metricName(prefix, key);
    if (name === '') continue;
    const v = section[key];
    const n = numericValue(v);
    if (n !== undefined) {
      out.add(name, n, out.tags.plain, name);
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < MAX_DEPTH) {
      collect(out, name, v as Record<string, unknown>, depth + 1);
    }
  }
}

/** The points of one push, with the rules every point obeys (one per series, capped). */
class PointList {
  readonly points: DataPoint[] = [];
  truncated = 0;
  // `Total` and `total`, or `DnsError` and `DNSError`, name the same series: keep the first,
  // since two values for one series and timestamp make OpenTSDB report duplicates on read.
  readonly #seen = new Set<string>();

  constructor(
    readonly tags: TagSet,
    readonly timestamp: number,
    readonly max: number,
  ) {}

  add(metric: string, value: number, tags: Tags, identity: string): void {
    if (this.#seen.has(identity)) return;
    this.#seen.add(identity);
    if (this.points.length >= this.max) this.truncated++;
    else this.points.push({ metric, timestamp: this.timestamp, value, tags });
  }
}

const ERROR_PREFIX = 'catchpoint.error.';

/** Each of these varies with the push (flag names, error codes): at most this many kept per set. */
const MAX_VARIANTS = 64;

/**
 * The tags objects of the pushes of one test from one node: the node's metadata and the ids do
 * not change from run to run, so the objects are built once and shared by every point of every
 * push (frozen: nothing downstream may change them). Own tags first (`status`, `type`, `code`),
 * then `test_id`, `node_id`, then the node tags in configured order, cut at `maxTags`.
 */
class TagSet {
  readonly plain: Tags;
  readonly ok: Tags;
  readonly failed: Tags;
  readonly #base: Array<[string, string]>;
  readonly #maxTags: number;
  readonly #types = new Map<string, Tags>();
  readonly #codes = new Map<string, Tags>();

  constructor(
    /** What the set was built from: another node object (a refreshed list) or `Asn` needs a new set. */
    readonly node: NodeInfo | undefined,
    readonly pushAsn: number | undefined,
    push: CatchpointPush,
    options: MappingOptions,
  ) {
    const base: Array<[string, string]> = [
      ['test_id', String(push.testId)],
      ['node_id', String(push.nodeId)],
    ];
    for (const tag of options.nodeTags) {
      const field = NODE_TAGS[tag];
      const raw = field === 'asn' ? (node?.asn ?? push.asn) : node?.[field];
      base.push([tag, metadataValue(raw, options)]);
    }
    this.#base = base;
    this.#maxTags = options.maxTags;
    this.plain = this.#with([]);
    this.ok = this.#with([['status', 'ok']]);
    this.failed = this.#with([['status', 'error']]);
  }

  /**
   * `type=<flag>` for `catchpoint.error`, by the flag's metric name `catchpoint.error.<flag>`
   * (a cached string: looking it up hashes nothing new).
   */
  type(identity: string): Tags {
    let tags = this.#types.get(identity);
    if (tags === undefined) {
      tags = this.#with([['type', identity.slice(ERROR_PREFIX.length)]]);
      if (this.#types.size < MAX_VARIANTS) this.#types.set(identity, tags);
    }
    return tags;
  }

  /** `type=code code=<code>` for `catchpoint.error`. */
  code(code: string): Tags {
    let tags = this.#codes.get(code);
    if (tags === undefined) {
      tags = this.#with([
        ['type', 'code'],
        ['code', code],
      ]);
      if (this.#codes.size < MAX_VARIANTS) this.#codes.set(code, tags);
    }
    return tags;
  }

  #with(own: Array<[string, string]>): Tags {
    const tags: Tags = {};
    let n = 0;
    for (const [k, v] of own) {
      if (n >= this.#maxTags) break;
      tags[k] = v;
      n++;
    }
    for (const [k, v] of this.#base) {
      if (n >= this.#maxTags) break;
      tags[k] = v;
      n++;
    }
    return Object.freeze(tags);
  }
}

/**
 * Tag sets by node id, then test id. Bounded: cleared whole past `TagSets.MAX`, like the other
 * caches here (a bridge sees a fixed set of tests and nodes, so it refills at once).
 */
export class TagSets {
  static readonly MAX = 16_384;
  readonly #byNode = new Map<number, Map<number, TagSet>>();
  #size = 0;

  constructor(readonly options: MappingOptions) {}

  get(push: CatchpointPush, node: NodeInfo | undefined): TagSet {
    let byTest = this.#byNode.get(push.nodeId);
    const known = byTest?.get(push.testId);
    if (known !== undefined && known.node === node && known.pushAsn === push.asn) return known;
    if (known === undefined) {
      if (this.#size >= TagSets.MAX) {
        this.#byNode.clear();
        this.#size = 0;
        byTest = undefined;
      }
      this.#size++;
    }
    if (byTest === undefined) {
      byTest = new Map();
      this.#byNode.set(push.nodeId, byTest);
    }
    const set = new TagSet(node, push.asn, push, this.options);
    byTest.set(push.testId, set);
    return set;
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
 * node metadata tags in configured order, cut at `maxTags`. Points share their tags objects
 * (frozen); with `tagSets` (what `createMapper` passes) across pushes too.
 */
export function mapDefault(
  push: CatchpointPush,
  node: NodeInfo | undefined,
  options: MappingOptions,
  tagSets?: TagSets,
): MapResult {
  const tags =
    tagSets !== undefined && tagSets.options === options
      ? tagSets.get(push, node)
      : new TagSet(node, push.asn, push, options);
  const out = new PointList(tags, push.timestamp, options.maxPointsPerPush);
  const facts = errorFacts(push);
  out.add('catchpoint.run', 1, facts.failed ? tags.failed : tags.ok, 'catchpoint.run');
  if (push.timing !== undefined) collect(out, 'catchpoint.timing', push.timing, 1);
  for (const [flag, set] of facts.flags) {
    const identity = metricName('catchpoint.error', flag);
    if (identity !== '') out.add('catchpoint.error', set ? 1 : 0, tags.type(identity), identity);
  }
  if (facts.code !== undefined) {
    out.add('catchpoint.error', 1, tags.code(metadataValue(facts.code, options)), 'catchpoint.error code');
  }
  if (push.ping !== undefined) collect(out, 'catchpoint.ping', push.ping, 1);
  if (push.byte !== undefined) collect(out, 'catchpoint.byte', push.byte, 1);
  if (push.counter !== undefined) collect(out, 'catchpoint.counter', push.counter, 1);
  return { points: out.points, truncated: out.truncated };
}
