import { isAllowedNonAscii } from './charset.js';
import type { DataPoint, MetricValue } from './data-point.js';
import { type PointResult, printable } from './errors.js';
import { keyFromSlice, keyHash } from './key-cache.js';
import { type ProtocolOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { applyPutRules, splitCollectorWords, splitWords } from './put-line-rules.js';
import { tagsFromSlices } from './tags.js';
import { MAX_MILLIS } from './timestamp.js';
import { integerValue } from './value.js';

const MAX_LONG = 2n ** 63n - 1n;
const MIN_LONG = -(2n ** 63n);

/*
 * Two readers, one answer. The scanner below handles the common, plainly valid line in one pass
 * over its characters (no regex, no split, no intermediate arrays). The moment a line is anything
 * else it gives up and put-line-rules.ts reads the line the way OpenTSDB does, rule by rule, to
 * produce a TSD's exact error (or to accept the unusual but valid line). Property tests check that
 * the scanner never accepts what the rules refuse, and that both build the same point.
 */

/**
 * Parses a telnet `put <metric> <timestamp> <value> <tagk=tagv> ...` line with OpenTSDB 2.x's
 * rules. Words are separated by single spaces; extra spaces among the tags and at the end are
 * ignored, as by a TSD. A trailing `\r` (CRLF) or `\n` is ignored. Never throws on bad input.
 */
export function parsePutLine(line: string, options?: ProtocolOptions): PointResult {
  const opts = resolveOptions(options);
  if (typeof line !== 'string') return notAString(line);
  let end = line.length;
  if (end > 0 && line.charCodeAt(end - 1) === 10) end--;
  if (end > 0 && line.charCodeAt(end - 1) === 13) end--;
  if (
    end > 4 &&
    line.charCodeAt(0) === 112 && // p
    line.charCodeAt(1) === 117 && // u
    line.charCodeAt(2) === 116 && // t
    line.charCodeAt(3) === 32
  ) {
    const point = scan(line, 4, end, opts, false);
    if (point !== undefined) return { ok: true, point };
  }
  const words = splitWords(end === line.length ? line : line.slice(0, end));
  if (words[0] !== 'put') {
    return {
      ok: false,
      error: {
        code: 'invalid_line',
        message: 'Unrecognized command: ' + words[0],
        value: words[0]!,
        detail: `a put line starts with "put", this one with ${JSON.stringify(words[0])}`,
      },
    };
  }
  return applyPutRules(words, opts);
}

/**
 * Parses a line as collectors print it, `<metric> <timestamp> <value> <tagk=tagv> ...`, after
 * tcollector's normalisation (runs of blanks are one separator; leading and trailing blanks are
 * ignored), then OpenTSDB's rules exactly as for `put` lines.
 */
export function parseCollectorLine(line: string, options?: ProtocolOptions): PointResult {
  const opts = resolveOptions(options);
  if (typeof line !== 'string') return notAString(line);
  const point = scan(line, 0, line.length, opts, true);
  if (point !== undefined) return { ok: true, point };
  const words = splitCollectorWords(line);
  words.unshift('put');
  return applyPutRules(words, opts);
}

function notAString(line: unknown): PointResult {
  return {
    ok: false,
    error: {
      code: 'invalid_line',
      message: 'not enough arguments (need least 4, got 0)',
      value: printable(line),
      detail: `a line must be a string, got ${typeof line}`,
    },
  };
}

/** More tags than any sane line has: such lines are left to the rules. */
const MAX_SCANNED_TAGS = 256;

// Scratch space for one line's tags in arrival order: interned keys, and where each value lies in
// the line (values are sliced only into the tags object). Parsing is synchronous and never
// re-entered, so sharing it avoids allocations per line.
const keys: string[] = [];
const valueStarts = new Int32Array(MAX_SCANNED_TAGS);
const valueEnds = new Int32Array(MAX_SCANNED_TAGS);

// Lines from one source name their tags in the same order every time (`host dc cpu ...`). The
// sorted order of each key sequence seen recently is remembered, so most lines are ordered by
// comparing interned keys by identity instead of sorting strings. Bounded: 64 slots.
interface OrderEntry {
  keys: string[];
  order: number[];
}
const ORDER_SLOTS = 63;
const orderCache: Array<OrderEntry | undefined> = new Array<OrderEntry | undefined>(ORDER_SLOTS + 1);

/**
 * Indices of `keys[0..count)` in ascending key order, duplicates with the same value dropped, or
 * undefined when a key repeats with another value (the rules report that). Kept small so the
 * engine inlines it into the scanner; the sorting is in `sortOrder`.
 */
function sortedOrder(line: string, count: number, signature: number): number[] | undefined {
  const slot = (signature ^ count) & ORDER_SLOTS;
  const cached = orderCache[slot];
  if (cached === undefined) return sortOrder(line, count, slot);
  const cachedKeys = cached.keys;
  if (cachedKeys.length !== count) return sortOrder(line, count, slot);
  for (let k = 0; k < count; k++) if (cachedKeys[k] !== keys[k]) return sortOrder(line, count, slot);
  return cached.order;
}

/** `sortedOrder` for a key sequence not in the cache: sorts, and remembers it in `slot`. */
function sortOrder(line: string, count: number, slot: number): number[] | undefined {
  const order: number[] = [];
  let duplicates = false;
  for (let k = 0; k < count; k++) {
    const key = keys[k]!;
    let at = order.length;
    let duplicate = false;
    for (let j = 0; j < order.length; j++) {
      const existing = keys[order[j]!]!;
      if (existing === key) {
        if (!sameValue(line, order[j]!, k)) return undefined;
        duplicate = true;
        break;
      }
      if (key < existing && at === order.length) at = j;
    }
    if (duplicate) {
      duplicates = true;
      continue;
    }
    order.splice(at, 0, k);
  }
  // A sequence with a repeated key is not remembered: next time its values may differ.
  if (!duplicates) orderCache[slot] = { keys: keys.slice(0, count), order };
  return order;
}

/** Whether the values of scanned tags `a` and `b` are the same text. */
function sameValue(line: string, a: number, b: number): boolean {
  const length = valueEnds[a]! - valueStarts[a]!;
  if (valueEnds[b]! - valueStarts[b]! !== length) return false;
  return line.startsWith(line.slice(valueStarts[a], valueEnds[a]), valueStarts[b]);
}

// Powers of ten that are exact doubles: digits / 10^k is then correctly rounded (Clinger's fast path).
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/*
 * A blank ends a word: a space, and in collector lines (`loose`) also tabs, CR, LF, VT and FF.
 * The scanner spells the test out as `c === 32 || (loose && isLooseBlank(c))` at each use instead
 * of calling a two-argument helper: with the helper the engine ran out of inlining budget for the
 * scanner and called it at some sites, which cost about 8% of parsing a put line.
 */
function isLooseBlank(c: number): boolean {
  return c === 32 || (c <= 13 && c >= 9);
}

/**
 * The fast path: a point when the line is plainly valid, undefined to defer to the rules.
 * Exported for tests only (not from the package index).
 */
export function scan(
  s: string,
  i: number,
  end: number,
  opts: ResolvedOptions,
  loose: boolean,
): DataPoint | undefined {
  const metricScan = opts.metricScan;
  const tagScan = opts.tagScan;
  let c = 0;
  if (loose) {
    while (i < end && isLooseBlank(s.charCodeAt(i))) i++;
    while (end > i && isLooseBlank(s.charCodeAt(end - 1))) end--;
  }

  // Metric.
  const metricStart = i;
  for (; i < end; i++) {
    c = s.charCodeAt(i);
    if (metricScan[c] === 0) {
      if (c < 128) {
        if (c === 32 || (loose && isLooseBlank(c))) break;
        return undefined;
      }
      if (!isAllowedNonAscii(c, opts)) return undefined;
    }
  }
  if (i === metricStart || i >= end) return undefined;
  const metric = s.slice(metricStart, i);
  i++;
  if (loose) while (i < end && isLooseBlank(s.charCodeAt(i))) i++;

  // Timestamp: up to 13 digits, or seconds.mmm.
  const tsStart = i;
  let timestamp = 0;
  for (; i < end; i++) {
    c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    timestamp = timestamp * 10 + c;
  }
  let digits = i - tsStart;
  if (digits === 0 || digits > 13) return undefined;
  if (i < end && s.charCodeAt(i) === 46) {
    if (i + 4 > end) return undefined;
    for (let k = 1; k <= 3; k++) {
      c = s.charCodeAt(i + k) - 48;
      if (c < 0 || c > 9) return undefined;
      timestamp = timestamp * 10 + c;
    }
    digits += 3;
    i += 4;
    if (digits > 16) return undefined;
  }
  if (timestamp <= 0 || timestamp > MAX_MILLIS) return undefined;
  if (i >= end) return undefined;
  c = s.charCodeAt(i);
  if (c !== 32 && !(loose && isLooseBlank(c))) return undefined;
  i++;
  if (loose) while (i < end && isLooseBlank(s.charCodeAt(i))) i++;

  // Value: OpenTSDB reads text without '.', 'e' or 'E' as a 64-bit integer, the rest as a float.
  const valueStart = i;
  let value: MetricValue;
  let negative = false;
  c = s.charCodeAt(i);
  if (c === 45) {
    negative = true;
    i++;
  }
  const intStart = i;
  let int = 0;
  for (; i < end; i++) {
    c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    int = int * 10 + c;
  }
  let intDigits = i - intStart;
  c = s.charCodeAt(i); // read even when i === end: the test below then ignores it
  if (i === end || c === 32 || (loose && isLooseBlank(c))) {
    if (intDigits === 0) return undefined;
    if (intDigits <= 15) {
      value = negative ? 0 - int : int;
    } else if (intDigits <= 19) {
      const big = BigInt(s.slice(valueStart, i));
      if (big > MAX_LONG || big < MIN_LONG) return undefined; // the rules word the overflow
      value = integerValue(big);
    } else {
      return undefined;
    }
  } else {
    // Decimal float: digits [. digits] [e [+-] digits], at least one mantissa digit.
    c = s.charCodeAt(i);
    let fracDigits = 0;
    if (c === 46) {
      i++;
      const fracStart = i;
      for (; i < end; i++) {
        c = s.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        int = int * 10 + c;
      }
      fracDigits = i - fracStart;
      intDigits += fracDigits;
    }
    if (intDigits === 0) return undefined;
    let exponent = false;
    if (i < end) {
      c = s.charCodeAt(i);
      if (c === 101 || c === 69) {
        exponent = true;
        i++;
        c = s.charCodeAt(i);
        if (c === 43 || c === 45) i++;
        const expStart = i;
        for (; i < end; i++) {
          c = s.charCodeAt(i);
          if (c < 48 || c > 57) break;
        }
        if (i === expStart) return undefined;
      }
    }
    if (i < end) {
      c = s.charCodeAt(i);
      if (c !== 32 && !(loose && isLooseBlank(c))) return undefined;
    }
    if (!exponent && intDigits <= 15) {
      const magnitude = int / POW10[fracDigits]!;
      value = negative ? -magnitude : magnitude;
    } else {
      value = Number(s.slice(valueStart, i));
      if (value - value !== 0) return undefined; // Infinity: the rules word the error.
    }
  }
  const valueText = s.slice(valueStart, i);

  // Tags, in arrival order first; sorted below.
  let count = 0;
  let signature = 0;
  while (i < end) {
    c = s.charCodeAt(i);
    if (c === 32 || (loose && isLooseBlank(c))) {
      i++;
      continue;
    }
    const keyStart = i;
    let low = 0;
    let high = 0;
    let ascii = true;
    for (; i < end; i++) {
      c = s.charCodeAt(i);
      if (tagScan[c] === 0) {
        if (c < 128) {
          if (c === 61) break;
          return undefined;
        }
        if (!isAllowedNonAscii(c, opts)) return undefined;
        ascii = false;
      }
      high = (high << 7) | (low >>> 21);
      low = ((low << 7) | c) & 0xfffffff;
    }
    if (i === keyStart || i >= end) return undefined;
    const key = keyFromSlice(s, keyStart, i, low, high, ascii);
    signature = (Math.imul(signature, 0x01000193) ^ keyHash(low, high)) | 0;
    i++;
    const tagValueStart = i;
    for (; i < end; i++) {
      c = s.charCodeAt(i);
      if (tagScan[c] === 0) {
        if (c < 128) {
          if (c === 32 || (loose && isLooseBlank(c))) break;
          return undefined;
        }
        if (!isAllowedNonAscii(c, opts)) return undefined;
      }
    }
    if (i === tagValueStart) return undefined;
    if (count === MAX_SCANNED_TAGS) return undefined;
    keys[count] = key;
    valueStarts[count] = tagValueStart;
    valueEnds[count] = i;
    count++;
  }

  const order = sortedOrder(s, count, signature);
  if (order === undefined) return undefined;
  const n = order.length;
  if (n > opts.maxTags || (n === 0 && !opts.tagsOptional)) return undefined;
  const tags = tagsFromSlices(s, keys, valueStarts, valueEnds, order, n);
  return { metric, timestamp, value, tags, valueText };
}
