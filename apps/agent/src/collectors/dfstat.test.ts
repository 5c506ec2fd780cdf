import { describe, expect, it } from 'vitest';
import { context, lines, TS } from './__fixtures__/lines.js';
import { createDfStat, type FsUsage, selectMounts, usagePoints } from './dfstat.js';
import { CollectorError } from './errors.js';
import { DEFAULT_IGNORED_FS_TYPES, DEFAULT_IGNORED_MOUNT_PREFIXES } from './index.js';
import { PointBatch } from './point-batch.js';

/** 1000 blocks of 4 KiB: 600 used (400 free, 300 of them available), 100 inodes with 40 free. */
const USAGE: FsUsage = { bsize: 4096n, blocks: 1000n, bfree: 400n, bavail: 300n, files: 100n, ffree: 40n };

/** A statfs that answers USAGE and records the paths it was asked for. */
function recordingStatfs(): { asked: string[]; statfs: (path: string) => Promise<FsUsage> } {
  const asked: string[] = [];
  return {
    asked,
    statfs: async (path) => {
      asked.push(path);
      return USAGE;
    },
  };
}

function mount(path: string, fstype: string): string[] {
  const tags = `fstype=${fstype} mount=${path}`;
  return [
    `df.bytes.total ${TS} 4096000 ${tags}`,
    `df.bytes.used ${TS} 2457600 ${tags}`,
    // 600 / (600 + 300): of the space a user can fill, as df shows it.
    `df.bytes.percentused ${TS} 66.66666666666667 ${tags}`,
    `df.bytes.free ${TS} 1228800 ${tags}`,
    `df.inodes.total ${TS} 100 ${tags}`,
    `df.inodes.used ${TS} 60 ${tags}`,
    `df.inodes.percentused ${TS} 60 ${tags}`,
    `df.inodes.free ${TS} 40 ${tags}`,
  ];
}

describe('dfstat on recorded /proc trees', () => {
  it.each<[string, string[], string[]]>([
    [
      // Left out: proc, sysfs, devtmpfs and cgroup (type or /dev, /sys prefix), `none`, fuse.*,
      // nfs (v3), kubelet volumes, and the bind mount of vg0-data (kept at its shorter path).
      // nfs4 is kept, as tcollector keeps it.
      'modern',
      [
        ...mount('/', 'ext4'),
        ...mount('/run', 'tmpfs'),
        ...mount('/srv/data', 'xfs'),
        ...mount('/mnt/nas4', 'nfs4'),
      ],
      ['/', '/run', '/srv/data', '/mnt/nas4'],
    ],
    [
      'old-kernel',
      [...mount('/', 'ext3'), ...mount('/boot', 'ext3'), ...mount('/home', 'ext3')],
      ['/', '/boot', '/home'],
    ],
    [
      // `\040` (blank) and `\134` (backslash) are unescaped for statfs, then replaced by `_` in
      // the tag; /dev/sdb1 at /data and /d is reported once at /d; /tmp mounted twice, once.
      'odd',
      [
        ...mount('/mnt/my_disk', 'tmpfs'),
        ...mount('/d', 'ext4'),
        ...mount('/tmp', 'tmpfs'),
        ...mount('/back_slash', 'xfs'),
      ],
      ['/mnt/my disk', '/d', '/tmp', '/back\\slash'],
    ],
    ['missing', [], []],
  ])('%s', async (name, expected, paths) => {
    const { asked, statfs } = recordingStatfs();
    expect(lines(await createDfStat({ statfs }).collect(context(name)))).toEqual(expected);
    expect(asked).toEqual(paths);
  });

  it('reaches mount points under statfsRoot but tags them as listed', async () => {
    const { asked, statfs } = recordingStatfs();
    const points = await createDfStat({ statfs, statfsRoot: '/host/' }).collect(context('old-kernel'));
    expect(asked).toEqual(['/host/', '/host/boot', '/host/home']);
    expect([...new Set(points.map((p) => p.tags['mount']))]).toEqual(['/', '/boot', '/home']);
  });

  it('reads another mounts file under the proc root when told', async () => {
    const { asked, statfs } = recordingStatfs();
    await createDfStat({ statfs, mountsFile: 'does-not-exist' }).collect(context('modern'));
    expect(asked).toEqual([]);
  });

  it('skips a mount whose statfs fails', async () => {
    const statfs = async (path: string): Promise<FsUsage> => {
      if (path === '/run') throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
      return USAGE;
    };
    const points = await createDfStat({ statfs }).collect(context('modern'));
    expect([...new Set(points.map((p) => p.tags['mount']))]).toEqual(['/', '/srv/data', '/mnt/nas4']);
  });

  it('gives up on a statfs that hangs, and does not ask that mount again until it answers', async () => {
    const calls: string[] = [];
    let release: (usage: FsUsage) => void = () => {};
    let hung = true;
    const statfs = (path: string): Promise<FsUsage> => {
      calls.push(path);
      if (path !== '/mnt/nas4' || !hung) return Promise.resolve(USAGE);
      return new Promise((resolve) => {
        release = resolve;
      });
    };
    const collector = createDfStat({ statfs, statfsTimeoutMs: 50 });
    const mounts = async (): Promise<string[]> => [
      ...new Set((await collector.collect(context('modern'))).map((p) => p.tags['mount']!)),
    ];
    expect(await mounts()).toEqual(['/', '/run', '/srv/data']);
    expect(await mounts()).toEqual(['/', '/run', '/srv/data']);
    expect(calls.filter((c) => c === '/mnt/nas4')).toHaveLength(1);
    hung = false;
    release(USAGE);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await mounts()).toEqual(['/', '/run', '/srv/data', '/mnt/nas4']);
    expect(calls.filter((c) => c === '/mnt/nas4')).toHaveLength(2);
  });

  it.each([
    [{ statfsTimeoutMs: 0 }, /statfsTimeoutMs/],
    [{ intervalSeconds: Number.NaN }, /intervalSeconds/],
  ])('refuses %j', (options, message) => {
    expect(() => createDfStat(options)).toThrow(CollectorError);
    expect(() => createDfStat(options)).toThrow(message);
  });

  it("has tcollector's 60 s interval", () => {
    expect(createDfStat().intervalSeconds).toBe(60);
  });
});

describe('df percentages', () => {
  const percents = (usage: Partial<FsUsage>): [unknown, unknown] => {
    const batch = new PointBatch(1);
    usagePoints({ device: 'x', mountPoint: '/x', fsType: 'xfs' }, { ...USAGE, ...usage }, batch);
    const get = (m: string): unknown => batch.points.find((p) => p.metric === m)?.value;
    return [get('df.bytes.percentused'), get('df.inodes.percentused')];
  };

  it.each<[string, Partial<FsUsage>, [number, number]]>([
    [
      'an empty file system (no blocks, no inodes) counts as full, as in tcollector',
      { blocks: 0n, bfree: 0n, bavail: 0n, files: 0n, ffree: 0n },
      [100, 100],
    ],
    [
      'nothing used and nothing available (all reserved) is full, never NaN',
      { bfree: 1000n, bavail: 0n },
      [100, 60],
    ],
    ['nothing used', { bfree: 1000n, bavail: 1000n, ffree: 100n }, [0, 0]],
  ])('%s', (_, usage, expected) => {
    expect(percents(usage)).toEqual(expected);
  });

  it('keeps sizes beyond 2^53 bytes exact', () => {
    const batch = new PointBatch(1);
    const huge: FsUsage = { bsize: 4096n, blocks: 2n ** 42n, bfree: 0n, bavail: 0n, files: 1n, ffree: 0n };
    usagePoints({ device: 'x', mountPoint: '/big', fsType: 'cephfs' }, huge, batch);
    expect(batch.points.find((p) => p.metric === 'df.bytes.total')?.value).toBe(2n ** 54n);
  });
});

describe('mount selection', () => {
  const filter = {
    ignoreFsTypes: new Set(DEFAULT_IGNORED_FS_TYPES),
    ignoreMountPrefixes: DEFAULT_IGNORED_MOUNT_PREFIXES,
  };
  it('a mount on top of another at the same point replaces it; bind mounts of a device collapse', () => {
    const text = [
      '/dev/sda1 /data ext4 rw 0 0',
      'tmpfs /data tmpfs rw 0 0',
      '/dev/sdb1 /a/b/c xfs rw 0 0',
      '/dev/sdb1 /a xfs rw 0 0',
      '/dev/sdb1 /a/b xfs rw 0 0',
    ].join('\n');
    expect(selectMounts(text, filter).map((m) => [m.device, m.mountPoint])).toEqual([
      ['tmpfs', '/data'],
      ['/dev/sdb1', '/a'],
    ]);
  });
});
