import type { DataPoint } from '@otsdb/protocol';
import { checkRoot, resolveContext, resolveInterval, timestampSeconds } from './context.js';
import { parseBigInt, parseInteger, scaleInteger } from './kernel-number.js';
import { PointBatch } from './point-batch.js';
import { fields, listOptional, readOptional } from './read-proc.js';
import type { CollectContext, Collector, CommonCollectorOptions } from './types.js';

export interface IoStatOptions extends CommonCollectorOptions {}

/**
 * The statistics of a /proc/diskstats line in order (Documentation/admin-guide/iostats.rst):
 * 11 since 2.6, 15 since 4.18 (discards), 17 since 5.5 (flushes). Names are tcollector's.
 */
export const DISK_FIELDS = [
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
] as const;

/** Partitions on 2.6 kernels before 2.6.25 had 4 statistics, counted before merging. */
export const OLD_PARTITION_FIELDS = ['read_issued', 'read_sectors', 'write_issued', 'write_sectors'] as const;

const FULL_LAYOUTS = new Set([11, 15, 17]);
// diskstats counts sectors of 512 bytes whatever the device's own sector size.
const SECTOR_BYTES = 512n;

export interface BlockDevices {
  /**
   * Names of whole disks (the entries of /sys/block, `/` written as `!`). Undefined when sysfs
   * is not readable: then tcollector's guess decides (minor number a multiple of 16).
   */
  disks?: ReadonlySet<string> | undefined;
  /** `dm-0` -> the device-mapper name (`vg0-root`), from /sys/block/dm-N/dm/name. */
  dmNames?: ReadonlyMap<string, string> | undefined;
}

function isDisk(name: string, major: number, minor: number, disks: ReadonlySet<string> | undefined): boolean {
  if (disks) return disks.has(name.replaceAll('/', '!'));
  return minor % 16 === 0 && major > 1;
}

/**
 * /proc/diskstats as `iostat.disk.*` (whole disks) and `iostat.part.*` (partitions), split so a
 * sum over one metric never counts an I/O twice. Devices that never completed a read (unused
 * loop and ram devices) are skipped, as tcollector does.
 */
export function diskstatsPoints(text: string, batch: PointBatch, devices: BlockDevices = {}): void {
  for (const line of text.split('\n')) {
    const cols = fields(line);
    if (cols.length < 4) continue;
    const [majorText, minorText, name] = cols as [string, string, string];
    if (!/^\d{1,10}$/.test(majorText) || !/^\d{1,10}$/.test(minorText)) continue;
    const stats = cols.slice(3);
    const full = FULL_LAYOUTS.has(stats.length) || stats.length > DISK_FIELDS.length;
    if (!full && stats.length !== OLD_PARTITION_FIELDS.length) continue;
    if (stats.some((s) => parseBigInt(s) === undefined)) continue;
    if (stats[0] === '0') continue;
    const prefix = isDisk(name, Number(majorText), Number(minorText), devices.disks)
      ? 'iostat.disk'
      : 'iostat.part';
    const tags = { dev: devices.dmNames?.get(name) ?? name };
    if (!full) {
      OLD_PARTITION_FIELDS.forEach((field, i) => {
        batch.add(`${prefix}.${field}`, parseInteger(stats[i]!), tags);
      });
      continue;
    }
    // Fields a future kernel appends have no name yet: they are left out.
    const n = Math.min(stats.length, DISK_FIELDS.length);
    for (let i = 0; i < n; i++) {
      const field = DISK_FIELDS[i]!;
      batch.add(`${prefix}.${field}`, parseInteger(stats[i]!), tags);
      if (field === 'read_sectors')
        batch.add(`${prefix}.read_bytes`, scaleInteger(stats[i]!, SECTOR_BYTES), tags);
      if (field === 'write_sectors')
        batch.add(`${prefix}.write_bytes`, scaleInteger(stats[i]!, SECTOR_BYTES), tags);
    }
  }
}

async function blockDevices(sysRoot: string, diskstats: string): Promise<BlockDevices> {
  const entries = await listOptional(`${sysRoot}/block`);
  if (!entries) return {};
  const disks = new Set(entries.map((e) => e.name));
  const dm = [...disks].filter((name) => name.startsWith('dm-') && diskstats.includes(` ${name} `));
  const names = await Promise.all(dm.map((name) => readOptional(`${sysRoot}/block/${name}/dm/name`)));
  const dmNames = new Map<string, string>();
  dm.forEach((name, i) => {
    const mapped = names[i]?.trim();
    if (mapped) dmNames.set(name, mapped);
  });
  return { disks, dmNames };
}

/**
 * tcollector's iostat: the raw /proc/diskstats counters. tcollector's svctm/await/util are
 * ratios of two samples and need state; they are not emitted (rate the counters instead:
 * await = rate(msec_read + msec_write) / rate(read_requests + write_requests)).
 */
export function createIoStat(options: IoStatOptions = {}): Collector {
  checkRoot('iostat', 'procRoot', options.procRoot);
  checkRoot('iostat', 'sysRoot', options.sysRoot);
  const intervalSeconds = resolveInterval('iostat', options.intervalSeconds, 60);
  return {
    name: 'iostat',
    intervalSeconds,
    async collect(partial?: Partial<CollectContext>): Promise<DataPoint[]> {
      const ctx = resolveContext(partial, options);
      const text = await readOptional(`${ctx.procRoot}/diskstats`);
      const batch = new PointBatch(timestampSeconds(ctx));
      if (text !== undefined) diskstatsPoints(text, batch, await blockDevices(ctx.sysRoot, text));
      return batch.points;
    },
  };
}
