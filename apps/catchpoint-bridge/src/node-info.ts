import { parseAsn } from './payload.js';

/**
 * What the bridge knows about one Catchpoint node (a monitoring location). Every field but
 * `id` is optional: the v2 API has no continent, region or ISP, and the v1 API leaves fields
 * out for some nodes. Values are Catchpoint's display names, unsanitised; the mapping turns
 * them into tag values.
 */
export interface NodeInfo {
  id: number;
  name?: string;
  asn?: number;
  city?: string;
  country?: string;
  region?: string;
  continent?: string;
  isp?: string;
  networkType?: string;
}

/** The metadata fields a node can carry, in the order the mapping adds them as tags. */
export const NODE_FIELDS = ['asn', 'city', 'country', 'region', 'continent', 'isp', 'networkType'] as const;
export type NodeField = (typeof NODE_FIELDS)[number];

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `"Paris"` or `{ "id": 5, "name": "Paris" }` -> `"Paris"`. */
function nameOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v;
  if (isRecord(v)) {
    const name = v['name'] ?? v['Name'];
    if (typeof name === 'string' && name.trim() !== '') return name;
  }
  return undefined;
}

function idOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
  return undefined;
}

/** v1 writes `{"asn": {"value": "AS3356"}}`; accept the bare forms too. */
function asnOf(v: unknown): number | undefined {
  if (isRecord(v)) return parseAsn(v['value'] ?? v['name'] ?? v['number'] ?? v['id']);
  return parseAsn(v);
}

function put<K extends keyof NodeInfo>(node: NodeInfo, key: K, value: NodeInfo[K] | undefined): void {
  if (value !== undefined) node[key] = value;
}

/**
 * One node object of the v1 API (`GET /ui/api/v1/nodes`): `id`, `name`, `asn.value` (`AS3356`),
 * `city.name`, `country.name`, `region.name`, `continent.name`, `isp.name`, `network_type.name`.
 * Returns undefined for an entry without a usable id.
 */
export function nodeFromV1(raw: unknown): NodeInfo | undefined {
  if (!isRecord(raw)) return undefined;
  const id = idOf(raw['id']);
  if (id === undefined) return undefined;
  const node: NodeInfo = { id };
  put(node, 'name', nameOf(raw['name']));
  put(node, 'asn', asnOf(raw['asn']));
  put(node, 'city', nameOf(raw['city']));
  put(node, 'country', nameOf(raw['country']));
  put(node, 'region', nameOf(raw['region']));
  put(node, 'continent', nameOf(raw['continent']));
  put(node, 'isp', nameOf(raw['isp']));
  put(node, 'networkType', nameOf(raw['network_type'] ?? raw['networkType']));
  return node;
}

/**
 * One node object of the v2 API (`GET /api/v2/nodes/all`), camelCase: `id`, `name`,
 * `asn` (number, `"AS…"` or an object), `city`, `country` (objects with `name` or plain
 * strings), `networkType`. v2 has no continent, region or ISP; they stay unset.
 */
export function nodeFromV2(raw: unknown): NodeInfo | undefined {
  if (!isRecord(raw)) return undefined;
  const id = idOf(raw['id']);
  if (id === undefined) return undefined;
  const node: NodeInfo = { id };
  put(node, 'name', nameOf(raw['name']));
  put(node, 'asn', asnOf(raw['asn'] ?? raw['asnNumber']));
  put(node, 'city', nameOf(raw['city']));
  put(node, 'country', nameOf(raw['country']));
  put(node, 'region', nameOf(raw['region']));
  put(node, 'continent', nameOf(raw['continent']));
  put(node, 'isp', nameOf(raw['isp']));
  put(node, 'networkType', nameOf(raw['networkType'] ?? raw['network_type']));
  return node;
}
