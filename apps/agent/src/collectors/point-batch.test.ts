import { describe, expect, it } from 'vitest';
import { PointBatch, tagValue } from './point-batch.js';

describe('tagValue', () => {
  it.each([
    ['eth0', 'eth0'],
    ['br-4f2a.1/x_y', 'br-4f2a.1/x_y'],
    ['/mnt/my disk', '/mnt/my_disk'],
    ['a=b', 'a_b'],
    ['tap#1', 'tap_1'],
    ['名前', '名前'],
    ['émoji😀', 'émoji_'],
    ['𝔸', '_'],
    ['tab\there', 'tab_here'],
  ])('%j -> %j', (raw, clean) => {
    expect(tagValue(raw)).toBe(clean);
  });
});

describe('PointBatch', () => {
  it('stamps points with its timestamp and drops non-finite or missing values, bad metrics, empty tags', () => {
    const batch = new PointBatch(42);
    batch.add('m.ok', 1, { a: 'x y' });
    batch.add('m.nan', Number.NaN);
    batch.add('m.inf', Number.POSITIVE_INFINITY);
    batch.add('m.none', undefined);
    batch.add('bad metric', 1);
    batch.add('m.emptytag', 1, { a: '' });
    batch.add('m.big', 2n ** 60n);
    expect(batch.points).toEqual([
      { metric: 'm.ok', timestamp: 42, value: 1, tags: { a: 'x_y' } },
      { metric: 'm.big', timestamp: 42, value: 2n ** 60n, tags: {} },
    ]);
  });

  it('keeps the first point of a series when two kernel names clean to the same tag value', () => {
    const batch = new PointBatch(1);
    batch.add('proc.net.bytes', 1, { iface: 'tap#1' });
    batch.add('proc.net.bytes', 2, { iface: 'tap_1' });
    batch.add('proc.net.bytes', 3, { iface: 'tap_2' });
    expect(batch.points.map((p) => [p.tags['iface'], p.value])).toEqual([
      ['tap_1', 1],
      ['tap_2', 3],
    ]);
  });

  it('never shares a tags object with the caller', () => {
    const tags = { type: 'tcp' };
    const batch = new PointBatch(1);
    batch.add('m', 1, tags);
    batch.points[0]!.tags['type'] = 'changed';
    expect(tags.type).toBe('tcp');
  });
});
