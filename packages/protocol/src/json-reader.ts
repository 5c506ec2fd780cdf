/**
 * A small JSON reader that hands numbers back as their source text, so that integers beyond 2^53
 * (and floats like `1.50`) reach the caller exactly as sent; `JSON.parse` would round them. It
 * follows RFC 8259 strictly, plus the non-numeric tokens OpenTSDB's Jackson parser accepts
 * (`ALLOW_NON_NUMERIC_NUMBERS`: `NaN`, `Infinity`, `+Infinity`, `-Infinity`, `+INF`, `-INF`).
 * Errors are thrown as `JsonSyntaxError`; callers turn them into values at their boundary.
 */

import { keyFromSlice } from './key-cache.js';

export class JsonSyntaxError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(message + ' at character ' + position);
    this.name = 'JsonSyntaxError';
    this.position = position;
  }
}

/** Nesting deeper than this is refused instead of risking the call stack. */
export const MAX_JSON_DEPTH = 256;

const NON_NUMERIC = ['NaN', 'Infinity', '+Infinity', '-Infinity', '+INF', '-INF'] as const;

export class JsonReader {
  readonly text: string;
  pos: number;

  constructor(text: string, pos = 0) {
    this.text = text;
    this.pos = pos;
  }

  /** Skips JSON whitespace and returns the next code unit (NaN at the end). */
  peek(): number {
    const s = this.text;
    let i = this.pos;
    let c = s.charCodeAt(i);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = s.charCodeAt(++i);
    this.pos = i;
    return c;
  }

  /** Consumes `char` (after whitespace) or throws. */
  expect(char: number): void {
    if (this.peek() !== char) throw this.error(`expected '${String.fromCharCode(char)}'`);
    this.pos++;
  }

  /** True when only whitespace is left. */
  atEnd(): boolean {
    this.peek();
    return this.pos >= this.text.length;
  }

  error(message: string): JsonSyntaxError {
    const c = this.text.charCodeAt(this.pos);
    const found = Number.isNaN(c) ? 'end of input' : JSON.stringify(this.text.charAt(this.pos));
    return new JsonSyntaxError(`${message}, found ${found}`, this.pos);
  }

  /**
   * Reads a field name or tag key (at its opening quote). Without escapes it comes from the key
   * cache, already interned, which makes it cheap to compare and to use as a property name.
   */
  readKey(): string {
    const s = this.text;
    const start = this.pos + 1;
    let low = 0;
    let high = 0;
    let ascii = true;
    for (let i = start; ; i++) {
      const c = s.charCodeAt(i);
      if (c === 34) {
        this.pos = i + 1;
        return keyFromSlice(s, start, i, low, high, ascii);
      }
      if (c === 92 || c < 32 || Number.isNaN(c)) return this.readString();
      if (c >= 128) ascii = false;
      high = (high << 7) | (low >>> 21);
      low = ((low << 7) | c) & 0xfffffff;
    }
  }

  /** Reads a string; the reader must be at its opening quote. */
  readString(): string {
    const s = this.text;
    const start = this.pos + 1;
    let i = start;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 34) {
        this.pos = i + 1;
        return s.slice(start, i);
      }
      if (c === 92 || c < 32 || Number.isNaN(c)) break;
      i++;
    }
    let out = s.slice(start, i);
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 34) {
        this.pos = i + 1;
        return out;
      }
      if (Number.isNaN(c)) {
        this.pos = i;
        throw this.error('unterminated string');
      }
      if (c < 32) {
        this.pos = i;
        throw this.error('control character in string');
      }
      if (c !== 92) {
        const next = nextSpecial(s, i);
        out += s.slice(i, next);
        i = next;
        continue;
      }
      const e = s.charCodeAt(i + 1);
      switch (e) {
        case 34:
          out += '"';
          break;
        case 92:
          out += '\\';
          break;
        case 47:
          out += '/';
          break;
        case 98:
          out += '\b';
          break;
        case 102:
          out += '\f';
          break;
        case 110:
          out += '\n';
          break;
        case 114:
          out += '\r';
          break;
        case 116:
          out += '\t';
          break;
        case 117: {
          const hex = s.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.pos = i;
            throw this.error('bad \\u escape');
          }
          out += String.fromCharCode(Number.parseInt(hex, 16));
          i += 6;
          continue;
        }
        default:
          this.pos = i;
          throw this.error('bad escape');
      }
      i += 2;
    }
  }

  /**
   * Reads a number token and returns its text unchanged. Leading zeros, a leading `+` and bare
   * dots are refused as in JSON; the non-numeric tokens are returned as spelled.
   */
  readNumberText(): string {
    const s = this.text;
    const start = this.pos;
    let i = start;
    let c = s.charCodeAt(i);
    if (c === 78 || c === 73 || c === 43 || (c === 45 && s.charCodeAt(i + 1) === 73)) {
      for (const token of NON_NUMERIC) {
        if (s.startsWith(token, i)) {
          this.pos = i + token.length;
          return token;
        }
      }
      throw this.error('unexpected token');
    }
    if (c === 45) c = s.charCodeAt(++i);
    if (c === 48) {
      c = s.charCodeAt(++i);
      if (c >= 48 && c <= 57) {
        this.pos = i;
        throw this.error('leading zeros are not allowed');
      }
    } else if (c >= 49 && c <= 57) {
      do c = s.charCodeAt(++i);
      while (c >= 48 && c <= 57);
    } else {
      this.pos = i;
      throw this.error('expected a digit');
    }
    if (c === 46) {
      c = s.charCodeAt(++i);
      if (!(c >= 48 && c <= 57)) {
        this.pos = i;
        throw this.error('expected a digit after the decimal point');
      }
      do c = s.charCodeAt(++i);
      while (c >= 48 && c <= 57);
    }
    if (c === 101 || c === 69) {
      c = s.charCodeAt(++i);
      if (c === 43 || c === 45) c = s.charCodeAt(++i);
      if (!(c >= 48 && c <= 57)) {
        this.pos = i;
        throw this.error('expected a digit in the exponent');
      }
      do c = s.charCodeAt(++i);
      while (c >= 48 && c <= 57);
    }
    this.pos = i;
    return s.slice(start, i);
  }

  /** Reads `true`, `false` or `null`. */
  readLiteral(): true | false | null {
    const s = this.text;
    if (s.startsWith('true', this.pos)) {
      this.pos += 4;
      return true;
    }
    if (s.startsWith('false', this.pos)) {
      this.pos += 5;
      return false;
    }
    if (s.startsWith('null', this.pos)) {
      this.pos += 4;
      return null;
    }
    throw this.error('unexpected token');
  }

  /** Checks and steps over any value (for fields nobody reads), with a depth limit. */
  skipValue(depth = 0): void {
    if (depth > MAX_JSON_DEPTH) throw this.error('nesting too deep');
    const c = this.peek();
    if (c === 34) {
      this.readString();
    } else if (c === 123) {
      this.pos++;
      if (this.peek() === 125) {
        this.pos++;
        return;
      }
      for (;;) {
        if (this.peek() !== 34) throw this.error('expected a field name');
        this.readString();
        this.expect(58);
        this.skipValue(depth + 1);
        const next = this.peek();
        this.pos++;
        if (next === 125) return;
        if (next !== 44) {
          this.pos--;
          throw this.error("expected ',' or '}'");
        }
      }
    } else if (c === 91) {
      this.pos++;
      if (this.peek() === 93) {
        this.pos++;
        return;
      }
      for (;;) {
        this.skipValue(depth + 1);
        const next = this.peek();
        this.pos++;
        if (next === 93) return;
        if (next !== 44) {
          this.pos--;
          throw this.error("expected ',' or ']'");
        }
      }
    } else if (c === 116 || c === 102 || c === 110) {
      this.readLiteral();
    } else {
      this.readNumberText();
    }
  }
}

function nextSpecial(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 34 || c === 92 || c < 32 || Number.isNaN(c)) return i;
    i++;
  }
}
