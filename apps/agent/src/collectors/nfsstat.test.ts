import { describe, expect, it } from 'vitest';
import { context, lines, TS } from './__fixtures__/lines.js';
import { createNfsStat } from './nfsstat.js';

const T = String(TS);
const V3 = [
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
];
// tcollector's names up to clone, then the kernel's later NFSPROC4_CLNT_* in enum order.
const V4 = [
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
];
const ops = (version: 3 | 4, values: readonly number[]): string[] =>
  values.map((v, i) => `nfs.client.rpc ${T} ${v} op=${(version === 3 ? V3 : V4)[i]} version=${version}`);
const rpc = (calls: number, retrans: number, authrefrsh: number): string[] => [
  `nfs.client.rpc.stats ${T} ${calls} type=calls`,
  `nfs.client.rpc.stats ${T} ${retrans} type=retrans`,
  `nfs.client.rpc.stats ${T} ${authrefrsh} type=authrefrsh`,
];
const counting = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('nfsstat on recorded /proc trees', () => {
  it.each<[string, string[]]>([
    // proc2 is not reported, as in tcollector.
    ['modern', [...rpc(1234, 5, 6), ...ops(3, counting(22, 1)), ...ops(4, [7, 8, 9])]],
    [
      'old-kernel',
      [
        ...rpc(100, 1, 100),
        ...ops(3, [0, 10, 0, 20, 30, 0, 40, 50, ...counting(14).map(() => 0)]),
        ...ops(4, counting(32)),
      ],
    ],
    // `rpc` with two numbers and `proc4 5` followed by three values are skipped; of 73 v4
    // counters the 71 with known names are reported.
    ['odd', [...ops(3, [7, 8]), ...ops(4, counting(71))]],
    // No NFS client module: no file, no points.
    ['missing', []],
  ])('%s', async (name, expected) => {
    expect(lines(await createNfsStat().collect(context(name)))).toEqual(expected);
  });
});
