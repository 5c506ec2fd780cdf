/**
 * OpenTSDB accepts in metric names, tag keys and tag values only ASCII letters and digits,
 * `-`, `_`, `.`, `/`, any character Java's `Character.isLetter` accepts (one UTF-16 unit, so
 * only letters of the Basic Multilingual Plane), and the characters a TSD was configured to
 * allow (`tsd.core.tag.allow_specialchars`). Everything Catchpoint sends us (city names with
 * commas and spaces, ISP names with parentheses, JSON keys) is brought into that set here.
 */

const LETTER = /\p{L}/u;

function isAllowed(char: string, code: number, extraChars: string): boolean {
  if (code < 0x80) {
    return (
      (code >= 0x61 && code <= 0x7a) || // a-z
      (code >= 0x41 && code <= 0x5a) || // A-Z
      (code >= 0x30 && code <= 0x39) || // 0-9
      code === 0x2d || // -
      code === 0x5f || // _
      code === 0x2e || // .
      code === 0x2f || // /
      (extraChars.length > 0 && extraChars.includes(char))
    );
  }
  if (code > 0xffff) return extraChars.length > 0 && extraChars.includes(char);
  return LETTER.test(char) || (extraChars.length > 0 && extraChars.includes(char));
}

/**
 * A tag value in OpenTSDB's character set: every run of disallowed characters (spaces,
 * commas, parentheses...) becomes one `_`, leading and trailing `_` are dropped, and the
 * result is cut to `maxLength` characters. Returns `''` when nothing usable is left; callers
 * must then leave the tag out or use their placeholder, never send an empty value.
 */
export function sanitizeTagValue(raw: string, extraChars = '', maxLength = 256): string {
  let out = '';
  let pendingUnderscore = false;
  for (const char of raw) {
    const code = char.codePointAt(0)!;
    if (isAllowed(char, code, extraChars)) {
      if (pendingUnderscore && out.length > 0) out += '_';
      pendingUnderscore = false;
      out += char;
    } else {
      pendingUnderscore = true;
    }
    if (out.length >= maxLength) break;
  }
  if (out.length > maxLength) out = out.slice(0, maxLength);
  // A value made only of separators (`_`, `.`) carries no meaning; drop edge underscores.
  let start = 0;
  let end = out.length;
  while (start < end && out.charCodeAt(start) === 0x5f) start++;
  while (end > start && out.charCodeAt(end - 1) === 0x5f) end--;
  return out.slice(start, end);
}

/**
 * A metric-name segment from a Catchpoint JSON key: `DocumentComplete` -> `document_complete`,
 * `DNSError` -> `dns_error`, `RoundTripTimeAvg` -> `round_trip_time_avg`, `Ssl` -> `ssl`.
 * Only `[a-z0-9_]` survive so the segment can never inject a `.` or any disallowed character.
 */
export function snakeCase(key: string): string {
  let out = '';
  const n = key.length;
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    const isUpper = c >= 0x41 && c <= 0x5a;
    const isLower = c >= 0x61 && c <= 0x7a;
    const isDigit = c >= 0x30 && c <= 0x39;
    if (isUpper) {
      const prev = i > 0 ? key.charCodeAt(i - 1) : 0;
      const next = i + 1 < n ? key.charCodeAt(i + 1) : 0;
      const prevLowerOrDigit = (prev >= 0x61 && prev <= 0x7a) || (prev >= 0x30 && prev <= 0x39);
      const prevUpper = prev >= 0x41 && prev <= 0x5a;
      const nextLower = next >= 0x61 && next <= 0x7a;
      // Word boundary before an upper-case letter that follows a lower-case letter or digit,
      // or that starts a new word after an acronym (the `E` of `DNSError`).
      if (out.length > 0 && !out.endsWith('_') && (prevLowerOrDigit || (prevUpper && nextLower))) out += '_';
      out += String.fromCharCode(c + 32);
    } else if (isLower || isDigit) {
      out += key[i];
    } else if (out.length > 0 && !out.endsWith('_')) {
      out += '_';
    }
  }
  while (out.endsWith('_')) out = out.slice(0, -1);
  return out;
}
