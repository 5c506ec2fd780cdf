import type { Tags } from './data-point.js';

/*
 * Tag keys come from the wire, so any string a line may carry has to work as a key: `__proto__`,
 * `constructor`, `toString`, `hasOwnProperty`. On a `{}` literal, `tags['__proto__'] = v` calls
 * Object.prototype's setter instead of storing a tag (the tag vanishes, and with an object value
 * the prototype would change), and keys a line never named still read as inherited functions.
 * Tags objects built here inherit from a frozen object that has no properties and no prototype:
 * every store defines an own property, absent keys read as undefined, and a polluted
 * Object.prototype never shows through. `Object.create(null)` would do the same, but V8 keeps such
 * objects in dictionary mode, which halves the speed of building and reading them.
 */
const TAGS_PROTOTYPE: object = Object.freeze(Object.create(null));

/**
 * An empty tags object in which every string is an ordinary key (see above). Use it to build tags
 * from untrusted keys; a plain `{}` turns a `__proto__` key into a prototype change.
 */
export function createTags(): Tags {
  return Object.create(TAGS_PROTOTYPE) as Tags;
}

/**
 * A tags object holding `keys[i] = values[i]` for `i < n`, in that order (pass them sorted to get
 * the canonical order). The first eight stores are unrolled on purpose: a source names its tags
 * the same way line after line, so each store site then always sees the same key and object shape
 * and stays monomorphic; a single store site in a loop sees every key and goes megamorphic, which
 * made building the object five times slower.
 */
export function tagsFromSorted(keys: readonly string[], values: readonly string[], n: number): Tags {
  const tags = createTags();
  if (n > 0) tags[keys[0]!] = values[0]!;
  if (n > 1) tags[keys[1]!] = values[1]!;
  if (n > 2) tags[keys[2]!] = values[2]!;
  if (n > 3) tags[keys[3]!] = values[3]!;
  if (n > 4) tags[keys[4]!] = values[4]!;
  if (n > 5) tags[keys[5]!] = values[5]!;
  if (n > 6) tags[keys[6]!] = values[6]!;
  if (n > 7) tags[keys[7]!] = values[7]!;
  for (let i = 8; i < n; i++) tags[keys[i]!] = values[i]!;
  return tags;
}

/**
 * `tagsFromSorted` for the line scanner, which keeps where each value lies in the line instead of
 * the value: the tag at `order[k]` has key `keys[at]` and value `line.slice(starts[at], ends[at])`.
 * Slicing straight into the new object saves parking young strings in a long-lived scratch array,
 * whose write barrier cost as much as the slicing itself. Unrolled for the same reason as above.
 */
export function tagsFromSlices(
  line: string,
  keys: readonly string[],
  starts: Int32Array,
  ends: Int32Array,
  order: readonly number[],
  n: number,
): Tags {
  const tags = createTags();
  let at = 0;
  if (n > 0) tags[keys[(at = order[0]!)]!] = line.slice(starts[at], ends[at]);
  if (n > 1) tags[keys[(at = order[1]!)]!] = line.slice(starts[at], ends[at]);
  if (n > 2) tags[keys[(at = order[2]!)]!] = line.slice(starts[at], ends[at]);
  if (n > 3) tags[keys[(at = order[3]!)]!] = line.slice(starts[at], ends[at]);
  if (n > 4) tags[keys[(at = order[4]!)]!] = line.slice(starts[at], ends[at]);
  if (n > 5) tags[keys[(at = order[5]!)]!] = line.slice(starts[at], ends[at]);
  if (n > 6) tags[keys[(at = order[6]!)]!] = line.slice(starts[at], ends[at]);
  if (n > 7) tags[keys[(at = order[7]!)]!] = line.slice(starts[at], ends[at]);
  for (let k = 8; k < n; k++) {
    at = order[k]!;
    tags[keys[at]!] = line.slice(starts[at], ends[at]);
  }
  return tags;
}

/**
 * Whether `for...in` over `o` visits exactly its own enumerable keys: true for tags objects built
 * here and null-prototype objects, and for plain objects while nobody added enumerable properties
 * to Object.prototype (prototype pollution). Anything else has to be read with `Object.keys`.
 */
export function plainOwnKeysOnly(o: object): boolean {
  const proto: unknown = Object.getPrototypeOf(o);
  if (proto === TAGS_PROTOTYPE || proto === null) return true;
  if (proto !== Object.prototype) return false;
  for (const _ in Object.prototype) return false;
  return true;
}
