import type { ResolvedOptions } from './options.js';

// Java's Character.isLetter(char) for every UTF-16 code unit, as a bitset. Java looks at single
// code units, so surrogates (and with them every character outside the BMP) are not letters.
// Built on first use of a non-ASCII character (about 5 ms), never for ASCII-only traffic.
let letters: Uint8Array | undefined;

function buildLetters(): Uint8Array {
  const bits = new Uint8Array(8192);
  const letter = /\p{L}/u;
  for (let c = 128; c < 0x10000; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    if (letter.test(String.fromCharCode(c))) bits[c >> 3]! |= 1 << (c & 7);
  }
  return bits;
}

/** Java `Character.isLetter` on one UTF-16 code unit (Unicode data of this JavaScript engine). */
export function isLetterCodeUnit(c: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  if (letters === undefined) letters = buildLetters();
  return (letters[c >> 3]! & (1 << (c & 7))) !== 0;
}

/** Whether a non-ASCII code unit may appear in a metric, tag key or tag value. */
export function isAllowedNonAscii(c: number, opts: ResolvedOptions): boolean {
  return (
    isLetterCodeUnit(c) || (opts.extraChars !== '' && opts.extraChars.indexOf(String.fromCharCode(c)) >= 0)
  );
}

/** Index of the first code unit OpenTSDB's `Tags.validateString` refuses, or -1. */
export function firstIllegalChar(s: string, opts: ResolvedOptions): number {
  const ascii = opts.ascii;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 ? ascii[c] === 0 : !isAllowedNonAscii(c, opts)) return i;
  }
  return -1;
}

/**
 * OpenTSDB's `Tags.validateString(what, s)`: its exact message for a null, empty or badly
 * spelled name, or undefined when `s` is fine.
 */
export function validateStringMessage(
  what: string,
  s: string | null,
  opts: ResolvedOptions,
): string | undefined {
  if (s === null) return 'Invalid ' + what + ': null';
  if (s === '') return 'Invalid ' + what + ': empty string';
  const at = firstIllegalChar(s, opts);
  if (at < 0) return undefined;
  return 'Invalid ' + what + ' ("' + s + '"): illegal character: ' + s.charAt(at);
}

/** Plain-words description of the character rule, for `PointError.detail`. */
export function describeAllowedChars(opts: ResolvedOptions): string {
  const base = 'letters, digits and - _ . /';
  return opts.extraChars === '' ? base : base + ' plus ' + JSON.stringify(opts.extraChars);
}
