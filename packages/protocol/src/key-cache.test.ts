import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyFromSlice } from './key-cache.js';
import { parsePutLine } from './put-line.js';

/** What a scanner computes for `s.slice(start, end)` before asking the cache. */
function lookup(s: string, start = 0, end = s.length): string {
  let low = 0;
  let high = 0;
  let ascii = true;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) ascii = false;
    high = (high << 7) | (low >>> 21);
    low = ((low << 7) | c) & 0xfffffff;
  }
  return keyFromSlice(s, start, end, low, high, ascii);
}

describe('keyFromSlice', () => {
  it('hands back the same string object for a key seen before', () => {
    const first = lookup('put m 1 1 host=a', 10, 14);
    expect(first).toBe('host');
    expect(lookup('x host', 2)).toBe(first);
  });

  it('never confuses keys whose packed words are equal', () => {
    // "aé" packs like "ai" (é's high bit lands on a's bits); keys longer than 8 units share
    // their last eight with others. Both must still come back as themselves, in any order.
    const pairs = [
      ['aé', 'ai'],
      ['ai', 'aé'],
      ['xxxxxxxxhost', 'yyyyyyyyhost'],
      ['123456789', '023456789'],
    ];
    for (const [a, b] of pairs) {
      expect(lookup(a!)).toBe(a);
      expect(lookup(b!)).toBe(b);
      expect(lookup(a!)).toBe(a);
    }
    for (const [a, b] of pairs) {
      const r = parsePutLine(`put m 1356998400 1 ${a}=1 ${b}=2`);
      expect(r.ok && Object.keys(r.point.tags).sort()).toEqual([a, b].sort());
    }
  });

  it('gives back exactly the slice for any key (fast-check)', () => {
    const unit = fc.constantFrom(...'abhiostxy019_.-/', 'é', 'i', 'Ж', '中', '\u0080');
    const key = fc.array(unit, { minLength: 1, maxLength: 12 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.array(key, { minLength: 1, maxLength: 30 }), (keys) => {
        for (const k of keys) expect(lookup(`<${k}>`, 1, k.length + 1)).toBe(k);
      }),
      { numRuns: 2000 },
    );
  });
});
