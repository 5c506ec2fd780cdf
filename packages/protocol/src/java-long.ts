/** Outcome of OpenTSDB's `Tags.parseLong`: the exact value, or Java's exception message. */
export type JavaLongResult = { ok: true; value: bigint } | { ok: false; message: string };

const MAX_LONG = 0x7fffffffffffffffn;

/**
 * OpenTSDB's `Tags.parseLong`, rule for rule: an optional sign, then decimal digits only; more
 * than 19 characters (20 with a sign) is "too long" even with leading zeros; anything outside
 * signed 64-bit overflows. Messages are the `NumberFormatException` texts a TSD sends back.
 */
export function parseJavaLong(s: string): JavaLongResult {
  const n = s.length;
  if (n === 0) return { ok: false, message: 'Empty string' };
  let i = 0;
  const first = s.charCodeAt(0);
  const signed = first === 43 || first === 45;
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
