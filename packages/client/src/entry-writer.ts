import { asciiNameTable, type DataPoint, formatValue, type ProtocolOptions } from '@otsdb/protocol';
import type { EntryWriter } from './entry-queue.js';
import type { TelnetTimestamps } from './options.js';

/*
 * The writers lay out a point's bytes straight into the queue's buffers and check it in the same
 * pass: every character of the metric, tag keys and tag values is looked up in @otsdb/protocol's
 * table of allowed ASCII characters as it is copied, and the types, timestamp, value and tag count
 * are checked on the way. A point that passes every check (`plain`) is exactly one
 * `validatePoint` accepts, so send() does not read the point a second time; anything else (a
 * non-ASCII name, a bigint, a value text) is written and left to `validatePoint`. What is checked
 * is what is written: a getter cannot hand the validator one value and the writer another.
 */

/** `write` result: the point needs more room than `limit` leaves. */
export const NO_ROOM = -1;
/** `write` result: the point breaks a rule checked here; `validatePoint` words the reason. */
export const REFUSED = -2;

/** Largest timestamp in seconds (10 digits); anything above is milliseconds (OpenTSDB's rule). */
const MAX_SECONDS = 9_999_999_999;
/** Largest timestamp a TSD takes (13 digits). */
const MAX_MILLIS = 9_999_999_999_999;

/** The validation rules a writer applies, from the client's protocol options. */
export interface WriteRules {
  /** Fewest tags, the automatic host tag included (0 with `tagsOptional`). */
  minTags: number;
  /** Most tags, the automatic host tag included (`maxTags`). */
  maxTags: number;
}

export function writeRules(options: ProtocolOptions): WriteRules {
  return { minTags: options.tagsOptional === true ? 0 : 1, maxTags: options.maxTags ?? 8 };
}

/** Set by the name writers when a name held a non-ASCII code unit (it may or may not be a letter). */
let sawNonAscii = false;

/**
 * A telnet put line, newline included: `put <metric> <ts> <value> k=v ... [host=h][suffix]\n`.
 * Tags are written in the caller's order (a TSD does not care, and not sorting keeps this cheap);
 * a parsed line's value text is written unchanged. `hostTag` is added as `host=` unless the tags
 * have an own `host`. `suffix` (the gateway's ` user=.. password=..`) goes before the newline.
 * Blanks, control characters and `=` are refused in names whatever `extraChars` allows: a put
 * line cannot carry them (they would split the line or its words).
 */
export class TelnetLineWriter implements EntryWriter {
  plain = false;
  private readonly asIs: boolean;
  private readonly toSeconds: boolean;
  private readonly metricChars: Uint8Array;
  private readonly tagChars: Uint8Array;
  private readonly suffixBytes: Uint8Array;
  // The host tag is the same on every point: its bytes are encoded once.
  private hostTag: string | undefined;
  private hostBytes: Uint8Array = new Uint8Array(0);

  constructor(
    timestamps: TelnetTimestamps,
    suffix: string,
    options: ProtocolOptions = {},
    private readonly rules: WriteRules = writeRules(options),
  ) {
    this.asIs = timestamps === 'as-is';
    this.toSeconds = timestamps === 'seconds';
    this.suffixBytes = Buffer.from(suffix);
    this.metricChars = asciiNameTable(options);
    this.metricChars.fill(0, 0, 33);
    this.tagChars = this.metricChars.slice();
    this.tagChars[61] = 0; // =
  }

  write(point: DataPoint, hostTag: string | undefined, buf: Buffer, pos: number, limit: number): number {
    this.plain = false;
    const { metric, timestamp: ts, value, valueText } = point;
    if (typeof metric !== 'string' || metric.length === 0) return REFUSED;
    if (!validTimestamp(ts)) return REFUSED;
    let plain = true;
    if (typeof value === 'bigint') plain = false;
    else if (typeof value !== 'number' || value - value !== 0) return REFUSED; // NaN, Infinity
    if (valueText !== undefined) {
      if (typeof valueText !== 'string' || valueText.length === 0) return REFUSED;
      plain = false;
    }
    sawNonAscii = false;

    // "put " + metric + " "
    if (pos + 4 > limit) return NO_ROOM;
    buf[pos++] = 112; // p
    buf[pos++] = 117; // u
    buf[pos++] = 116; // t
    buf[pos++] = 32;
    pos = writeName(buf, pos, limit, metric, this.metricChars);
    if (pos < 0) return pos;
    if (pos + 1 > limit) return NO_ROOM;
    buf[pos++] = 32;
    if (this.asIs || ts <= MAX_SECONDS) {
      pos = writeInteger(buf, pos, limit, ts);
    } else {
      const seconds = Math.floor(ts / 1000);
      pos = writeInteger(buf, pos, limit, seconds);
      if (!this.toSeconds && pos >= 0) {
        // Exactly three digits: OpenTSDB drops the dot and reads the rest as milliseconds.
        if (pos + 4 > limit) return NO_ROOM;
        const ms = ts - seconds * 1000;
        buf[pos++] = 46;
        buf[pos++] = 48 + Math.floor(ms / 100);
        buf[pos++] = 48 + (Math.floor(ms / 10) % 10);
        buf[pos++] = 48 + (ms % 10);
      }
    }
    if (pos < 0) return pos;
    if (pos + 1 > limit) return NO_ROOM;
    buf[pos++] = 32;
    pos =
      valueText === undefined
        ? writeValue(buf, pos, limit, value)
        : writeName(buf, pos, limit, valueText, VALUE_TEXT_CHARS);
    if (pos < 0) return pos;

    const tags = point.tags;
    if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) return REFUSED;
    const chars = this.tagChars;
    let count = 0;
    let ownHost = false;
    const keys = forInVisitsOwnKeysOnly(tags) ? undefined : Object.keys(tags);
    if (keys === undefined) {
      for (const key in tags) {
        pos = writeTag(buf, pos, limit, key, tags[key], chars);
        if (pos < 0) return pos;
        count++;
        if (key === 'host') ownHost = true;
      }
    } else {
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        pos = writeTag(buf, pos, limit, key, tags[key], chars);
        if (pos < 0) return pos;
        count++;
        if (key === 'host') ownHost = true;
      }
    }
    if (hostTag !== undefined && !ownHost) {
      if (hostTag !== this.hostTag) {
        this.hostTag = hostTag;
        this.hostBytes = Buffer.from(' host=' + hostTag);
      }
      pos = writeBytes(buf, pos, limit, this.hostBytes);
      if (pos < 0) return pos;
      count++;
    }
    if (count < this.rules.minTags || count > this.rules.maxTags) return REFUSED;
    if (this.suffixBytes.length > 0) {
      pos = writeBytes(buf, pos, limit, this.suffixBytes);
      if (pos < 0) return pos;
    }
    if (pos + 1 > limit) return NO_ROOM;
    buf[pos++] = 10;
    this.plain = plain && !sawNonAscii;
    return pos;
  }
}

/**
 * One `/api/put` JSON object followed by a comma: `{"metric":..,"timestamp":..,"value":..,
 * "tags":{..}},`. The transport turns a run of them into an array. Bigints are written as exact
 * integers; a value text is kept when it is valid JSON number syntax (`1.50`), else the value is
 * written (`.5` -> `0.5`). Names are checked against protocol's table as they are copied (JSON
 * escapes what needs escaping, so `extraChars` apply unchanged).
 */
/** A frozen tags object's JSON members as written once: it can never change, so they can be reused. */
interface EncodedTags {
  bytes: Uint8Array;
  count: number;
  ownHost: boolean;
  nonAscii: boolean;
}

export class JsonEntryWriter implements EntryWriter {
  plain = false;
  private readonly chars: Uint8Array;
  // Callers that share one frozen tags object between many points (a mapping that builds the
  // tags of a source once) get its members copied instead of encoded and checked again.
  private readonly frozenTags = new WeakMap<object, EncodedTags>();
  // The host tag is the same on every point: its JSON is encoded once.
  private hostTag: string | undefined;
  private hostBytes: Uint8Array = new Uint8Array(0);
  private firstHostBytes: Uint8Array = new Uint8Array(0);

  constructor(
    options: ProtocolOptions = {},
    private readonly rules: WriteRules = writeRules(options),
  ) {
    this.chars = asciiNameTable(options);
  }

  write(point: DataPoint, hostTag: string | undefined, buf: Buffer, pos: number, limit: number): number {
    this.plain = false;
    const { metric, timestamp, value, valueText } = point;
    if (typeof metric !== 'string' || metric.length === 0) return REFUSED;
    if (!validTimestamp(timestamp)) return REFUSED;
    let plain = true;
    if (typeof value === 'bigint') plain = false;
    else if (typeof value !== 'number' || value - value !== 0) return REFUSED;
    if (valueText !== undefined) {
      if (typeof valueText !== 'string' || valueText.length === 0) return REFUSED;
      plain = false;
    }
    sawNonAscii = false;
    const chars = this.chars;

    pos = writeBytes(buf, pos, limit, JSON_METRIC);
    if (pos >= 0) pos = writeName(buf, pos, limit, metric, chars, true);
    if (pos >= 0) pos = writeBytes(buf, pos, limit, JSON_TIMESTAMP);
    if (pos >= 0) pos = writeInteger(buf, pos, limit, timestamp);
    if (pos >= 0) pos = writeBytes(buf, pos, limit, JSON_VALUE);
    if (pos < 0) return pos;
    pos =
      valueText !== undefined && JSON_NUMBER.test(valueText)
        ? writeText(buf, pos, limit, valueText)
        : writeValue(buf, pos, limit, value);
    if (pos >= 0) pos = writeBytes(buf, pos, limit, JSON_TAGS);
    if (pos < 0) return pos;

    const tags = point.tags;
    if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) return REFUSED;
    let count = 0;
    let ownHost = false;
    const frozen = Object.isFrozen(tags);
    const known = frozen ? this.frozenTags.get(tags) : undefined;
    if (known !== undefined) {
      pos = writeBytes(buf, pos, limit, known.bytes);
      if (pos < 0) return pos;
      count = known.count;
      ownHost = known.ownHost;
      if (known.nonAscii) sawNonAscii = true;
    } else {
      const tagsStart = pos;
      const nonAsciiBefore = sawNonAscii;
      sawNonAscii = false;
      const keys = forInVisitsOwnKeysOnly(tags) ? undefined : Object.keys(tags);
      if (keys === undefined) {
        for (const key in tags) {
          pos = writeJsonTag(buf, pos, limit, key, tags[key], count, chars);
          if (pos < 0) return pos;
          count++;
          if (key === 'host') ownHost = true;
        }
      } else {
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i]!;
          pos = writeJsonTag(buf, pos, limit, key, tags[key], count, chars);
          if (pos < 0) return pos;
          count++;
          if (key === 'host') ownHost = true;
        }
      }
      const nonAscii = sawNonAscii;
      sawNonAscii = nonAsciiBefore || nonAscii;
      // Accessors could answer differently next time: only plain data is remembered (a copy:
      // the queue may write over this spot when the point is not committed).
      if (frozen && hasOnlyDataProperties(tags)) {
        this.frozenTags.set(tags, {
          bytes: new Uint8Array(buf.subarray(tagsStart, pos)),
          count,
          ownHost,
          nonAscii,
        });
      }
    }
    if (hostTag !== undefined && !ownHost) {
      if (hostTag !== this.hostTag) this.setHostTag(hostTag);
      pos = writeBytes(buf, pos, limit, count === 0 ? this.firstHostBytes : this.hostBytes);
      if (pos < 0) return pos;
      count++;
    }
    if (count < this.rules.minTags || count > this.rules.maxTags) return REFUSED;
    pos = writeBytes(buf, pos, limit, JSON_END);
    if (pos >= 0) this.plain = plain && !sawNonAscii;
    return pos;
  }

  private setHostTag(hostTag: string): void {
    this.hostTag = hostTag;
    this.firstHostBytes = Buffer.from('"host":' + JSON.stringify(hostTag));
    this.hostBytes = Buffer.from(',"host":' + JSON.stringify(hostTag));
  }
}

// The fixed parts of a JSON entry, as bytes: copying them beats reading a string per character.
const JSON_METRIC = Buffer.from('{"metric":"');
const JSON_TIMESTAMP = Buffer.from('","timestamp":');
const JSON_VALUE = Buffer.from(',"value":');
const JSON_TAGS = Buffer.from(',"tags":{');
const JSON_END = Buffer.from('}},');

/** JSON's number grammar (RFC 8259). */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** A value text on a put line may hold anything but blanks, control characters and `=`. */
const VALUE_TEXT_CHARS = (() => {
  const table = new Uint8Array(128).fill(1);
  table.fill(0, 0, 33);
  table[61] = 0;
  table[127] = 0;
  return table;
})();

function validTimestamp(ts: unknown): ts is number {
  return typeof ts === 'number' && ts >= 1 && ts <= MAX_MILLIS && Number.isInteger(ts);
}

// Only a prototype whose chain was seen to hold nothing enumerable and cannot change (frozen,
// ending at null, like @otsdb/protocol's tags objects) is remembered; Object.prototype is looked
// at every time, since anyone may add to it.
let cleanFrozenPrototype: object | undefined;

/**
 * Whether `for...in` over `o` visits exactly its own enumerable keys, i.e. nothing enumerable sits
 * up its prototype chain (a polluted Object.prototype would otherwise add unchecked tags).
 */
function forInVisitsOwnKeysOnly(o: object): boolean {
  const proto: object | null = Object.getPrototypeOf(o);
  if (proto === null || proto === cleanFrozenPrototype) return true;
  for (const _ in proto) return false;
  if (proto !== Object.prototype && Object.isFrozen(proto) && Object.getPrototypeOf(proto) === null) {
    cleanFrozenPrototype = proto;
  }
  return true;
}

/** ` key=value` of a telnet line, both names checked. */
function writeTag(
  buf: Buffer,
  pos: number,
  limit: number,
  key: string,
  value: unknown,
  chars: Uint8Array,
): number {
  if (key.length === 0 || typeof value !== 'string' || value.length === 0) return REFUSED;
  if (pos + 1 > limit) return NO_ROOM;
  buf[pos++] = 32;
  pos = writeName(buf, pos, limit, key, chars);
  if (pos < 0) return pos;
  if (pos + 1 > limit) return NO_ROOM;
  buf[pos++] = 61; // =
  return writeName(buf, pos, limit, value, chars);
}

/** `"key":"value"` of a JSON tags object (with a leading comma after the first), both checked. */
function writeJsonTag(
  buf: Buffer,
  pos: number,
  limit: number,
  key: string,
  value: unknown,
  written: number,
  chars: Uint8Array,
): number {
  if (key.length === 0 || typeof value !== 'string' || value.length === 0) return REFUSED;
  if (written > 0) {
    if (pos + 1 > limit) return NO_ROOM;
    buf[pos++] = 44; // ,
  }
  if (pos + 1 > limit) return NO_ROOM;
  buf[pos++] = 34;
  pos = writeName(buf, pos, limit, key, chars, true);
  if (pos < 0) return pos;
  if (pos + 3 > limit) return NO_ROOM;
  buf[pos++] = 34;
  buf[pos++] = 58; // :
  buf[pos++] = 34;
  pos = writeName(buf, pos, limit, value, chars, true);
  if (pos < 0) return pos;
  if (pos + 1 > limit) return NO_ROOM;
  buf[pos++] = 34;
  return pos;
}

/**
 * A name's UTF-8 bytes, each ASCII character checked against `chars` as it is copied (REFUSED on
 * one that is not allowed). A non-ASCII character is allowed here and reported in `sawNonAscii`:
 * whether it is a letter is `validatePoint`'s call. `json` escapes what a JSON string needs
 * (quotes, backslashes and control characters `extraChars` may allow).
 */
function writeName(
  buf: Buffer,
  pos: number,
  limit: number,
  text: string,
  chars: Uint8Array,
  json = false,
): number {
  const n = text.length;
  if (pos + n > limit) return NO_ROOM;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return writeNonAscii(buf, pos, limit, text, i, chars, json);
    if (chars[c] === 0) return REFUSED;
    if (json && (c === 34 || c === 92 || c < 32)) return writeNonAscii(buf, pos, limit, text, i, chars, json);
    buf[pos++] = c;
  }
  return pos;
}

/** The rest of a name from `from` on, once it holds a non-ASCII character or needs escaping. */
function writeNonAscii(
  buf: Buffer,
  pos: number,
  limit: number,
  text: string,
  from: number,
  chars: Uint8Array,
  json: boolean,
): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) sawNonAscii = true;
    else if (chars[c] === 0) return REFUSED;
  }
  const rest = text.slice(from);
  if (!json) return writeUtf8(buf, pos, limit, rest);
  const quoted = JSON.stringify(rest);
  return writeUtf8(buf, pos, limit, quoted.slice(1, -1));
}

function writeValue(buf: Buffer, pos: number, limit: number, v: DataPoint['value']): number {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return writeInteger(buf, pos, limit, v);
    const end = writeShortDecimal(buf, pos, limit, v);
    if (end !== NOT_SHORT) return end;
  }
  return writeText(buf, pos, limit, formatValue(v));
}

const NOT_SHORT = -3;
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6];

/**
 * `String(v)` for the common gauge value (`42.5`, `0.25`, `99.99`): at most 6 decimals and below
 * 1e9 in magnitude, written as digits without building a string (String() on a double costs as
 * much as the rest of the line). Else NOT_SHORT. Why it is exactly String(v): for the smallest j
 * with round(v * 10^j) / 10^j === v, the j-decimal text reads back as v (both are correctly
 * rounded from the same real), and below 1e9 no other integer is close enough to v * 10^j to
 * read back as v too, so no text with fewer decimals or other digits exists: String(v) is the
 * shortest such text. From 1e-6 up JavaScript writes it without an exponent.
 */
export function writeShortDecimal(buf: Buffer, pos: number, limit: number, v: number): number {
  const magnitude = v < 0 ? -v : v;
  if (!(magnitude >= 1e-6 && magnitude < 1e9) || Number.isInteger(magnitude)) return NOT_SHORT;
  for (let j = 1; j <= 6; j++) {
    const scale = POW10[j]!;
    const m = Math.round(magnitude * scale);
    if (m / scale !== magnitude) continue;
    const whole = Math.floor(m / scale);
    let fraction = m - whole * scale;
    if (v < 0) {
      if (pos + 1 > limit) return NO_ROOM;
      buf[pos++] = 45;
    }
    pos = writeInteger(buf, pos, limit, whole);
    if (pos < 0 || pos + 1 + j > limit) return NO_ROOM;
    buf[pos++] = 46; // .
    for (let p = pos + j - 1; p >= pos; p--) {
      buf[p] = 48 + (fraction % 10);
      fraction = Math.floor(fraction / 10);
    }
    return pos + j;
  }
  return NOT_SHORT;
}

/** Decimal digits of a safe integer (sign included), without building a string. */
export function writeInteger(buf: Buffer, pos: number, limit: number, value: number): number {
  let n = value;
  if (n < 0) {
    if (pos + 1 > limit) return NO_ROOM;
    buf[pos++] = 45;
    n = -n;
  }
  if (n <= 0x7fffffff) return writeSmallInteger(buf, pos, limit, n);
  let digits = 1;
  for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
  if (pos + digits > limit) return NO_ROOM;
  const end = pos + digits;
  for (let p = end - 1; p >= pos; p--) {
    buf[p] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
  return end;
}

/** Int32 arithmetic for the common case (second timestamps, counters): no float division. */
function writeSmallInteger(buf: Buffer, pos: number, limit: number, value: number): number {
  let n = value | 0;
  const digits =
    n < 10
      ? 1
      : n < 100
        ? 2
        : n < 1000
          ? 3
          : n < 10000
            ? 4
            : n < 100000
              ? 5
              : n < 1000000
                ? 6
                : n < 10000000
                  ? 7
                  : n < 100000000
                    ? 8
                    : n < 1000000000
                      ? 9
                      : 10;
  if (pos + digits > limit) return NO_ROOM;
  const end = pos + digits;
  for (let p = end - 1; p >= pos; p--) {
    const q = (n / 10) | 0;
    buf[p] = 48 + n - q * 10;
    n = q;
  }
  return end;
}

/** UTF-8 bytes of trusted `text` (fixed parts, the configured host tag and credentials). */
export function writeText(buf: Buffer, pos: number, limit: number, text: string): number {
  const n = text.length;
  if (pos + n > limit) return NO_ROOM;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return writeUtf8(buf, pos, limit, text.slice(i));
    buf[pos++] = c;
  }
  return pos;
}

function writeUtf8(buf: Buffer, pos: number, limit: number, text: string): number {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (pos + bytes > limit) return NO_ROOM;
  buf.write(text, pos, bytes, 'utf8');
  return pos + bytes;
}

function writeBytes(buf: Buffer, pos: number, limit: number, bytes: Uint8Array): number {
  const n = bytes.length;
  if (pos + n > limit) return NO_ROOM;
  for (let i = 0; i < n; i++) buf[pos + i] = bytes[i]!;
  return pos + n;
}

/** Whether every own string-keyed property is a data property (no getter to answer anew). */
function hasOnlyDataProperties(o: object): boolean {
  for (const key of Object.getOwnPropertyNames(o)) {
    if (!('value' in Object.getOwnPropertyDescriptor(o, key)!)) return false;
  }
  return true;
}
