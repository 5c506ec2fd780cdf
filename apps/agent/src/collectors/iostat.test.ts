import { describe, expect, it } from 'vitest';
import { context, lines, TS } from './__fixtures__/lines.js';
import { createIoStat } from './index.js';
import { diskstatsPoints } from './iostat.js';
import { PointBatch } from './point-batch.js';

// Documentation/admin-guide/iostats.rst field order, with tcollector's names.
const FIELDS = [
  'read_requests',
  'read_merged',
  'read_sectors',
  'msec_read',
  'write_requests',
  'write_merged',
  'write_sectors',
  'msec_write',
  'ios_in_progress',
  'msec_total',
  'msec_weighted_total',
  'discards_requests',
  'discards_merged',
  'sectors_discarded',
  'msecs_discard',
  'flush_requests',
  'msecs_flushing',
];

type V = number | string | null;

/**
 * Expected lines of one device: `values` as in the file (11, 15 or 17 of them; `12n` for a
 * bigint, null for no point), `bytes` the read_bytes/write_bytes that follow the sector counts.
 */
function device(kind: 'disk' | 'part', dev: string, values: readonly V[], bytes: readonly [V, V]): string[] {
  const out: string[] = [];
  const add = (field: string, v: V): void => {
    if (v !== null) out.push(`iostat.${kind}.${field} ${TS} ${v} dev=${dev}`);
  };
  values.forEach((v, i) => {
    add(FIELDS[i]!, v);
    if (FIELDS[i] === 'read_sectors') add('read_bytes', bytes[0]);
    if (FIELDS[i] === 'write_sectors') add('write_bytes', bytes[1]);
  });
  return out;
}

function oldPartition(dev: string, values: readonly number[]): string[] {
  const names = ['read_issued', 'read_sectors', 'write_issued', 'write_sectors'];
  return values.map((v, i) => `iostat.part.${names[i]} ${TS} ${v} dev=${dev}`);
}

describe('iostat on recorded /proc trees', () => {
  it.each<[string, string[]]>([
    [
      // 5.5+ layout (17 statistics). Disk or partition is decided by /sys/block, where
      // tcollector's guess (minor % 16 == 0) would call loop1, nvme1n1 (259:2) partitions.
      'modern',
      [
        // loop0 never read: skipped.
        ...device('disk', 'loop1', [12, 0, 24, 3, 0, 0, 0, 0, 0, 4, 3, 0, 0, 0, 0, 0, 0], [12288, 0]),
        ...device(
          'disk',
          'vda',
          [
            39147, 10458, 2722674, 20375, 7722, 18027, 1353136, 3581, 0, 4884, 24306, 3959, 36, 97656, 316,
            608, 33,
          ],
          [1394009088, 692805632],
        ),
        ...device(
          'part',
          'vda1',
          [
            38000, 10000, 2700000, 20000, 7700, 18000, 1350000, 3500, 0, 4800, 24000, 3900, 30, 97000, 300, 0,
            0,
          ],
          [1382400000, 691200000],
        ),
        // dm-0 under its device-mapper name.
        ...device(
          'disk',
          'vg0-data',
          [900, 0, 7200, 50, 10, 0, 80, 2, 0, 40, 52, 0, 0, 0, 0, 0, 0],
          [3686400, 40960],
        ),
        ...device(
          'disk',
          'nvme0n1',
          [100, 1, 800, 10, 20, 2, 160, 5, 1, 30, 15, 0, 0, 0, 0, 4, 1],
          [409600, 81920],
        ),
        ...device(
          'part',
          'nvme0n1p1',
          [90, 1, 720, 9, 20, 2, 160, 5, 0, 28, 14, 0, 0, 0, 0, 0, 0],
          [368640, 81920],
        ),
        ...device('disk', 'nvme1n1', [50, 0, 400, 4, 0, 0, 0, 0, 0, 4, 4, 0, 0, 0, 0, 0, 0], [204800, 0]),
      ],
    ],
    [
      // 2.6.18: 11 statistics for disks, 4 for partitions; no sysfs, so tcollector's guess.
      'old-kernel',
      [
        ...device(
          'disk',
          'sda',
          [100000, 2000, 3000000, 40000, 50000, 6000, 700000, 80000, 0, 90000, 120000],
          [1536000000, 358400000],
        ),
        ...oldPartition('sda1', [90000, 2800000, 40000, 600000]),
        ...device('disk', 'sdb', [300, 0, 2400, 100, 0, 0, 0, 0, 0, 100, 100], [1228800, 0]),
        ...device('disk', 'md0', [500, 0, 4000, 0, 600, 0, 4800, 0, 0, 0, 0], [2048000, 2457600]),
      ],
    ],
    [
      'odd',
      [
        // 4.18 layout (15 statistics).
        ...device('disk', 'sdc', [10, 0, 80, 1, 2, 0, 16, 1, 0, 2, 2, 3, 0, 24, 1], [40960, 8192]),
        // A future kernel's 19 statistics: the 17 known ones.
        ...device('part', 'sdc1', [5, 0, 40, 1, 2, 0, 16, 1, 0, 2, 2, 3, 0, 24, 1, 7, 8], [20480, 8192]),
        // Skipped: 10 statistics, a non-number, a non-numeric major.
        // cciss/c0d0 is /sys/block/cciss!c0d0. Its read_bytes would pass int64: dropped alone.
        ...device(
          'disk',
          'cciss/c0d0',
          ['9007199254740993n', 0, '18014398509481985n', 0, 0, 0, 0, 0, 0, 0, 0],
          [null, 0],
        ),
      ],
    ],
    ['missing', []],
  ])('%s', async (name, expected) => {
    expect(lines(await createIoStat().collect(context(name)))).toEqual(expected);
  });

  it("has tcollector's 60 s interval", () => {
    expect(createIoStat().intervalSeconds).toBe(60);
  });
});

describe('diskstats layouts', () => {
  const stats = (n: number): string => Array.from({ length: n }, (_, i) => i + 1).join(' ');
  it.each([
    [4, 4],
    [11, 13],
    [15, 17],
    [17, 19],
    [20, 19],
    [3, 0],
    [5, 0],
    [10, 0],
    [12, 0],
    [14, 0],
    [16, 0],
  ])('%i statistics give %i points', (n, points) => {
    const batch = new PointBatch(1);
    diskstatsPoints(`   8 0 sda ${stats(n)}`, batch, { disks: new Set(['sda']) });
    expect(batch.points).toHaveLength(points);
  });

  it("without sysfs, uses tcollector's guess: minor a multiple of 16 and major above 1 is a disk", () => {
    const batch = new PointBatch(1);
    diskstatsPoints(['   8 16 sdb 1 0 0 0', '   8 17 sdb1 1 0 0 0', '   1 0 ram0 1 0 0 0'].join('\n'), batch);
    expect(
      batch.points.filter((p) => p.metric.endsWith('read_issued')).map((p) => [p.metric, p.tags['dev']]),
    ).toEqual([
      ['iostat.disk.read_issued', 'sdb'],
      ['iostat.part.read_issued', 'sdb1'],
      ['iostat.part.read_issued', 'ram0'],
    ]);
  });
});
