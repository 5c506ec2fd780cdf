import { describe, expect, it } from 'vitest';
import { seriesKey } from './series-key.js';

describe('seriesKey', () => {
  it.each([
    ['sys.cpu', {}, 'sys.cpu{}'],
    ['sys.cpu', { host: 'a' }, 'sys.cpu{host=a}'],
    ['sys.cpu', { type: 'user', host: 'a' }, 'sys.cpu{host=a,type=user}'],
    ['m', { b: '2', a: '1', c: '3' }, 'm{a=1,b=2,c=3}'],
  ])('%s %o -> %s', (metric, tags, key) => {
    expect(seriesKey(metric, tags)).toBe(key);
  });

  it('does not depend on tag insertion order', () => {
    expect(seriesKey('m', { x: '1', y: '2' })).toBe(seriesKey('m', { y: '2', x: '1' }));
  });
});
