import { describe, expect, it } from 'vitest';
import { asciiNameTable, type ProtocolOptions, resolveOptions } from './options.js';
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

describe('resolveOptions', () => {
  it('options made afresh with the same extra characters share the scan tables', () => {
    const a = resolveOptions({ extraChars: ':', maxTags: 3 });
    const b = resolveOptions({ extraChars: ':', tagsOptional: true });
    expect(a.metricScan).toBe(b.metricScan);
    expect(a.metricScan).not.toBe(resolveOptions({ extraChars: '@' }).metricScan);
    // One entry per UTF-16 code unit; non-ASCII entries are 0 (the scanner checks them apart).
    expect(a.metricScan.length).toBe(65536);
    expect(a.metricScan[58]).toBe(1);
    expect(a.metricScan[0xe9]).toBe(0);
  });
});
