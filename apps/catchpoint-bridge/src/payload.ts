import { z } from 'zod';
import { parseCatchpointTimestamp } from './timestamp.js';

/**
 * One Catchpoint "Test Data Webhook" push in the default JSON format, reduced to what the
 * bridge maps. Catchpoint nodes post one document per test run:
 *
 * ```json
 * {"TestDetail":{"Name":"Homepage","TypeId":0,"MonitorTypeId":2},"TestId":123456,
 *  "ReportWindow":"202405021200","NodeId":312,"NodeName":"Jinan, CN - Unicom","Asn":4837,
 *  "DivisionId":1033,"ClientId":1234,
 *  "Summary":{"Timestamp":"20240502120449609","Timing":{"Total":158,"Dns":12},
 *             "Error":{"Any":false},"Byte":{...},"Counter":{...},"Address":"192.0.2.10"}}
 * ```
 *
 * The four sections the mapping walks (`Timing`, `Error`, `Byte`, `Counter`, `Ping`) are kept
 * as raw objects: their members differ per test type and monitor, and a missing member is
 * skipped, never read as zero.
 */
export interface CatchpointPush {
  testId: number;
  nodeId: number;
  /** Unix milliseconds, read as UTC. */
  timestamp: number;
  nodeName?: string | undefined;
  /** The node's autonomous system as sent by the node itself (`Asn`), used when the node list lacks it. */
  asn?: number | undefined;
  testName?: string | undefined;
  testTypeId?: number | undefined;
  monitorTypeId?: number | undefined;
  timing?: Record<string, unknown> | undefined;
  error?: Record<string, unknown> | undefined;
  byte?: Record<string, unknown> | undefined;
  counter?: Record<string, unknown> | undefined;
  ping?: Record<string, unknown> | undefined;
}

export interface PayloadError {
  code: 'invalid_payload';
  /** Dotted path of the offending field as Catchpoint names it, e.g. `Summary.Timestamp`. */
  field: string;
  message: string;
}

export type PushResult = { ok: true; push: CatchpointPush } | { ok: false; error: PayloadError };

const NON_NEGATIVE_INTEGER = 'expected a non-negative integer (a JSON number or a string of digits)';

const id = z.union(
  [
    z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    z
      .string()
      .regex(/^\d{1,15}$/)
      .transform(Number),
  ],
  { error: NON_NEGATIVE_INTEGER },
);

const section = z
  .record(z.string(), z.unknown(), { error: 'expected a JSON object' })
  .nullish()
  .transform((v) => v ?? undefined);

/** Descriptive fields never decide whether a push is usable: a wrong type there is ignored. */
const optionalText = z.string().max(1024).optional().catch(undefined);
const optionalInt = z.number().int().optional().catch(undefined);

const timestamp = z
  .string({ error: 'expected a string "yyyyMMddHHmmssfff" (UTC)' })
  .transform((text, ctx) => {
    const r = parseCatchpointTimestamp(text);
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', message: r.message });
      return z.NEVER;
    }
    return r.millis;
  });

const schema = z.object({
  TestId: id,
  NodeId: id,
  NodeName: optionalText,
  Asn: z.unknown().optional(),
  TestDetail: z
    .object({ Name: optionalText, TypeId: optionalInt, MonitorTypeId: optionalInt })
    .optional()
    .catch(undefined),
  Summary: z.object(
    {
      Timestamp: timestamp,
      Timing: section,
      Error: section,
      Byte: section,
      Counter: section,
      Ping: section,
    },
    { error: 'expected a JSON object' },
  ),
});

/** `4837`, `"4837"`, `"AS4837"`, `"as4837"` -> 4837; anything else -> undefined. */
export function parseAsn(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value > 0 && value <= 0xffffffff ? value : undefined;
  }
  if (typeof value === 'string') {
    const m = /^\s*(?:AS)?(\d{1,10})\s*$/i.exec(value);
    if (m === null) return undefined;
    const n = Number(m[1]);
    return n > 0 && n <= 0xffffffff ? n : undefined;
  }
  return undefined;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/**
 * Validates a decoded JSON body. Never throws; the error names the first field that is
 * missing or malformed, in Catchpoint's own spelling, so an operator can fix a custom template.
 *
 * The zod schema above is the definition. Every push the webhook takes goes through here, and
 * the schema costs several microseconds per push (more than mapping it), so a hand-written
 * check reads the usual shape first: when it accepts, its result is the schema's (a property
 * test holds it to that); anything else, every refusal included, goes to the schema, which
 * also words the error.
 */
export function parsePush(body: unknown): PushResult {
  if (!isObject(body)) return NOT_AN_OBJECT;
  const push = readUsualShape(body);
  return push === undefined ? parsePushBySchema(body) : { ok: true, push };
}

const NOT_AN_OBJECT: PushResult = Object.freeze({
  ok: false,
  error: Object.freeze({
    code: 'invalid_payload',
    field: '(body)',
    message: '(body): expected one JSON object per push (Catchpoint "JSON" format)',
  }),
});

/** `parsePush` by the zod schema alone: the reference the fast path is tested against. */
export function parsePushBySchema(body: unknown): PushResult {
  if (!isObject(body)) return NOT_AN_OBJECT;
  const r = schema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = issue.path.map(String).join('.') || '(body)';
    const missing = valueAt(body, issue.path) === undefined;
    const message = `${field}: ${missing ? 'missing' : issue.message}`;
    return { ok: false, error: { code: 'invalid_payload', field, message } };
  }
  const d = r.data;
  const s = d.Summary;
  return {
    ok: true,
    push: {
      testId: d.TestId,
      nodeId: d.NodeId,
      timestamp: s.Timestamp,
      nodeName: d.NodeName,
      asn: parseAsn(d.Asn),
      testName: d.TestDetail?.Name,
      testTypeId: d.TestDetail?.TypeId,
      monitorTypeId: d.TestDetail?.MonitorTypeId,
      timing: s.Timing,
      error: s.Error,
      byte: s.Byte,
      counter: s.Counter,
      ping: s.Ping,
    },
  };
}

// The fast path. Each reader answers what the schema would, or NO when it cannot be sure
// (then the schema decides). Its rules mirror the schema's one by one:

const NO = undefined;
const DIGITS = /^\d{1,15}$/;

/** `id`: a safe non-negative integer, or 1 to 15 ASCII digits read as a number. */
function readId(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : NO;
  if (typeof v === 'string' && DIGITS.test(v)) return Number(v);
  return NO;
}

/** `optionalText`: never refuses; what is not a string of at most 1024 units is left out. */
function readText(v: unknown): string | undefined {
  return typeof v === 'string' && v.length <= 1024 ? v : undefined;
}

/** `optionalInt`: never refuses; what is not a safe integer is left out. */
function readInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `section`: absent or null is undefined; an object as JSON.parse makes it is taken as it is.
 * The schema copies a record without its own `__proto__` key (and refuses symbol keys), so an
 * object with one of those, or any other kind of object, is left to the schema.
 */
function readSection(v: unknown): Record<string, unknown> | null | undefined {
  if (v === undefined || v === null) return undefined;
  if (
    !isObject(v) ||
    Object.getPrototypeOf(v) !== Object.prototype ||
    Object.hasOwn(v, '__proto__') ||
    Object.hasOwn(v, 'constructor') ||
    Object.getOwnPropertySymbols(v).length > 0
  ) {
    return null;
  }
  return v;
}

function readUsualShape(body: Record<string, unknown>): CatchpointPush | undefined {
  const testId = readId(body['TestId']);
  if (testId === NO) return NO;
  const nodeId = readId(body['NodeId']);
  if (nodeId === NO) return NO;
  const summary = body['Summary'];
  if (!isObject(summary)) return NO;
  const ts = summary['Timestamp'];
  if (typeof ts !== 'string') return NO;
  const time = parseCatchpointTimestamp(ts);
  if (!time.ok) return NO;
  const timing = readSection(summary['Timing']);
  const error = readSection(summary['Error']);
  const byte = readSection(summary['Byte']);
  const counter = readSection(summary['Counter']);
  const ping = readSection(summary['Ping']);
  if (timing === null || error === null || byte === null || counter === null || ping === null) return NO;
  // `TestDetail` never refuses: anything but an object is left out whole.
  const detail = body['TestDetail'];
  const d = isObject(detail) ? detail : undefined;
  return {
    testId,
    nodeId,
    timestamp: time.millis,
    nodeName: readText(body['NodeName']),
    asn: parseAsn(body['Asn']),
    testName: d === undefined ? undefined : readText(d['Name']),
    testTypeId: d === undefined ? undefined : readInt(d['TypeId']),
    monitorTypeId: d === undefined ? undefined : readInt(d['MonitorTypeId']),
    timing,
    error,
    byte,
    counter,
    ping,
  };
}
