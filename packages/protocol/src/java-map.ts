/**
 * OpenTSDB's error messages print Java `HashMap`s (`tags={host=a, dc=b}`), whose order comes from
 * the keys' hashes. These helpers reproduce Java 8+'s iteration order so messages match a TSD's.
 */

/** Java's `String.hashCode()`. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

function spread(h: number): number {
  return h ^ (h >>> 16);
}

/**
 * The order in which a `new HashMap<>()` iterates these distinct keys after they were put in this
 * order: by bucket, and within a bucket by insertion (resizes keep that relative order). The table
 * starts at 16 buckets and doubles past a 0.75 load, or when a bucket would turn into a tree while
 * the table is under 64 buckets. Tree bins (9+ colliding keys in a 64+ table) are not modelled.
 */
export function javaHashMapOrder(keys: readonly string[]): string[] {
  const hashes = keys.map((k) => spread(javaStringHash(k)));
  let capacity = 16;
  for (let n = 0; n < keys.length; n++) {
    const bucket = hashes[n]! & (capacity - 1);
    let inBucket = 0;
    for (let j = 0; j < n; j++) if ((hashes[j]! & (capacity - 1)) === bucket) inBucket++;
    if (inBucket >= 8 && capacity < 64) capacity *= 2;
    if (n + 1 > capacity * 0.75) capacity *= 2;
  }
  const order = keys.map((_, i) => i);
  const mask = capacity - 1;
  order.sort((a, b) => (hashes[a]! & mask) - (hashes[b]! & mask) || a - b);
  return order.map((i) => keys[i]!);
}

/** Java's `AbstractMap.toString()` of a `HashMap` filled from `entries` in order (later keys win). */
export function javaHashMapToString(entries: ReadonlyArray<readonly [string, string | null]>): string {
  const values = new Map<string, string | null>();
  for (const [k, v] of entries) values.set(k, v);
  const keys = javaHashMapOrder([...values.keys()]);
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) out += ', ';
    const k = keys[i]!;
    out += k + '=' + String(values.get(k));
  }
  return out + '}';
}
