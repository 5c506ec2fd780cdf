import { describe, expect, it } from 'vitest';
import { asciiNameTable, type ProtocolOptions } from './options.js';
import { validatePoint } from './validate-point.js';

describe('asciiNameTable', () => {
  it.each<[string, ProtocolOptions | undefined]>([
    ['default options', undefined],
    ['extraChars ":%"', { extraChars: ':%' }],
    ['extraChars with a blank and "="', { extraChars: ' =' }],
  ])('says which ASCII characters a name may hold, as validatePoint does (%s)', (_name, options) => {
    const table = asciiNameTable(options);
    expect(table).toHaveLength(128);
    for (let c = 0; c < 128; c++) {
      const ch = String.fromCharCode(c);
      const ok = validatePoint({ metric: `a${ch}`, timestamp: 1, value: 1, tags: { k: `v${ch}` } }, options);
      expect([c, table[c] === 1]).toEqual([c, ok === undefined]);
    }
  });

  it('hands out a copy', () => {
    asciiNameTable().fill(1);
    expect(asciiNameTable()[32]).toBe(0);
  });
});
