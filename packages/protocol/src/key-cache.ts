/*
 * Tag keys become property names, which the engine must intern: a freshly sliced string costs a
 * hash and a string-table lookup on every store. Tag keys repeat endlessly (host, dc, cpu...), so
 * a small table of already-interned keys hands them back without slicing.
 *
 * Recognising a cached key must not read its characters again: comparing two strings one
 * `charCodeAt` at a time cost as much as the rest of a tag. So callers pack the code units while
 * they scan a key (see `keyFromSlice`); up to 8 ASCII code units, length plus the two packed words
 * spell the key exactly and three integer comparisons identify it. Longer or non-ASCII keys are
 * still compared character by character.
 * Bounded: 512 sets of 2 entries, the newest key displacing the older one.
 */

const SETS_SHIFT = 23; // 512 sets: the top 9 bits of the mixed hash
const keys: string[] = new Array<string>(1024).fill('');
const packedLow = new Int32Array(1024);
const packedHigh = new Int32Array(1024);

/**
 * `s.slice(start, end)` as an interned string, from the cache when it was seen before. Callers
 * pack the key's code units `c` while scanning it, from `low = high = 0`:
 * `high = (high << 7) | (low >>> 21); low = ((low << 7) | c) & 0xfffffff` (`low` keeps the last
 * four units, `high` the four before, 7 bits each), and say in `ascii` whether every unit was
 * below 128.
 */
export function keyFromSlice(
  s: string,
  start: number,
  end: number,
  low: number,
  high: number,
  ascii: boolean,
): string {
  const length = end - start;
  const slot = (Math.imul(keyHash(low, high) ^ length, 0x9e3779b1) >>> SETS_SHIFT) << 1;
  let key: string;
  if (ascii && length <= 8) {
    key = keys[slot]!;
    if (packedLow[slot] === low && packedHigh[slot] === high && key.length === length) return key;
    key = keys[slot + 1]!;
    if (packedLow[slot + 1] === low && packedHigh[slot + 1] === high && key.length === length) return key;
  } else {
    key = keys[slot]!;
    if (key.length === length && sameText(key, s, start, length)) return key;
    key = keys[slot + 1]!;
    if (key.length === length && sameText(key, s, start, length)) return key;
  }
  key = internalize(s.slice(start, end));
  keys[slot + 1] = keys[slot]!;
  packedLow[slot + 1] = packedLow[slot]!;
  packedHigh[slot + 1] = packedHigh[slot]!;
  keys[slot] = key;
  packedLow[slot] = low;
  // A key the packing does not spell exactly must never be found by the packed comparison; an
  // exact `high` is below 2^28, so -1 never matches.
  packedHigh[slot] = ascii && length <= 8 ? high : -1;
  return key;
}

/** A 32-bit hash of a packed key, for callers that also need one (the scanner's order cache). */
export function keyHash(low: number, high: number): number {
  return (low ^ Math.imul(high, 0x01000193)) | 0;
}

function sameText(key: string, s: string, start: number, length: number): boolean {
  for (let j = 0; j < length; j++) if (key.charCodeAt(j) !== s.charCodeAt(start + j)) return false;
  return true;
}

// A property name is interned by the engine. The holder has no prototype, so `__proto__` is stored
// as a key like any other instead of reaching Object.prototype's setter.
function internalize(key: string): string {
  const holder: Record<string, number> = Object.create(null);
  holder[key] = 0;
  return Object.keys(holder)[0]!;
}
