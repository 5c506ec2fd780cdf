import type { MetricValue } from './data-point.js';
import { parseJavaLong } from './java-long.js';

/** A value text read the way a TSD reads it, or Java's exception message. */
export type ValueTextResult =
  | { ok: true; value: MetricValue; float: boolean }
  | { ok: false; message: string; detail: string };

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

/** OpenTSDB's `Tags.looksLikeInteger`: no `.`, `e` or `E` anywhere. */
export function looksLikeInteger(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 || c === 101 || c === 69) return false;
  }
  return true;
}

/**
 * Decimal floating-point syntax: `[+-]` then `digits[.digits]` or `.digits`, then an optional
 * exponent. This is the part of Java's `Double.parseDouble` grammar that every OpenTSDB-speaking
 * target understands; Java alone also takes `1.5f`, `0x1.8p1` and surrounding blanks, which would
 * not survive being forwarded, so they are refused.
 */
export function isDecimalFloat(text: string): boolean {
  const n = text.length;
  let i = 0;
  let c = text.charCodeAt(0);
  if (c === 43 || c === 45) c = text.charCodeAt(++i);
  let digits = 0;
  while (c >= 48 && c <= 57) {
    digits++;
    c = text.charCodeAt(++i);
  }
  if (c === 46) {
    c = text.charCodeAt(++i);
    while (c >= 48 && c <= 57) {
      digits++;
      c = text.charCodeAt(++i);
    }
  }
  if (digits === 0) return false;
  if (c === 101 || c === 69) {
    c = text.charCodeAt(++i);
    if (c === 43 || c === 45) c = text.charCodeAt(++i);
    let exp = 0;
    while (c >= 48 && c <= 57) {
      exp++;
      c = text.charCodeAt(++i);
    }
    if (exp === 0) return false;
  }
  return i === n;
}

/** An exact integer as the model carries it: a number when safe, a bigint beyond 2^53. */
export function integerValue(v: bigint): MetricValue {
  return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v;
}

/**
 * Reads a value text with OpenTSDB's rules: text that looks like an integer must be a signed
 * 64-bit integer (`Tags.parseLong`), anything else must be a decimal float. The float may still be
 * infinite (`1e999`); the caller rejects that with the metric and timestamp in the message.
 */
export function parseValueText(text: string): ValueTextResult {
  if (looksLikeInteger(text)) {
    const r = parseJavaLong(text);
    if (r.ok) return { ok: true, value: integerValue(r.value), float: false };
    const nonFinite = /^[+-]?(?:NaN|Infinity|INF)$/i.test(text);
    return {
      ok: false,
      message: r.message,
      detail: nonFinite
        ? `value ${JSON.stringify(text)} is not a finite number; OpenTSDB stores only finite values`
        : `value ${JSON.stringify(text)} has no "." or exponent, so it must be a signed 64-bit integer`,
    };
  }
  if (!isDecimalFloat(text)) {
    return {
      ok: false,
      message: 'For input string: "' + text + '"',
      detail: `value ${JSON.stringify(text)} is not a decimal number such as 42, -0.5, .5 or 1e3`,
    };
  }
  return { ok: true, value: Number(text), float: true };
}

/** Java's `Float.toString`/`Double.toString` for the non-finite values in OpenTSDB's message. */
export function javaNonFiniteString(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? 'Infinity' : '-Infinity';
}

/**
 * A value as OpenTSDB parses it back to the same thing: integers as digits (bigint exactly),
 * floats in JavaScript's shortest round-trip form. An integral number beyond 2^53 is a float in
 * this model (exact integers that large are bigints), so it is written with an exponent: its digits
 * could otherwise exceed 64 bits and a TSD would refuse them.
 */
export function formatValue(value: MetricValue): string {
  if (typeof value === 'bigint') return value.toString();
  if (Number.isInteger(value) && (value > Number.MAX_SAFE_INTEGER || value < -Number.MAX_SAFE_INTEGER)) {
    return value.toExponential();
  }
  return String(value);
}

/**
 * The bytes OpenTSDB would store for a value, as `Arrays.toString(bytes) + '/' + flags` in its
 * "bad timestamp" message: the narrowest big-endian integer, or a 4-byte float when the double
 * survives the float round trip, else an 8-byte double.
 */
export function javaValueBytes(value: MetricValue, float: boolean): string {
  const view = new DataView(new ArrayBuffer(8));
  let width: number;
  let flags: number;
  if (!float) {
    const v = typeof value === 'bigint' ? value : BigInt(value);
    width =
      v >= -128n && v <= 127n
        ? 1
        : v >= -32768n && v <= 32767n
          ? 2
          : v >= -(2n ** 31n) && v < 2n ** 31n
            ? 4
            : 8;
    view.setBigInt64(0, v);
    flags = width - 1;
  } else {
    const d = Number(value);
    if (Math.fround(d) === d) {
      view.setFloat32(4, d);
      width = 4;
      flags = 0x8 | 0x3;
    } else {
      view.setFloat64(0, d);
      width = 8;
      flags = 0x8 | 0x7;
    }
  }
  const bytes: number[] = [];
  for (let i = 8 - width; i < 8; i++) bytes.push(view.getInt8(i));
  return '[' + bytes.join(', ') + ']/' + flags;
}
