/**
 * Catchpoint writes `Summary.Timestamp` as `yyyyMMddHHmmssfff` in UTC. The NS1 bridge read it
 * with `time.mktime`, i.e. as the bridge host's local time, shifting every point by the host's
 * UTC offset; here it is UTC, always.
 */
export type TimestampResult = { ok: true; millis: number } | { ok: false; message: string };

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number `text[from..from+width)` spells; its characters are known to be ASCII digits. */
function digits(text: string, from: number, width: number): number {
  let n = 0;
  for (let i = from; i < from + width; i++) n = n * 10 + text.charCodeAt(i) - 0x30;
  return n;
}

/** Read by hand (it runs once per push): 17 ASCII digits, then a real date and time. */
export function parseCatchpointTimestamp(text: string): TimestampResult {
  let wellFormed = text.length === 17;
  for (let i = 0; wellFormed && i < 17; i++) {
    const c = text.charCodeAt(i);
    wellFormed = c >= 0x30 && c <= 0x39;
  }
  if (!wellFormed) {
    return {
      ok: false,
      message: `expected 17 digits "yyyyMMddHHmmssfff" (UTC), got ${JSON.stringify(text)}`,
    };
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 4, 2);
  const day = digits(text, 6, 2);
  const hour = digits(text, 8, 2);
  const minute = digits(text, 10, 2);
  const second = digits(text, 12, 2);
  const millis = digits(text, 14, 3);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  // OpenTSDB refuses timestamps before the epoch; Catchpoint has no data before 2008 either.
  // No 31 February either: Date.UTC would roll it over into March.
  if (
    year < 1970 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > DAYS_IN_MONTH[month - 1]! + (month === 2 && leap ? 1 : 0) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return { ok: false, message: `${JSON.stringify(text)} is not a valid UTC date and time` };
  }
  return { ok: true, millis: Date.UTC(year, month - 1, day, hour, minute, second, millis) };
}

/** The inverse, for fixtures and tests: milliseconds since the epoch -> `yyyyMMddHHmmssfff`. */
export function formatCatchpointTimestamp(millis: number): string {
  const d = new Date(millis);
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  return (
    pad(d.getUTCFullYear(), 4) +
    pad(d.getUTCMonth() + 1, 2) +
    pad(d.getUTCDate(), 2) +
    pad(d.getUTCHours(), 2) +
    pad(d.getUTCMinutes(), 2) +
    pad(d.getUTCSeconds(), 2) +
    pad(d.getUTCMilliseconds(), 3)
  );
}
