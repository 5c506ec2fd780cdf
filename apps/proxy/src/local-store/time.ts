import { type ApiError, badRequest } from './api-error.js';
import { parseJavaLong } from './java-text.js';

export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  n: 2_592_000_000, // OpenTSDB's month: 30 days
  y: 31_536_000_000, // OpenTSDB's year: 365 days
};

const MAX_LONG = 2 ** 63; // Long.MAX_VALUE as a double

/**
 * `DateTime.parseDuration`, rule for rule: leading digits, then the unit is taken from the LAST
 * character (`ms` when it ends in "ms"); units s m h d w n(30 d) y(365 d). The messages are the
 * ones a TSD sends back.
 */
export function parseDuration(duration: string): DurationResult {
  if (duration.length === 0) return { ok: false, message: 'Cannot parse null or empty duration' };
  let unit = 0;
  while (isDigit(duration.charCodeAt(unit))) {
    unit++;
    if (unit >= duration.length) {
      return { ok: false, message: 'Invalid duration, must have an integer and unit: ' + duration };
    }
  }
  const digits = duration.slice(0, unit);
  const parsed = digits.length > 0 && digits.length <= 19 ? BigInt(digits) : undefined;
  if (parsed === undefined || parsed > 9223372036854775807n) {
    return { ok: false, message: 'Invalid duration (number): ' + duration };
  }
  const interval = Number(parsed);
  if (interval <= 0) return { ok: false, message: 'Zero or negative duration: ' + duration };
  const last = duration.charAt(duration.length - 1).toLowerCase();
  if (last === 's' && duration.charAt(duration.length - 2) === 'm') return { ok: true, ms: interval };
  const multiplier = UNIT_MS[last];
  if (multiplier === undefined) return { ok: false, message: 'Invalid duration (suffix): ' + duration };
  const ms = interval * multiplier;
  if (ms > MAX_LONG) return { ok: false, message: 'Duration must be < Long.MAX_VALUE ms: ' + duration };
  return { ok: true, ms };
}

export type TimeResult = { ok: true; ms: number } | { ok: false; error: ApiError };

/**
 * `DateTime.parseDateTimeString`: `<n>ms`, `now`, `<duration>-ago`, `yyyy/MM/dd[-| ]HH:mm[:ss]`
 * (in `timezone`, UTC by default), or a Unix timestamp — seconds when it has at most 10
 * characters, milliseconds otherwise, `sssssssssss.mmm` accepted.
 */
export function parseDateTime(text: string, now: number, timezone?: string): TimeResult {
  if (/^[0-9]+ms$/.test(text)) {
    const r = parseJavaLong(text.slice(0, -2));
    if (!r.ok) return invalid('Invalid time: ' + text + '. ' + r.message);
    return { ok: true, ms: Number(r.value) };
  }
  const lower = text.toLowerCase();
  if (lower === 'now') return { ok: true, ms: now };
  if (lower.endsWith('-ago')) {
    const d = parseDuration(text.slice(0, -4));
    if (!d.ok) return invalid(d.message);
    return { ok: true, ms: now - d.ms };
  }
  if (text.includes('/') || text.includes(':')) return parseAbsoluteDate(text, timezone);
  const dotted = text.includes('.');
  let digits = text;
  if (dotted) {
    if (!/^[0-9]{10}\.[0-9]{1,3}$/.test(text)) {
      return invalid(
        'Invalid time: ' +
          text +
          '. Millisecond timestamps must be in the format <seconds>.<ms> where the milliseconds are limited to 3 digits',
      );
    }
    // A TSD simply drops the dot, so "1234567890.5" reads as 12345678905 ms; kept for fidelity.
    digits = text.replace('.', '');
  }
  const r = parseJavaLong(digits);
  if (!r.ok) return invalid('Invalid time: ' + text + '. ' + r.message);
  let time = Number(r.value);
  if (time < 0) return invalid('Invalid time: ' + text + '. Negative timestamps are not supported.');
  if (text.length <= 10) time *= 1000;
  return { ok: true, ms: time };
}

const ABSOLUTE_FORMATS: Record<number, RegExp[]> = {
  10: [/^(\d{4})\/(\d{2})\/(\d{2})$/],
  16: [/^(\d{4})\/(\d{2})\/(\d{2})-(\d{2}):(\d{2})$/, /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2})$/],
  19: [
    /^(\d{4})\/(\d{2})\/(\d{2})-(\d{2}):(\d{2}):(\d{2})$/,
    /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})$/,
  ],
};

function parseAbsoluteDate(text: string, timezone: string | undefined): TimeResult {
  const formats = ABSOLUTE_FORMATS[text.length];
  if (formats === undefined) return invalid('Invalid absolute date: ' + text);
  let m: RegExpExecArray | null = null;
  for (const f of formats) {
    m = f.exec(text);
    if (m !== null) break;
  }
  if (m === null) return invalid('Invalid date: ' + text + '. Unparseable date: "' + text + '"');
  const [, y, mo, d, h, mi, s] = m;
  // Date.UTC rolls over out-of-range fields (month 13, day 32) like Java's lenient parser.
  const wall = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h ?? 0),
    Number(mi ?? 0),
    Number(s ?? 0),
  );
  if (timezone === undefined || timezone === '' || timezone === 'UTC') return { ok: true, ms: wall };
  const offset = zoneOffsetAt(wall, timezone);
  if (offset === undefined) return invalid('Invalid timezone name: ' + timezone);
  // The offset at the instant depends on the instant itself (DST); two passes settle it.
  const first = wall - offset;
  const second = zoneOffsetAt(first, timezone) ?? offset;
  return { ok: true, ms: wall - second };
}

const zoneFormats = new Map<string, Intl.DateTimeFormat | null>();

/** The zone's offset from UTC at an instant, in ms, or undefined for an unknown zone name. */
function zoneOffsetAt(instant: number, timezone: string): number | undefined {
  let fmt = zoneFormats.get(timezone);
  if (fmt === undefined) {
    try {
      fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      fmt = null;
    }
    if (zoneFormats.size < 1000) zoneFormats.set(timezone, fmt);
  }
  if (fmt === null) return undefined;
  const parts: Record<string, number> = {};
  for (const p of fmt.formatToParts(new Date(instant))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return asUtc - (instant - (instant % 1000));
}

function invalid(message: string): TimeResult {
  return { ok: false, error: badRequest(message) };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
