import { type DataPoint, validatePoint } from '@otsdb/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { selectMounts, usagePoints } from './dfstat.js';
import { netDevPoints } from './ifstat.js';
import { DEFAULT_IGNORED_FS_TYPES, DEFAULT_IGNORED_MOUNT_PREFIXES } from './index.js';
import { diskstatsPoints } from './iostat.js';
import { netstatPoints, sockstatPoints, TcpStateCounter } from './netstat.js';
import { nfsClientPoints } from './nfsstat.js';
import { PointBatch } from './point-batch.js';
import {
  entropyPoints,
  expandCpuList,
  interruptsPoints,
  loadavgPoints,
  meminfoPoints,
  numaPoints,
  softirqsPoints,
  statPoints,
  uptimePoints,
  vmstatPoints,
} from './procstats.js';

/** Words the kernel files are made of, plus the odd ones that break naive parsers. */
const token = fc.oneof(
  fc.constantFrom(
    'cpu',
    'cpu0',
    'cpu12',
    'intr',
    'ctxt',
    'processes',
    'procs_blocked',
    'MemTotal:',
    'Active(anon):',
    'kB',
    'KB',
    'pgfault',
    'TCP:',
    'TCP6:',
    'UDP:',
    'FRAG:',
    'inuse',
    'mem',
    'memory',
    'alloc',
    'TcpExt:',
    'Tcp:',
    'Udp:',
    'ListenDrops',
    'ListenOverflows',
    'InErrors',
    'RcvbufErrors',
    'InErrs',
    'rpc',
    'proc3',
    'proc4',
    'CPU0',
    'CPU1',
    'LOC:',
    'eth0:',
    'eth0-TxRx-1',
    'IR-PCI-MSI',
    'PCI-MSI-edge',
    '1-edge',
    '/dev/sda1',
    '/',
    '/mnt/a\\040b',
    'ext4',
    'tmpfs',
    'none',
    'rw',
    '0A',
    '01',
    'numa_hit',
    'sda',
    'dm-0',
    ':',
    '/',
    '-',
    '',
    'NaN',
    'Infinity',
    '1e999',
  ),
  fc.nat({ max: 100 }).map(String),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.double().map(String),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'grapheme', maxLength: 4 }),
);
const line = fc
  .array(token, { maxLength: 24 })
  .chain((tokens) => fc.constantFrom(' ', '  ', '\t', ': ').map((sep) => tokens.join(sep)));
const kernelText = fc.oneof(
  fc.array(line, { maxLength: 12 }).map((lines) => lines.join('\n')),
  fc.string({ maxLength: 400 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

/** Every point must be one a TSD accepts once the agent adds its host tag. */
function expectValid(points: readonly DataPoint[]): void {
  for (const point of points) {
    const error = validatePoint({ ...point, tags: { ...point.tags, host: 'h' } });
    expect(
      error,
      JSON.stringify(point, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)),
    ).toBeUndefined();
    expect(Number.isInteger(point.timestamp)).toBe(true);
  }
}

const PARSERS: [string, (text: string, batch: PointBatch) => void][] = [
  ['uptime', uptimePoints],
  ['meminfo', meminfoPoints],
  ['vmstat', vmstatPoints],
  ['stat', (t, b) => statPoints(t, b, new Map([['0', 'set a']]))],
  ['stat (tcollector labels)', (t, b) => statPoints(t, b, new Map(), 'tcollector')],
  ['loadavg', loadavgPoints],
  ['entropy', entropyPoints],
  ['interrupts', interruptsPoints],
  ['softirqs', softirqsPoints],
  ['numastat', (t, b) => numaPoints('0', t, b)],
  ['net/dev', (t, b) => netDevPoints(t, b)],
  [
    'diskstats (sysfs)',
    (t, b) => diskstatsPoints(t, b, { disks: new Set(['sda']), dmNames: new Map([['dm-0', 'vg']]) }),
  ],
  ['diskstats (no sysfs)', (t, b) => diskstatsPoints(t, b)],
  ['sockstat', (t, b) => sockstatPoints(t, t, b, 4096)],
  ['netstat/snmp', netstatPoints],
  ['nfs', nfsClientPoints],
  [
    'tcp states',
    (t, b) => {
      const counter = new TcpStateCounter();
      for (const l of t.split('\n')) counter.line(l);
      counter.points('tcp6', b);
    },
  ],
  [
    'mounts',
    (t, b) => {
      const filter = {
        ignoreFsTypes: new Set(DEFAULT_IGNORED_FS_TYPES),
        ignoreMountPrefixes: DEFAULT_IGNORED_MOUNT_PREFIXES,
      };
      for (const mount of selectMounts(t, filter)) {
        usagePoints(mount, { bsize: 4096n, blocks: 10n, bfree: 3n, bavail: 2n, files: 0n, ffree: 0n }, b);
      }
    },
  ],
];

describe('parsers never throw and only produce points a TSD accepts', () => {
  it.each(PARSERS)('%s', (_, parse) => {
    fc.assert(
      fc.property(kernelText, (text) => {
        const batch = new PointBatch(1_700_000_000);
        parse(text, batch);
        expectValid(batch.points);
      }),
      { numRuns: 300 },
    );
  });

  it('expandCpuList never throws and stays bounded', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 30 }), fc.stringMatching(/^[-0-9,]{0,20}$/)), (list) => {
        const cpus = expandCpuList(list);
        if (cpus !== undefined) expect(cpus.length).toBeLessThanOrEqual(65536);
      }),
    );
  });

  it('df usage of any statfs answer gives finite, valid values', () => {
    const n = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    fc.assert(
      fc.property(n, n, n, n, n, n, (bsize, blocks, bfree, bavail, files, ffree) => {
        const batch = new PointBatch(1_700_000_000);
        usagePoints(
          { device: 'd', mountPoint: '/m', fsType: 'xfs' },
          { bsize, blocks, bfree, bavail, files, ffree },
          batch,
        );
        expectValid(batch.points);
      }),
    );
  });
});
