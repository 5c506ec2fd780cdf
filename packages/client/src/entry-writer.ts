import { type DataPoint, formatValue } from '@otsdb/protocol';
import type { EntryWriter } from './entry-queue.js';
import type { TelnetTimestamps } from './options.js';

// Points are validated by @otsdb/protocol before they get here; these writers only lay out bytes.
// They write straight into the queue's buffers (no intermediate strings for the common ASCII
// case), which is what keeps send() cheap.

/** Largest timestamp in seconds (10 digits); anything above is milliseconds (OpenTSDB's rule). */
const MAX_SECONDS = 9_999_999_999;

/**
 * A telnet put line, newline included: `put <metric> <ts> <value> k=v ... [host=h][suffix]\n`.
 * Tags are written in the caller's order (a TSD does not care, and not sorting keeps this cheap);
 * a parsed line's value text is written unchanged. `suffix` (the gateway's ` user=.. password=..`)
 * goes before the newline.
 */
export class TelnetLineWriter implements EntryWriter {
  private readonly asIs: boolean;
  private readonly toSeconds: boolean;

  constructor(
    timestamps: TelnetTimestamps,
    private readonly suffix: string,
  ) {
    this.asIs = timestamps === 'as-is';
    this.toSeconds = timestamps === 'seconds';
  }

  write(point: DataPoint, host: string | undefined, buf: Buffer, pos: number, limit: number): number {
    // "put " + metric + " "
    if (pos + 4 > limit) return -1;
    buf[pos++] = 112; // p
    buf[pos++] = 117; // u
    buf[pos++] = 116; // t
    buf[pos++] = 32;
    pos = writeText(buf, pos, limit, point.metric);
    if (pos < 0 || pos + 1 > limit) return -1;
    buf[pos++] = 32;
    const ts = point.timestamp;
    if (this.asIs || ts <= MAX_SECONDS) {
      pos = writeInteger(buf, pos, limit, ts);
    } else {
      const seconds = Math.floor(ts / 1000);
      pos = writeInteger(buf, pos, limit, seconds);
      if (!this.toSeconds && pos >= 0) {
        // Exactly three digits: OpenTSDB drops the dot and reads the rest as milliseconds.
        if (pos + 4 > limit) return -1;
        const ms = ts - seconds * 1000;
        buf[pos++] = 46;
        buf[pos++] = 48 + Math.floor(ms / 100);
        buf[pos++] = 48 + (Math.floor(ms / 10) % 10);
        buf[pos++] = 48 + (ms % 10);
      }
    }
    if (pos < 0 || pos + 1 > limit) return -1;
    buf[pos++] = 32;
    pos = writeValue(buf, pos, limit, point.value, point.valueText);
    if (pos < 0) return -1;
    const tags = point.tags;
    for (const key of ownKeys(tags)) {
      if (pos + 1 > limit) return -1;
      buf[pos++] = 32;
      pos = writeText(buf, pos, limit, key);
      if (pos < 0 || pos + 1 > limit) return -1;
      buf[pos++] = 61; // =
      pos = writeText(buf, pos, limit, tags[key]!);
      if (pos < 0) return -1;
    }
    if (host !== undefined) {
      pos = writeText(buf, pos, limit, ' host=');
      if (pos >= 0) pos = writeText(buf, pos, limit, host);
      if (pos < 0) return -1;
    }
    if (this.suffix !== '') {
      pos = writeText(buf, pos, limit, this.suffix);
      if (pos < 0) return -1;
    }
    if (pos + 1 > limit) return -1;
    buf[pos++] = 10;
    return pos;
  }
}

/**
 * One `/api/put` JSON object followed by a comma: `{"metric":..,"timestamp":..,"value":..,
 * "tags":{..}},`. The transport turns a run of them into an array. Bigints are written as exact
 * integers; a value text is kept when it is valid JSON number syntax (`1.50`), else the value is
 * written (`.5` -> `0.5`).
 */
export class JsonEntryWriter implements EntryWriter {
  write(point: DataPoint, host: string | undefined, buf: Buffer, pos: number, limit: number): number {
    pos = writeText(buf, pos, limit, '{"metric":');
    if (pos >= 0) pos = writeJsonString(buf, pos, limit, point.metric);
    if (pos >= 0) pos = writeText(buf, pos, limit, ',"timestamp":');
    if (pos >= 0) pos = writeInteger(buf, pos, limit, point.timestamp);
    if (pos >= 0) pos = writeText(buf, pos, limit, ',"value":');
    if (pos < 0) return -1;
    const text = point.valueText;
    pos =
      text !== undefined && JSON_NUMBER.test(text)
        ? writeText(buf, pos, limit, text)
        : writeValue(buf, pos, limit, point.value, undefined);
    if (pos >= 0) pos = writeText(buf, pos, limit, ',"tags":{');
    if (pos < 0) return -1;
    const tags = point.tags;
    let first = true;
    for (const key of ownKeys(tags)) {
      if (!first) {
        if (pos + 1 > limit) return -1;
        buf[pos++] = 44;
      }
      first = false;
      pos = writeJsonString(buf, pos, limit, key);
      if (pos < 0 || pos + 1 > limit) return -1;
      buf[pos++] = 58; // :
      pos = writeJsonString(buf, pos, limit, tags[key]!);
      if (pos < 0) return -1;
    }
    if (host !== undefined) {
      pos = writeText(buf, pos, limit, first ? '"host":' : ',"host":');
      if (pos >= 0) pos = writeJsonString(buf, pos, limit, host);
      if (pos < 0) return -1;
    }
    return writeText(buf, pos, limit, '}},');
  }
}

/**
 * The tag keys to write: own keys only. `for...in` would also visit enumerable properties of the
 * prototype chain, so a polluted Object.prototype would add tags nobody validated to every line.
 */
function ownKeys(tags: DataPoint['tags']): string[] {
  return Object.keys(tags);
}

/** JSON's number grammar (RFC 8259). */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function writeValue(
  buf: Buffer,
  pos: number,
  limit: number,
  v: DataPoint['value'],
  valueText: string | undefined,
): number {
  if (valueText !== undefined) return writeText(buf, pos, limit, valueText);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return writeInteger(buf, pos, limit, v);
  return writeText(buf, pos, limit, formatValue(v));
}

/** Decimal digits of a safe integer (sign included), without building a string. */
export function writeInteger(buf: Buffer, pos: number, limit: number, value: number): number {
  let n = value;
  if (n < 0) {
    if (pos + 1 > limit) return -1;
    buf[pos++] = 45;
    n = -n;
  }
  if (n <= 0x7fffffff) return writeSmallInteger(buf, pos, limit, n);
  let digits = 1;
  for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
  if (pos + digits > limit) return -1;
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
  if (pos + digits > limit) return -1;
  const end = pos + digits;
  for (let p = end - 1; p >= pos; p--) {
    const q = (n / 10) | 0;
    buf[p] = 48 + n - q * 10;
    n = q;
  }
  return end;
}

/** UTF-8 bytes of `text`; ASCII is copied in a plain loop, anything else by Buffer.write. */
export function writeText(buf: Buffer, pos: number, limit: number, text: string): number {
  const n = text.length;
  if (pos + n > limit) return -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return writeUtf8(buf, pos, limit, text.slice(i));
    buf[pos++] = c;
  }
  return pos;
}

function writeUtf8(buf: Buffer, pos: number, limit: number, text: string): number {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (pos + bytes > limit) return -1;
  buf.write(text, pos, bytes, 'utf8');
  return pos + bytes;
}

/** A JSON string with quotes; escaping is rare (only characters allowed through `extraChars`). */
function writeJsonString(buf: Buffer, pos: number, limit: number, text: string): number {
  const n = text.length;
  if (pos + n + 2 > limit) return -1;
  const start = pos;
  buf[pos++] = 34;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 || c === 92 || c < 0x20 || c >= 0x80)
      return writeUtf8(buf, start, limit, JSON.stringify(text));
    buf[pos++] = c;
  }
  buf[pos++] = 34;
  return pos;
}
