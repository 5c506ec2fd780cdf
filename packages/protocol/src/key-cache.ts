/*
 * Tag keys become property names, which the engine must intern: a freshly sliced string costs a
 * hash and a string-table lookup on every store. Tag keys repeat endlessly (host, dc, cpu...), so
 * a small table of already-interned keys, indexed by a hash the caller computes while scanning,
 * hands back the interned string after a native comparison or two.
 * Bounded: 512 sets of 2 entries, the newest key displacing the older one.
 */

const cache: string[] = new Array<string>(1024).fill('');

/** Java-style string hash step, for callers that hash while they scan: `h = step(h, c)`. */
export function hashStep(h: number, c: number): number {
  return (Math.imul(h, 31) + c) | 0;
}

/** `s.slice(start, end)` as an interned string, from the cache when it was seen before. */
export function keyFromSlice(s: string, start: number, end: number, hash: number): string {
  const length = end - start;
  const slot = (Math.imul(hash, 0x9e3779b1) >>> 22) & ~1;
  let key = cache[slot]!;
  if (key.length === length && sameText(key, s, start, length)) return key;
  key = cache[slot + 1]!;
  if (key.length === length && sameText(key, s, start, length)) return key;
  key = internalize(s.slice(start, end));
  cache[slot + 1] = cache[slot]!;
  cache[slot] = key;
  return key;
}

// Keys are short: an inlined loop beats a call into String.prototype.startsWith.
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
