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

/** A tags object holding `keys[i] = values[i]` for `i < n`, in that order. */
export function tagsFromSorted(keys: readonly string[], values: readonly string[], n: number): Tags {
  const tags = createTags();
  for (let i = 0; i < n; i++) tags[keys[i]!] = values[i]!;
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
