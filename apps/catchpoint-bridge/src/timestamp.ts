/**
 * Catchpoint writes `Summary.Timestamp` as `yyyyMMddHHmmssfff` in UTC. The NS1 bridge read it
 * with `time.mktime`, i.e. as the bridge host's local time, shifting every point by the host's
 * UTC offset; here it is UTC, always.
 */
export type TimestampResult = { ok: true; millis: number } | { ok: false; message: string };

const PATTERN = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})$/;

export function parseCatchpointTimestamp(text: string): TimestampResult {
  const m = PATTERN.exec(text);
  if (m === null) {
    return {
      ok: false,
      message: `expected 17 digits "yyyyMMddHHmmssfff" (UTC), got ${JSON.stringify(text)}`,
    };
  }
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  const millis = Number(m[7]);
  // OpenTSDB refuses timestamps before the epoch; Catchpoint has no data before 2008 either.
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) {
    return { ok: false, message: `${JSON.stringify(text)} is not a valid UTC date and time` };
  }
  const value = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls 31 February over into March; a round trip catches impossible days.
  const check = new Date(value);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) {
    return { ok: false, message: `${JSON.stringify(text)} is not a valid UTC date and time` };
  }
  return { ok: true, millis: value };
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
