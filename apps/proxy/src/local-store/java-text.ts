/**
 * The few Java text behaviours OpenTSDB's replies depend on, so the local store reads query
 * strings and writes numbers exactly the way a TSD does.
 */

/**
 * Java's `String.split(regex)` for a literal one-character separator: empty strings at the end
 * are dropped, empty strings elsewhere are kept (`"a||b|"` -> `["a", "", "b"]`).
 */
export function javaSplit(text: string, separator: string): string[] {
  const parts = text.split(separator);
  let end = parts.length;
  while (end > 0 && parts[end - 1] === '') end--;
  // Java returns the whole input when nothing matched, even if it is empty.
  if (end === 0) return parts.length === 1 ? [text] : [];
  return end === parts.length ? parts : parts.slice(0, end);
}

export type JavaLongResult = { ok: true; value: bigint } | { ok: false; message: string };

const MAX_LONG = 0x7fffffffffffffffn;

/**
 * OpenTSDB's `Tags.parseLong`: optional sign then decimal digits, within signed 64 bits; the
 * messages are the `NumberFormatException` texts a TSD puts into its replies.
 */
export function parseJavaLong(s: string): JavaLongResult {
  const n = s.length;
  if (n === 0) return { ok: false, message: 'Empty string' };
  const first = s.charCodeAt(0);
  const signed = first === 43 || first === 45;
  let i = 0;
  if (signed) {
    if (n === 1) return { ok: false, message: 'Just a sign, no value: ' + s };
    if (n > 20) return { ok: false, message: 'Value too long: ' + s };
    i = 1;
  } else if (n > 19) {
    return { ok: false, message: 'Value too long: ' + s };
  }
  for (let k = i; k < n; k++) {
    const c = s.charCodeAt(k);
    if (c < 48 || c > 57) return { ok: false, message: "Invalid character '" + s.charAt(k) + "' in " + s };
  }
  const magnitude = BigInt(s.slice(i));
  if (first === 45) {
    if (magnitude > MAX_LONG + 1n) return { ok: false, message: 'Overflow in ' + s };
    return { ok: true, value: -magnitude };
  }
  if (magnitude > MAX_LONG) return { ok: false, message: 'Overflow in ' + s };
  return { ok: true, value: magnitude };
}

/**
 * Java's `Integer.parseInt` (what a TSD uses for `max`, `limit`, `back_scan`): optional sign and
 * decimal digits within 32 bits, or undefined.
 */
export function parseJavaInt(s: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const v = Number(s);
  if (v > 2147483647 || v < -2147483648) return undefined;
  return v;
}

/**
 * Java's `Double.toString`, which Jackson uses for every floating-point value in a TSD's JSON:
 * plain notation with at least one fractional digit for 1e-3 <= |d| < 1e7 (`2.0`, `0.25`),
 * computerized scientific notation otherwise (`1.0E7`, `1.5E-4`). Digits are the shortest that
 * round-trip, as in Java 19 and later (older JVMs occasionally print one more digit).
 */
export function javaDoubleToString(d: number): string {
  if (Number.isNaN(d)) return 'NaN';
  if (d === Number.POSITIVE_INFINITY) return 'Infinity';
  if (d === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(d);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(d);
    return s.includes('.') ? s : s + '.0';
  }
  const exp = d.toExponential();
  const e = exp.indexOf('e');
  let mantissa = exp.slice(0, e);
  if (!mantissa.includes('.')) mantissa += '.0';
  const power = exp.slice(e + 1);
  return mantissa + 'E' + (power.startsWith('+') ? power.slice(1) : power);
}

/**
 * A Java `long` as a TSD writes it. Values here are JavaScript numbers; beyond 2^53 they are
 * already rounded, and are written as the integer that double holds.
 */
export function javaLongToString(v: number): string {
  if (Number.isSafeInteger(v)) return String(v);
  if (!Number.isFinite(v)) return javaDoubleToString(v);
  return BigInt(Math.trunc(v)).toString();
}
