import { type ProtocolOptions, resolveOptions } from './options.js';
import { MAX_MILLIS } from './timestamp.js';

/** More tags than this go to the full parser (room for a gateway's credential tags and more). */
const MAX_SCREENED_TAGS = 64;

/**
 * Checks put lines as bytes, without building a point: for gateways that forward the line they
 * received (credentials cut out) instead of parsing it into objects and printing it again.
 *
 * `screen()` answers true only for a line that is plainly valid under OpenTSDB's rules and these
 * options, in the one form every TSD reads the same way: ASCII, words separated by single spaces,
 * no trailing blank, a timestamp of 1 to 13 digits, a value that is an integer of at most 18 digits
 * or a decimal of at most 15 digits without exponent, tag keys that appear once. Everything else
 * (an error, but also a valid line in an unusual form) gets false: the caller then parses the
 * line with `parsePutLine`, which words the error or accepts it. Property tests hold the screen to
 * that: whatever it accepts, `parsePutLine` accepts with the same metric, timestamp, value and tags.
 *
 * After a true answer the fields describe the line (offsets into the buffer): the metric, where
 * the value starts and where the `put <metric> <timestamp> <value>` head ends, and each tag's key start, `=` and value end,
 * in arrival order. They are overwritten by the next call; one instance serves one caller.
 * Tag counts are checked against `maxTags`; a caller that strips tags of its own (credentials)
 * passes a larger `maxTags` and counts what is left.
 */
export class PutLineScreen {
  metricStart = 0;
  metricEnd = 0;
  /** Start of the value (the timestamp lies between `metricEnd + 1` and `valueStart - 1`). */
  valueStart = 0;
  /** End of the value, that is of `put <metric> <timestamp> <value>`. */
  headEnd = 0;
  tagCount = 0;
  readonly keyStarts = new Int32Array(MAX_SCREENED_TAGS);
  /** Offset of each tag's `=`: the key ends and the value starts after it. */
  readonly equals = new Int32Array(MAX_SCREENED_TAGS);
  readonly valueEnds = new Int32Array(MAX_SCREENED_TAGS);
  readonly #metricScan: Uint8Array;
  readonly #tagScan: Uint8Array;
  readonly #maxTags: number;
  readonly #tagsOptional: boolean;

  constructor(options?: ProtocolOptions) {
    const opts = resolveOptions(options);
    // 256 entries (non-ASCII bytes 0): one lookup per byte, no range test.
    this.#metricScan = new Uint8Array(256);
    this.#metricScan.set(opts.metricScan.subarray(0, 256));
    this.#tagScan = new Uint8Array(256);
    this.#tagScan.set(opts.tagScan.subarray(0, 256));
    this.#maxTags = Math.min(opts.maxTags, MAX_SCREENED_TAGS);
    this.#tagsOptional = opts.tagsOptional;
  }

  /** Whether `buf[start, end)` (no line terminator) is a plainly valid put line; see the class. */
  screen(buf: Uint8Array, start: number, end: number): boolean {
    if (
      end - start < 9 ||
      buf[start] !== 112 || // p
      buf[start + 1] !== 117 || // u
      buf[start + 2] !== 116 || // t
      buf[start + 3] !== 32
    ) {
      return false;
    }
    const metricScan = this.#metricScan;
    const tagScan = this.#tagScan;
    let i = start + 4;
    let c = 0;

    // Metric: allowed ASCII up to a single space.
    const metricStart = i;
    this.metricStart = i;
    for (; i < end; i++) {
      c = buf[i]!;
      if (metricScan[c] === 0) break;
    }
    if (c !== 32 || i === metricStart) return false;
    this.metricEnd = i;
    i++;

    // Timestamp: 1 to 13 digits, above zero, at most MAX_MILLIS.
    const tsStart = i;
    let timestamp = 0;
    for (; i < end; i++) {
      c = buf[i]! - 48;
      if (c < 0 || c > 9) break;
      timestamp = timestamp * 10 + c;
    }
    const tsDigits = i - tsStart;
    if (tsDigits === 0 || tsDigits > 13 || timestamp <= 0 || timestamp > MAX_MILLIS) return false;
    if (i >= end || buf[i] !== 32) return false;
    i++;
    this.valueStart = i;

    // Value: [-] digits (at most 18: always a Java long), or [-] digits . digits with at most
    // 15 digits in all (always a finite float). Exponents and longer numbers: the parser.
    if (buf[i] === 45) i++;
    let digits = 0;
    for (; i < end; i++) {
      c = buf[i]! - 48;
      if (c < 0 || c > 9) break;
      digits++;
    }
    if (i < end && buf[i] === 46) {
      i++;
      for (; i < end; i++) {
        c = buf[i]! - 48;
        if (c < 0 || c > 9) break;
        digits++;
      }
      if (digits === 0 || digits > 15) return false;
    } else if (digits === 0 || digits > 18) {
      return false;
    }
    this.headEnd = i;

    // Tags: ` key=value` repeated, single spaces, nothing after the last.
    const keyStarts = this.keyStarts;
    const equals = this.equals;
    const valueEnds = this.valueEnds;
    const maxTags = this.#maxTags;
    let count = 0;
    while (i < end) {
      if (buf[i] !== 32) return false;
      i++;
      const keyStart = i;
      for (; i < end; i++) {
        c = buf[i]!;
        if (tagScan[c] === 0) break;
      }
      if (c !== 61 || i === keyStart || i >= end) return false;
      const eq = i;
      i++;
      const valueStart = i;
      for (; i < end; i++) {
        c = buf[i]!;
        if (tagScan[c] === 0) break;
      }
      if (i === valueStart || (i < end && c !== 32)) return false;
      if (count === maxTags) return false;
      // A key seen before (even with the same value) is left to the parser.
      const keyLength = eq - keyStart;
      for (let k = 0; k < count; k++) {
        const other = keyStarts[k]!;
        if (equals[k]! - other !== keyLength) continue;
        let j = 0;
        while (j < keyLength && buf[other + j] === buf[keyStart + j]) j++;
        if (j === keyLength) return false;
      }
      keyStarts[count] = keyStart;
      equals[count] = eq;
      valueEnds[count] = i;
      count++;
    }
    if (count === 0 && !this.#tagsOptional) return false;
    this.tagCount = count;
    return true;
  }
}
