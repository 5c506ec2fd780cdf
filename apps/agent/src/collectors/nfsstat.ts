import type { DataPoint } from '@otsdb/protocol';
import { checkRoot, resolveContext, resolveInterval, timestampSeconds } from './context.js';
import { parseBigInt, parseInteger } from './kernel-number.js';
import { PointBatch } from './point-batch.js';
import { fields, readOptional } from './read-proc.js';
import type { CollectContext, Collector, CommonCollectorOptions } from './types.js';

export interface NfsStatOptions extends CommonCollectorOptions {}

/** NFSv3 client procedures in the order of /proc/net/rpc/nfs `proc3` (RFC 1813). */
const NFS3_OPS = [
  'null',
  'getattr',
  'setattr',
  'lookup',
  'access',
  'readlink',
  'read',
  'write',
  'create',
  'mkdir',
  'symlink',
  'mknod',
  'remove',
  'rmdir',
  'rename',
  'link',
  'readdir',
  'readdirplus',
  'fsstat',
  'fsinfo',
  'pathconf',
  'commit',
] as const;

/**
 * NFSv4 client operations in the order of the kernel's NFSPROC4_CLNT_* enum (include/linux/nfs4.h).
 * Up to `clone` the names are tcollector's (so `create_ses`, `get_lease_t`); the kernel appended
 * the rest later and they are named after the enum.
 */
const NFS4_OPS = [
  'null',
  'read',
  'write',
  'commit',
  'open',
  'open_conf',
  'open_noat',
  'open_dgrd',
  'close',
  'setattr',
  'fsinfo',
  'renew',
  'setclntid',
  'confirm',
  'lock',
  'lockt',
  'locku',
  'access',
  'getattr',
  'lookup',
  'lookup_root',
  'remove',
  'rename',
  'link',
  'symlink',
  'create',
  'pathconf',
  'statfs',
  'readlink',
  'readdir',
  'server_caps',
  'delegreturn',
  'getacl',
  'setacl',
  'fs_locations',
  'rel_lkowner',
  'secinfo',
  'fsid_present',
  // NFSv4.1
  'exchange_id',
  'create_ses',
  'destroy_ses',
  'sequence',
  'get_lease_t',
  'reclaim_comp',
  'layoutget',
  'getdevinfo',
  'layoutcommit',
  'layoutreturn',
  'secinfo_no',
  'test_stateid',
  'free_stateid',
  'getdevicelist',
  'bind_conn_to_ses',
  'destroy_clientid',
  // NFSv4.2
  'seek',
  'allocate',
  'deallocate',
  'layoutstats',
  'clone',
  'copy',
  'offload_cancel',
  'lookupp',
  'layouterror',
  'copy_notify',
  'getxattr',
  'setxattr',
  'listxattrs',
  'removexattr',
  'read_plus',
  'getposixacl',
  'setposixacl',
] as const;

const OPS: Readonly<Record<string, readonly string[]>> = { proc3: NFS3_OPS, proc4: NFS4_OPS };

/**
 * /proc/net/rpc/nfs (the NFS client) as tcollector reports it: `nfs.client.rpc.stats` with
 * type=calls|retrans|authrefrsh, and `nfs.client.rpc` per operation with `op=` and `version=3|4`.
 * A `procN` line whose count disagrees with its values is skipped; operations newer than the
 * names known here are left out.
 */
export function nfsClientPoints(text: string, batch: PointBatch): void {
  for (const line of text.split('\n')) {
    const cols = fields(line);
    const key = cols[0];
    if (key === 'rpc') {
      if (cols.length < 4) continue;
      batch.add('nfs.client.rpc.stats', parseInteger(cols[1]!), { type: 'calls' });
      batch.add('nfs.client.rpc.stats', parseInteger(cols[2]!), { type: 'retrans' });
      batch.add('nfs.client.rpc.stats', parseInteger(cols[3]!), { type: 'authrefrsh' });
      continue;
    }
    const names = key !== undefined && Object.hasOwn(OPS, key) ? OPS[key] : undefined;
    if (names === undefined) continue;
    const values = cols.slice(2);
    if (parseBigInt(cols[1] ?? '') !== BigInt(values.length)) continue;
    const version = key!.slice('proc'.length);
    values.forEach((value, i) => {
      const op = names[i];
      if (op !== undefined) batch.add('nfs.client.rpc', parseInteger(value), { op, version });
    });
  }
}

/** tcollector's nfsstat; a host without the NFS client module has no file and no points. */
export function createNfsStat(options: NfsStatOptions = {}): Collector {
  checkRoot('nfsstat', 'procRoot', options.procRoot);
  const intervalSeconds = resolveInterval('nfsstat', options.intervalSeconds, 15);
  return {
    name: 'nfsstat',
    intervalSeconds,
    async collect(partial?: Partial<CollectContext>): Promise<DataPoint[]> {
      const ctx = resolveContext(partial, options);
      const text = await readOptional(`${ctx.procRoot}/net/rpc/nfs`);
      const batch = new PointBatch(timestampSeconds(ctx));
      if (text !== undefined) nfsClientPoints(text, batch);
      return batch.points;
    },
  };
}
