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

// OpenTSDB's `Tags.parseLong` lives in the protocol package; the store's parsers use that one.
export { type JavaLongResult, parseJavaLong } from '@otsdb/protocol';

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
