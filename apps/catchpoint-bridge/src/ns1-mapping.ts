import type { DataPoint, Tags } from '@otsdb/protocol';
import { type MappingOptions, type MapResult, metadataValue } from './mapping-options.js';
import type { NodeInfo } from './node-info.js';
import type { CatchpointPush } from './payload.js';
import { errorFacts, numericValue } from './push-facts.js';

/**
 * The NS1 catchpoint_opentsdb_bridge's metric set, so dashboards built on it keep working:
 *
 * | metric                                   | value          | tags                         |
 * |------------------------------------------|----------------|------------------------------|
 * | `catchpoint.rtt.by_node.<TestId>`        | Timing.Total   | nodeid                       |
 * | `catchpoint.status.by_node.<TestId>`     | 1              | nodeid, status               |
 * | `catchpoint.rtt.by_<dim>.<TestId>`       | Timing.Total   | nodeid, <dim>                |
 * | `catchpoint.status.by_<dim>.<TestId>`    | 1              | nodeid, <dim>, status        |
 * | `catchpoint.error.by_node.<TestId>`      | 1              | nodeid, error                |
 *
 * with `<dim>` each of asn, continent, city, country, region, isp. Same names and tag keys,
 * without the old bugs:
 *
 * - timestamps are UTC (the old bridge parsed them as the host's local time);
 * - no empty tag values (OpenTSDB refuses them; the old bridge wrote `error=` on every good
 *   run and `city=` for nodes without a city, so those points were lost): missing metadata is
 *   the placeholder (`unknown`), and `error.by_node` is written only for failed runs;
 * - an unknown node is tagged with the placeholder instead of failing the request;
 * - a run without `Timing.Total` skips the rtt points instead of crashing;
 * - tag values are sanitised to OpenTSDB's character set (the old bridge only replaced spaces).
 *
 * A run failed when it has an error code (the old rule) or an error flag set.
 */
const DIMENSIONS = [
  ['asn', 'asn'],
  ['continent', 'continent'],
  ['city', 'city'],
  ['country', 'country'],
  ['region', 'region'],
  ['isp', 'isp'],
] as const;

export function mapNs1(push: CatchpointPush, node: NodeInfo | undefined, options: MappingOptions): MapResult {
  const ts = push.timestamp;
  const test = String(push.testId);
  const nodeid = String(push.nodeId);
  const rtt = numericValue(push.timing?.['Total']);
  const facts = errorFacts(push);
  const status = facts.failed ? 'error' : 'ok';
  const points: DataPoint[] = [];
  let truncated = 0;
  const limit = Math.min(options.maxTags, 3);
  const add = (metric: string, value: number, tags: Tags) => {
    if (points.length >= options.maxPointsPerPush) {
      truncated++;
      return;
    }
    // At most three tags; a TSD configured below that keeps the leading ones.
    if (limit < 3) {
      const kept: Tags = {};
      for (const k of Object.keys(tags).slice(0, limit)) kept[k] = tags[k]!;
      tags = kept;
    }
    points.push({ metric, timestamp: ts, value, tags });
  };

  if (rtt !== undefined) add(`catchpoint.rtt.by_node.${test}`, rtt, { nodeid });
  add(`catchpoint.status.by_node.${test}`, 1, { nodeid, status });
  for (const [dim, field] of DIMENSIONS) {
    const raw = field === 'asn' ? (node?.asn ?? push.asn) : node?.[field];
    const v = metadataValue(raw, options);
    if (rtt !== undefined) add(`catchpoint.rtt.by_${dim}.${test}`, rtt, { nodeid, [dim]: v });
    add(`catchpoint.status.by_${dim}.${test}`, 1, { nodeid, [dim]: v, status });
  }
  if (facts.failed) {
    const error = facts.code !== undefined ? metadataValue(facts.code, options) : options.unknownValue;
    add(`catchpoint.error.by_node.${test}`, 1, { nodeid, error });
  }
  return { points, truncated };
}
