import { statfs as nodeStatfs } from 'node:fs/promises';
import type { DataPoint } from '@otsdb/protocol';
import { checkRoot, resolveContext, resolveInterval, timestampSeconds } from './context.js';
import { CollectorError } from './errors.js';
import { integerValue } from './kernel-number.js';
import { PointBatch } from './point-batch.js';
import { fields, readOptional } from './read-proc.js';
import type { CollectContext, Collector, CommonCollectorOptions } from './types.js';

/** What dfstat needs of statfs(2), as `fs.promises.statfs(path, { bigint: true })` returns it. */
export interface FsUsage {
  bsize: bigint;
  blocks: bigint;
  bfree: bigint;
  bavail: bigint;
  files: bigint;
  ffree: bigint;
}

export type StatFsFunction = (path: string) => Promise<FsUsage>;

export interface DfStatOptions extends CommonCollectorOptions {
  /** File listing the mounts, relative to the proc root. Default `mounts`; `1/mounts` reads init's namespace. */
  mountsFile?: string;
  /**
   * Prefix under which the mount points are reachable for statfs, e.g. `/host` when the host's
   * root is mounted there in a container. The `mount` tag keeps the path as listed. Default ''.
   */
  statfsRoot?: string;
  /** File system types not reported. Default {@link DEFAULT_IGNORED_FS_TYPES} (plus every `fuse.*`). */
  ignoreFsTypes?: readonly string[];
  /** Mount points under these prefixes are not reported. Default {@link DEFAULT_IGNORED_MOUNT_PREFIXES}. */
  ignoreMountPrefixes?: readonly string[];
  /**
   * A statfs that has not answered after this long (a hung NFS server) is given up for this
   * collection; that mount is skipped until the call returns. Default 5000 ms.
   */
  statfsTimeoutMs?: number;
  /** For tests: replaces `fs.promises.statfs`. */
  statfs?: StatFsFunction;
}

/** tcollector's list: pseudo file systems and (v3) NFS mounts. */
export const DEFAULT_IGNORED_FS_TYPES: readonly string[] = [
  'cgroup',
  'debugfs',
  'devtmpfs',
  'nfs',
  'rpc_pipefs',
  'rootfs',
];
/** tcollector's list: kernel and device trees, net namespaces and kubelet's per-pod volumes. */
export const DEFAULT_IGNORED_MOUNT_PREFIXES: readonly string[] = [
  '/dev',
  '/sys',
  '/proc',
  '/lib',
  'net:',
  '/var/lib/kubelet',
];

export interface Mount {
  device: string;
  mountPoint: string;
  fsType: string;
}

export interface MountFilter {
  ignoreFsTypes: ReadonlySet<string>;
  ignoreMountPrefixes: readonly string[];
}

/** /proc/mounts escapes blanks and backslashes in paths as octal (`\040`). */
function unescapeMountField(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * The mounts dfstat reports, in the order listed, tcollector's rules: no `none` devices, no
 * ignored types or `fuse.*`, nothing under the ignored prefixes; a block device mounted several
 * times (bind mounts) is reported once, at its shortest mount point. A mount point listed twice
 * (a mount on top of another) is reported once, for the last (the visible) mount.
 */
export function selectMounts(text: string, filter: MountFilter): Mount[] {
  const byMountPoint = new Map<string, Mount>();
  const byDevice = new Map<string, Mount>();
  for (const line of text.split('\n')) {
    const cols = fields(line);
    if (cols.length !== 6) continue;
    const device = unescapeMountField(cols[0]!);
    const mountPoint = unescapeMountField(cols[1]!);
    const fsType = cols[2]!;
    if (device === 'none') continue;
    if (filter.ignoreFsTypes.has(fsType) || fsType.startsWith('fuse.')) continue;
    if (filter.ignoreMountPrefixes.some((prefix) => mountPoint.startsWith(prefix))) continue;
    if (device.startsWith('/dev')) {
      const seen = byDevice.get(device);
      if (seen) {
        if (mountPoint.length < seen.mountPoint.length) {
          byMountPoint.delete(seen.mountPoint);
          seen.mountPoint = mountPoint;
          byMountPoint.set(mountPoint, seen);
        }
        continue;
      }
    }
    const mount: Mount = { device, mountPoint, fsType };
    const shadowed = byMountPoint.get(mountPoint);
    if (shadowed) {
      byMountPoint.delete(mountPoint);
      if (byDevice.get(shadowed.device) === shadowed) byDevice.delete(shadowed.device);
    }
    byMountPoint.set(mountPoint, mount);
    if (device.startsWith('/dev')) byDevice.set(device, mount);
  }
  return [...byMountPoint.values()];
}

function percent(part: bigint, whole: bigint): number {
  // An empty file system (or one reporting no inodes, like btrfs) is 100% used, as in tcollector.
  return whole === 0n ? 100 : (Number(part) * 100) / Number(whole);
}

/** The eight df.* series of one mount. */
export function usagePoints(mount: Mount, usage: FsUsage, batch: PointBatch): void {
  const tags = { mount: mount.mountPoint, fstype: mount.fsType };
  const used = usage.blocks - usage.bfree;
  batch.add('df.bytes.total', integerValue(usage.bsize * usage.blocks), tags);
  batch.add('df.bytes.used', integerValue(usage.bsize * used), tags);
  // As df: of the space a user can fill (the root reserve left out).
  batch.add('df.bytes.percentused', usage.blocks === 0n ? 100 : percent(used, used + usage.bavail), tags);
  batch.add('df.bytes.free', integerValue(usage.bsize * usage.bavail), tags);
  const inodesUsed = usage.files - usage.ffree;
  batch.add('df.inodes.total', integerValue(usage.files), tags);
  batch.add('df.inodes.used', integerValue(inodesUsed), tags);
  batch.add('df.inodes.percentused', percent(inodesUsed, usage.files), tags);
  batch.add('df.inodes.free', integerValue(usage.ffree), tags);
}

const defaultStatfs: StatFsFunction = (path) => nodeStatfs(path, { bigint: true });

/** tcollector's dfstat: space and inodes of each mounted file system. */
export function createDfStat(options: DfStatOptions = {}): Collector {
  checkRoot('dfstat', 'procRoot', options.procRoot);
  const intervalSeconds = resolveInterval('dfstat', options.intervalSeconds, 60);
  const timeoutMs = options.statfsTimeoutMs ?? 5000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new CollectorError(`dfstat: statfsTimeoutMs must be a positive number, got ${timeoutMs}`);
  }
  const mountsFile = options.mountsFile ?? 'mounts';
  const statfsRoot = (options.statfsRoot ?? '').replace(/\/+$/, '');
  const filter: MountFilter = {
    ignoreFsTypes: new Set(options.ignoreFsTypes ?? DEFAULT_IGNORED_FS_TYPES),
    ignoreMountPrefixes: options.ignoreMountPrefixes ?? DEFAULT_IGNORED_MOUNT_PREFIXES,
  };
  const statfs = options.statfs ?? defaultStatfs;
  // statfs on a dead NFS server blocks a libuv thread until the server answers; asking again
  // every interval would take the whole pool. A mount stays here until its call settles.
  const pending = new Set<string>();

  async function usageOf(path: string): Promise<FsUsage | undefined> {
    if (pending.has(path)) return undefined;
    pending.add(path);
    const call = statfs(path).then(
      (usage) => usage,
      () => undefined,
    );
    void call.finally(() => pending.delete(path));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, timeoutMs, undefined);
      timer.unref();
    });
    try {
      return await Promise.race([call, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    name: 'dfstat',
    intervalSeconds,
    async collect(partial?: Partial<CollectContext>): Promise<DataPoint[]> {
      const ctx = resolveContext(partial, options);
      const text = await readOptional(`${ctx.procRoot}/${mountsFile}`);
      const batch = new PointBatch(timestampSeconds(ctx));
      if (text === undefined) return batch.points;
      const mounts = selectMounts(text, filter);
      const usages = await Promise.all(mounts.map((m) => usageOf(statfsRoot + m.mountPoint)));
      mounts.forEach((mount, i) => {
        const usage = usages[i];
        if (usage !== undefined) usagePoints(mount, usage, batch);
      });
      return batch.points;
    },
  };
}
