import { asciiNameTable, type ProtocolOptions, PutLineScreen } from '@otsdb/protocol';

/**
 * Turns framed put lines (`put ...\n`) into the client's /api/put JSON entries (`{...},` each)
 * without building a point per line: the line is checked as bytes by `PutLineScreen` and its
 * words are copied into the entry. It serves `writeLines()` over HTTP, where the lines come
 * from a gateway that read them off telnet connections.
 *
 * It takes only what it can write exactly as `JsonEntryWriter` writes the parsed point: a line
 * the screen accepts (plainly valid, ASCII, no repeated tag key) whose value is already a JSON
 * number (`007`, `5.` and `.5` are valid put values but not JSON). The timestamp loses its
 * leading zeros, as the number it is. For anything else `encode` answers undefined and the
 * caller parses the batch into points, which words every error as before. With protocol options
 * that allow `"`, `\` or a control character in names (extraChars) it never takes a line: those
 * need escaping.
 */
export class JsonLineEncoder {
  readonly #screen: PutLineScreen;
  readonly #usable: boolean;

  constructor(options: ProtocolOptions) {
    this.#screen = new PutLineScreen(options);
    const chars = asciiNameTable(options);
    this.#usable = chars[34] === 0 && chars[92] === 0 && chars.subarray(0, 32).every((c) => c === 0);
  }

  /**
   * The entries for `count` lines of `data` (line k ends at `ends[k]`, its newline included), in
   * order, in a fresh buffer; undefined when a line is not one this encoder writes (see the class).
   */
  encode(
    data: Uint8Array,
    ends: ArrayLike<number>,
    count: number,
  ): { data: Buffer; ends: Uint32Array } | undefined {
    if (!this.#usable) return undefined;
    const screen = this.#screen;
    const entryEnds = new Uint32Array(count);
    // An entry is its line plus 41 bytes of JSON punctuation and 4 per tag: room for about ten
    // tags a line, grown if short. The entries are handed over to the queue as they lie here.
    let out = Buffer.allocUnsafe((ends[count - 1] ?? 0) + count * 80 + 64);
    let o = 0;
    let start = 0;
    for (let k = 0; k < count; k++) {
      const end = ends[k]!;
      const lineEnd = end - 1; // the newline
      if (!screen.screen(data, start, lineEnd)) return undefined;
      const valueStart = screen.valueStart;
      const headEnd = screen.headEnd;
      if (!jsonNumber(data, valueStart, headEnd)) return undefined;
      const tags = screen.tagCount;
      const need = lineEnd - start + 48 + 4 * tags;
      if (o + need > out.length) {
        const grown = Buffer.allocUnsafe(Math.max(out.length * 2, o + need));
        out.copy(grown, 0, 0, o);
        out = grown;
      }
      o = put(out, o, METRIC);
      o = copy(out, o, data, screen.metricStart, screen.metricEnd);
      o = put(out, o, TIMESTAMP);
      let ts = screen.metricEnd + 1;
      while (data[ts] === 48) ts++; // the screen saw a timestamp above zero: a digit is left
      o = copy(out, o, data, ts, valueStart - 1);
      o = put(out, o, VALUE);
      o = copy(out, o, data, valueStart, headEnd);
      o = put(out, o, TAGS);
      const keyStarts = screen.keyStarts;
      const equals = screen.equals;
      const valueEnds = screen.valueEnds;
      for (let t = 0; t < tags; t++) {
        if (t > 0) out[o++] = 44; // ,
        out[o++] = 34;
        o = copy(out, o, data, keyStarts[t]!, equals[t]!);
        out[o++] = 34;
        out[o++] = 58; // :
        out[o++] = 34;
        o = copy(out, o, data, equals[t]! + 1, valueEnds[t]!);
        out[o++] = 34;
      }
      o = put(out, o, END);
      entryEnds[k] = o;
      start = end;
    }
    return { data: out.subarray(0, o), ends: entryEnds };
  }
}

// The fixed parts of an entry, as JsonEntryWriter writes them.
const METRIC = Buffer.from('{"metric":"');
const TIMESTAMP = Buffer.from('","timestamp":');
const VALUE = Buffer.from(',"value":');
const TAGS = Buffer.from(',"tags":{');
const END = Buffer.from('}},');

function put(out: Buffer, o: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) out[o++] = bytes[i]!;
  return o;
}

function copy(out: Buffer, o: number, src: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) out[o++] = src[i]!;
  return o;
}

/**
 * Whether `buf[start, end)`, a value the screen accepted (`[-]digits[.digits]`, a digit at
 * least), is also a JSON number: an integer part without a leading zero (but `0` itself), and
 * digits after a dot.
 */
function jsonNumber(buf: Uint8Array, start: number, end: number): boolean {
  let i = start;
  if (buf[i] === 45) i++;
  const intStart = i;
  while (i < end && buf[i] !== 46) i++;
  const intDigits = i - intStart;
  if (intDigits === 0 || (intDigits > 1 && buf[intStart] === 48)) return false;
  return i === end || end - i > 1;
}
