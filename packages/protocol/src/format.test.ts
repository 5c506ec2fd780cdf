import { describe, expect, it } from 'vitest';
import type { DataPoint } from './data-point.js';
import { formatCollectorLine, formatPutLine } from './format.js';

const base: DataPoint = { metric: 'sys.cpu.user', timestamp: 1356998400, value: 42, tags: { host: 'web01' } };

describe('formatPutLine / formatCollectorLine', () => {
  it.each([
    [base, 'put sys.cpu.user 1356998400 42 host=web01'],
    [{ ...base, value: 0.5 }, 'put sys.cpu.user 1356998400 0.5 host=web01'],
    [{ ...base, value: 9007199254740993n }, 'put sys.cpu.user 1356998400 9007199254740993 host=web01'],
    [{ ...base, value: 1e19 }, 'put sys.cpu.user 1356998400 1e+19 host=web01'],
    [{ ...base, value: 42, valueText: '42.0' }, 'put sys.cpu.user 1356998400 42.0 host=web01'],
    [{ ...base, timestamp: 1356998400123 }, 'put sys.cpu.user 1356998400123 42 host=web01'],
    [
      { ...base, tags: { type: 'user', cpu: '0', host: 'a' } },
      'put sys.cpu.user 1356998400 42 cpu=0 host=a type=user',
    ],
    [{ ...base, tags: { b: '1', a: '2' } }, 'put sys.cpu.user 1356998400 42 a=2 b=1'],
    [{ ...base, tags: { 9: 'x', 10: 'y', a: 'z' } }, 'put sys.cpu.user 1356998400 42 10=y 9=x a=z'],
    [{ ...base, tags: {} }, 'put sys.cpu.user 1356998400 42'],
  ] as const)('%#', (point, line) => {
    expect(formatPutLine(point)).toBe(line);
    expect(formatCollectorLine(point)).toBe(line.slice(4));
  });

  it('never writes inherited properties as tags', () => {
    const tags = Object.create({ injected: 'x' }) as Record<string, string>;
    tags.host = 'a';
    expect(formatPutLine({ ...base, tags })).toBe('put sys.cpu.user 1356998400 42 host=a');
  });

  it('never writes keys that Object.prototype pollution would add', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = 'x';
    try {
      expect(formatPutLine({ ...base, tags: { host: 'a' } })).toBe('put sys.cpu.user 1356998400 42 host=a');
    } finally {
      delete proto.polluted;
    }
  });

  it('handles tags without a prototype', () => {
    const tags = Object.create(null) as Record<string, string>;
    tags.b = '2';
    tags.a = '1';
    expect(formatPutLine({ ...base, tags })).toBe('put sys.cpu.user 1356998400 42 a=1 b=2');
  });

  it("does not reorder or change the caller's tags", () => {
    const tags = { z: '1', a: '2' };
    formatPutLine({ ...base, tags });
    expect(Object.keys(tags)).toEqual(['z', 'a']);
  });
});
