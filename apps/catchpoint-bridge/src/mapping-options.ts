import type { DataPoint } from '@otsdb/protocol';
import type { NodeInfo } from './node-info.js';
import { sanitizeTagValue } from './opentsdb-names.js';
import type { CatchpointPush } from './payload.js';

/** Tag names for node metadata in the default mapping, and the node field each one reads. */
export const NODE_TAGS = {
  asn: 'asn',
  city: 'city',
  country: 'country',
  region: 'region',
  continent: 'continent',
  isp: 'isp',
  network_type: 'networkType',
} as const;
export type NodeTag = keyof typeof NODE_TAGS;
export const ALL_NODE_TAGS = Object.keys(NODE_TAGS) as NodeTag[];
/** The v2 API knows no continent, region or ISP: tagging them would only ever say `unknown`. */
export const V2_NODE_TAGS: NodeTag[] = ['asn', 'city', 'country', 'network_type'];

export interface MappingOptions {
  /** `default`: the full metric set below; `ns1`: the NS1 bridge's metric names, fixed. */
  mode: 'default' | 'ns1';
  /** OpenTSDB's `tsd.storage.max_tags`. Tags beyond it are dropped in priority order. Default 8. */
  maxTags: number;
  /** Node metadata tags, highest priority first (default mode). */
  nodeTags: readonly NodeTag[];
  /** Stands in for metadata Catchpoint did not give us (unknown node, field absent). Default `unknown`. */
  unknownValue: string;
  /** Characters the target TSD allows beyond OpenTSDB's set (`tsd.core.tag.allow_specialchars`). */
  extraChars: string;
  /** A push never yields more points than this; the rest are counted as truncated. Default 500. */
  maxPointsPerPush: number;
}

export const DEFAULT_MAPPING: MappingOptions = {
  mode: 'default',
  maxTags: 8,
  nodeTags: ALL_NODE_TAGS,
  unknownValue: 'unknown',
  extraChars: '',
  maxPointsPerPush: 500,
};

export interface MapResult {
  points: DataPoint[];
  /** Points left out because the push exceeded `maxPointsPerPush`. */
  truncated: number;
}

export type Mapper = (push: CatchpointPush, node: NodeInfo | undefined) => MapResult;

/**
 * Node names, ISPs and error codes repeat across pushes; their sanitised forms are kept in a
 * bounded cache (cleared whole when full, so it never grows past `SANITISED_CACHE_SIZE`).
 */
const SANITISED_CACHE_SIZE = 8192;
const sanitised = new Map<string, string>();

/** Metadata as a tag value: sanitised, never empty (the placeholder stands in). */
export function metadataValue(raw: string | number | undefined, options: MappingOptions): string {
  if (raw === undefined) return options.unknownValue;
  if (typeof raw === 'number') return String(raw);
  const key = options.extraChars === '' ? raw : `${options.extraChars}\0${raw}`;
  let v = sanitised.get(key);
  if (v === undefined) {
    v = sanitizeTagValue(raw, options.extraChars);
    if (sanitised.size >= SANITISED_CACHE_SIZE) sanitised.clear();
    sanitised.set(key, v);
  }
  return v === '' ? options.unknownValue : v;
}
