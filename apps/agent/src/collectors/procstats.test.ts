import { describe, expect, it } from 'vitest';
import { context, lines, TS } from './__fixtures__/lines.js';
import { CollectorError } from './errors.js';
import { PointBatch } from './point-batch.js';
import { createProcStats, expandCpuList, interruptsPoints, statPoints } from './procstats.js';

const T = String(TS);
const cpu = (type: string, value: number): string => `proc.stat.cpu ${T} ${value} type=${type}`;
const percpu = (n: number, cpuset: string, type: string, value: number): string =>
  `proc.stat.cpu.percpu ${T} ${value} cpu=${n} cpuset=${cpuset} type=${type}`;

const MODERN = [
  `proc.uptime.total ${T} 1298.09`,
  `proc.uptime.now ${T} 2436.17`,
  // kB values times 1024; HugePages_* have no unit and stay as they are.
  `proc.meminfo.memtotal ${T} 25276502016`,
  `proc.meminfo.memfree ${T} 24850300928`,
  `proc.meminfo.memavailable ${T} 24920420352`,
  `proc.meminfo.buffers ${T} 1617920`,
  `proc.meminfo.cached ${T} 252399616`,
  `proc.meminfo.active_anon ${T} 1605632`,
  `proc.meminfo.inactive_file ${T} 89440256`,
  `proc.meminfo.nfs_unstable ${T} 0`,
  `proc.meminfo.vmalloctotal ${T} 35184372087808`,
  `proc.meminfo.hugepages_total ${T} 0`,
  `proc.meminfo.hugepages_free ${T} 0`,
  `proc.meminfo.hugepagesize ${T} 2097152`,
  `proc.meminfo.directmap4k ${T} 31457280`,
  `proc.meminfo.directmap1g ${T} 25769803776`,
  `proc.vmstat.pgpgin ${T} 1361337`,
  `proc.vmstat.pgpgout ${T} 676568`,
  `proc.vmstat.pswpin ${T} 0`,
  `proc.vmstat.pswpout ${T} 0`,
  `proc.vmstat.pgfault ${T} 4692004`,
  `proc.vmstat.pgmajfault ${T} 1346`,
  cpu('user', 11789),
  cpu('nice', 0),
  cpu('system', 2964),
  cpu('idle', 243617),
  cpu('iowait', 338),
  cpu('irq', 0),
  cpu('softirq', 54),
  cpu('steal', 15),
  cpu('guest', 0),
  cpu('guest_nice', 0),
  percpu(0, 'none', 'user', 4588),
  percpu(0, 'none', 'nice', 0),
  percpu(0, 'none', 'system', 1156),
  percpu(0, 'none', 'idle', 123670),
  percpu(0, 'none', 'iowait', 28),
  percpu(0, 'none', 'irq', 0),
  percpu(0, 'none', 'softirq', 17),
  percpu(0, 'none', 'steal', 4),
  percpu(0, 'none', 'guest', 0),
  percpu(0, 'none', 'guest_nice', 0),
  percpu(1, 'batch', 'user', 7201),
  percpu(1, 'batch', 'nice', 0),
  percpu(1, 'batch', 'system', 1807),
  percpu(1, 'batch', 'idle', 119946),
  percpu(1, 'batch', 'iowait', 310),
  percpu(1, 'batch', 'irq', 0),
  percpu(1, 'batch', 'softirq', 37),
  percpu(1, 'batch', 'steal', 10),
  percpu(1, 'batch', 'guest', 0),
  percpu(1, 'batch', 'guest_nice', 0),
  `proc.stat.intr ${T} 309396`,
  `proc.stat.ctxt ${T} 666776`,
  `proc.stat.processes ${T} 11749`,
  `proc.stat.procs_blocked ${T} 0`,
  `proc.loadavg.1min ${T} 0.48`,
  `proc.loadavg.5min ${T} 0.26`,
  `proc.loadavg.15min ${T} 0.11`,
  `proc.loadavg.runnable ${T} 3`,
  `proc.loadavg.total_threads ${T} 96`,
  `proc.kernel.entropy_avail ${T} 256`,
  // Two queues of eth0 summed after cutting the queue number; virtio and ACPI IRQs left out.
  `proc.interrupts ${T} 1210 cpu=0 type=eth0-TxRx`,
  `proc.interrupts ${T} 2430 cpu=1 type=eth0-TxRx`,
  `proc.interrupts ${T} 7 cpu=0 type=eth1`,
  `proc.interrupts ${T} 9 cpu=1 type=eth1`,
  `proc.interrupts ${T} 0 cpu=0 type=NMI`,
  `proc.interrupts ${T} 0 cpu=1 type=NMI`,
  `proc.interrupts ${T} 59205 cpu=0 type=LOC`,
  `proc.interrupts ${T} 71344 cpu=1 type=LOC`,
  `proc.interrupts ${T} 16969 cpu=0 type=RES`,
  `proc.interrupts ${T} 15544 cpu=1 type=RES`,
  `proc.interrupts ${T} 0 cpu=0 type=ERR`,
  `proc.softirqs ${T} 0 cpu=0 type=HI`,
  `proc.softirqs ${T} 0 cpu=1 type=HI`,
  `proc.softirqs ${T} 14639 cpu=0 type=TIMER`,
  `proc.softirqs ${T} 18132 cpu=1 type=TIMER`,
  `proc.softirqs ${T} 3283 cpu=0 type=NET_RX`,
  `proc.softirqs ${T} 4227 cpu=1 type=NET_RX`,
  `proc.softirqs ${T} 0 cpu=0 type=BLOCK`,
  `proc.softirqs ${T} 42400 cpu=1 type=BLOCK`,
  `sys.numa.zoneallocs ${T} 4330691 node=0 type=hit`,
  `sys.numa.zoneallocs ${T} 12 node=0 type=miss`,
  `sys.numa.foreign_allocs ${T} 34 node=0`,
  `sys.numa.allocation ${T} 4330600 node=0 type=local`,
  `sys.numa.allocation ${T} 91 node=0 type=remote`,
  `sys.numa.interleave ${T} 1135 node=0 type=hit`,
  `proc.scaling.min ${T} 800000 cpu=0`,
  `proc.scaling.min ${T} 800000 cpu=1`,
  `proc.scaling.max ${T} 3600000 cpu=0`,
  `proc.scaling.max ${T} 3600000 cpu=1`,
  `proc.scaling.cur ${T} 2400000 cpu=0`,
  `proc.scaling.cur ${T} 1800123 cpu=1`,
];

// A 2.6.18 kernel: 8 cpu columns (steal, no guest), no MemAvailable, `PCI-MSI-edge eth0`
// interrupts, no sysfs NUMA, cpufreq or cpuset.
const OLD_KERNEL = [
  `proc.uptime.total ${T} 8640000.52`,
  `proc.uptime.now ${T} 8500000.1`,
  `proc.meminfo.memtotal ${T} 4140466176`,
  `proc.meminfo.memfree ${T} 126418944`,
  `proc.meminfo.buffers ${T} 240196608`,
  `proc.meminfo.cached ${T} 1264196608`,
  `proc.meminfo.swapcached ${T} 0`,
  `proc.meminfo.active ${T} 2048000000`,
  `proc.meminfo.inactive ${T} 921600000`,
  `proc.meminfo.hightotal ${T} 0`,
  `proc.meminfo.highfree ${T} 0`,
  `proc.meminfo.lowtotal ${T} 4140466176`,
  `proc.meminfo.lowfree ${T} 126418944`,
  `proc.meminfo.swaptotal ${T} 2147475456`,
  `proc.meminfo.swapfree ${T} 2147475456`,
  `proc.meminfo.dirty ${T} 122880`,
  `proc.meminfo.hugepages_total ${T} 0`,
  `proc.meminfo.hugepages_free ${T} 0`,
  `proc.meminfo.hugepages_rsvd ${T} 0`,
  `proc.meminfo.hugepagesize ${T} 2097152`,
  `proc.vmstat.pgpgin ${T} 987654`,
  `proc.vmstat.pgpgout ${T} 876543`,
  `proc.vmstat.pswpin ${T} 12`,
  `proc.vmstat.pswpout ${T} 34`,
  `proc.vmstat.pgfault ${T} 55555555`,
  `proc.vmstat.pgmajfault ${T} 777`,
  cpu('user', 1000),
  cpu('nice', 20),
  cpu('system', 300),
  cpu('idle', 40000),
  cpu('iowait', 50),
  cpu('irq', 6),
  cpu('softirq', 7),
  cpu('steal', 8),
  percpu(0, 'none', 'user', 600),
  percpu(0, 'none', 'nice', 10),
  percpu(0, 'none', 'system', 200),
  percpu(0, 'none', 'idle', 20000),
  percpu(0, 'none', 'iowait', 30),
  percpu(0, 'none', 'irq', 6),
  percpu(0, 'none', 'softirq', 5),
  percpu(0, 'none', 'steal', 4),
  percpu(1, 'none', 'user', 400),
  percpu(1, 'none', 'nice', 10),
  percpu(1, 'none', 'system', 100),
  percpu(1, 'none', 'idle', 20000),
  percpu(1, 'none', 'iowait', 20),
  percpu(1, 'none', 'irq', 0),
  percpu(1, 'none', 'softirq', 2),
  percpu(1, 'none', 'steal', 4),
  `proc.stat.intr ${T} 123456`,
  `proc.stat.ctxt ${T} 9876543`,
  `proc.stat.processes ${T} 42424`,
  `proc.stat.procs_blocked ${T} 2`,
  `proc.loadavg.1min ${T} 1.05`,
  `proc.loadavg.5min ${T} 0.9`,
  `proc.loadavg.15min ${T} 0.75`,
  `proc.loadavg.runnable ${T} 2`,
  `proc.loadavg.total_threads ${T} 180`,
  `proc.kernel.entropy_avail ${T} 3712`,
  `proc.interrupts ${T} 500000 cpu=0 type=eth0`,
  `proc.interrupts ${T} 400000 cpu=1 type=eth0`,
  `proc.interrupts ${T} 1000 cpu=0 type=eth1`,
  `proc.interrupts ${T} 0 cpu=1 type=eth1`,
  `proc.interrupts ${T} 0 cpu=0 type=NMI`,
  `proc.interrupts ${T} 0 cpu=1 type=NMI`,
  `proc.interrupts ${T} 12000000 cpu=0 type=LOC`,
  `proc.interrupts ${T} 11000000 cpu=1 type=LOC`,
  `proc.interrupts ${T} 0 cpu=0 type=ERR`,
  `proc.interrupts ${T} 0 cpu=0 type=MIS`,
  `proc.softirqs ${T} 1 cpu=0 type=HI`,
  `proc.softirqs ${T} 2 cpu=1 type=HI`,
  `proc.softirqs ${T} 100 cpu=0 type=TIMER`,
  `proc.softirqs ${T} 200 cpu=1 type=TIMER`,
];

// Malformed lines are skipped, never the whole file; values beyond int64 are dropped; beyond
// 2^53 they stay exact (bigint, shown with `n`).
const ODD = [
  `proc.meminfo.memtotal ${T} 102400`,
  `proc.meminfo.active_anon ${T} 5120`,
  `proc.meminfo.foo_bar_baz ${T} 9`,
  `proc.meminfo.huge ${T} 9007199254740993n`,
  `proc.meminfo.unit ${T} 3`,
  `proc.vmstat.pgfault ${T} 12`,
  // cpu10/cpu11 beyond guest_nice are ignored; the cpuset with a bogus CPU range is ignored.
  percpu(0, 'legacy', 'user', 10),
  percpu(0, 'legacy', 'nice', 20),
  percpu(0, 'legacy', 'system', 30),
  percpu(0, 'legacy', 'idle', 40),
  percpu(0, 'legacy', 'iowait', 50),
  percpu(0, 'legacy', 'irq', 60),
  percpu(0, 'legacy', 'softirq', 70),
  percpu(0, 'legacy', 'steal', 80),
  percpu(0, 'legacy', 'guest', 90),
  percpu(0, 'legacy', 'guest_nice', 100),
  percpu(2, 'legacy', 'user', 1),
  percpu(2, 'legacy', 'nice', 2),
  percpu(2, 'legacy', 'system', 3),
  percpu(2, 'legacy', 'idle', 4),
  `proc.stat.processes ${T} 99999999999999999n`,
  `proc.stat.procs_blocked ${T} 3`,
  `proc.interrupts ${T} 5 cpu=0 type=LOC`,
  `proc.interrupts ${T} 1 cpu=0 type=RES`,
  `proc.interrupts ${T} 3 cpu=0 type=CAL`,
  `proc.interrupts ${T} 4 cpu=1 type=CAL`,
  `proc.softirqs ${T} 1 cpu=0 type=NET_TX`,
  `sys.numa.zoneallocs ${T} 10 node=1 type=hit`,
  `sys.numa.allocation ${T} 7 node=1 type=local`,
  `proc.scaling.cur ${T} 2000000 cpu=2`,
];

describe('procstats on recorded /proc trees', () => {
  it.each([
    ['modern', MODERN],
    ['old-kernel', OLD_KERNEL],
    ['odd', ODD],
    ['missing', []],
  ])('%s', async (name, expected) => {
    const points = await createProcStats().collect(context(name));
    expect(lines(points)).toEqual(expected);
  });

  it('keeps integers beyond 2^53 exact as bigint and everything else as numbers', async () => {
    const points = await createProcStats().collect(context('odd'));
    const huge = points.find((p) => p.metric === 'proc.meminfo.huge');
    expect(huge?.value).toBe(9007199254740993n);
    expect(points.find((p) => p.metric === 'proc.meminfo.memtotal')?.value).toBe(102400);
  });
});

describe('procstats options', () => {
  it("labels cpu columns tcollector's way on request (column 8 as guest, 10th dropped)", async () => {
    const points = await createProcStats({ cpuTypeLabels: 'tcollector' }).collect(context('modern'));
    expect(lines(points.filter((p) => p.metric === 'proc.stat.cpu'))).toEqual([
      cpu('user', 11789),
      cpu('nice', 0),
      cpu('system', 2964),
      cpu('idle', 243617),
      cpu('iowait', 338),
      cpu('irq', 0),
      cpu('softirq', 54),
      cpu('guest', 15),
      cpu('guest_nice', 0),
    ]);
  });

  it('sends interrupts and softirqs on every 4th collection by default, starting with the first', async () => {
    const collector = createProcStats();
    const seen: boolean[] = [];
    for (let i = 0; i < 6; i++) {
      const points = await collector.collect(context('modern'));
      const irq = points.some((p) => p.metric === 'proc.interrupts');
      expect(points.some((p) => p.metric === 'proc.softirqs')).toBe(irq);
      seen.push(irq);
    }
    expect(seen).toEqual([true, false, false, false, true, false]);
  });

  it('interruptsEvery: 1 sends them every time, 0 never', async () => {
    const every = createProcStats({ interruptsEvery: 1 });
    const never = createProcStats({ interruptsEvery: 0 });
    for (let i = 0; i < 3; i++) {
      expect((await every.collect(context('modern'))).some((p) => p.metric === 'proc.interrupts')).toBe(true);
      expect((await never.collect(context('modern'))).some((p) => p.metric === 'proc.interrupts')).toBe(
        false,
      );
    }
  });

  it('uses the factory roots when the context leaves them out', async () => {
    const ctx = context('modern');
    const collector = createProcStats({ procRoot: ctx.procRoot, sysRoot: ctx.sysRoot });
    expect(lines(await collector.collect({ now: ctx.now }))).toEqual(MODERN);
  });

  it.each([
    [{ cpuTypeLabels: 'linux' as never }, /cpuTypeLabels/],
    [{ interruptsEvery: -1 }, /interruptsEvery/],
    [{ interruptsEvery: 1.5 }, /interruptsEvery/],
    [{ intervalSeconds: 0 }, /intervalSeconds/],
    [{ procRoot: '' }, /procRoot/],
  ])('refuses bad options %j', (options, message) => {
    expect(() => createProcStats(options)).toThrow(CollectorError);
    expect(() => createProcStats(options)).toThrow(message);
  });

  it("has tcollector's 15 s interval unless told otherwise", () => {
    expect(createProcStats().intervalSeconds).toBe(15);
    expect(createProcStats({ intervalSeconds: 30 }).intervalSeconds).toBe(30);
  });
});

describe('procstats parsers', () => {
  it.each([
    ['cpu  1 2 3 4 5 6 7\n', ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq']],
    ['cpu  1 2 3 4\n', ['user', 'nice', 'system', 'idle']],
  ])('takes as many cpu columns as an old kernel prints: %j', (text, types) => {
    const batch = new PointBatch(1);
    statPoints(text, batch);
    expect(batch.points.map((p) => p.tags['type'])).toEqual(types);
  });

  it.each([
    ['0-3,8', [0, 1, 2, 3, 8]],
    ['5', [5]],
    ['', []],
    ['3-1', undefined],
    ['0-70000', undefined],
    ['a', undefined],
    ['1--2', undefined],
  ])('expands the cpu list %j', (list, expected) => {
    expect(expandCpuList(list)).toEqual(expected);
  });

  it('sums a network card IRQ across its queues and stops a line at a value that is not a count', () => {
    const batch = new PointBatch(1);
    interruptsPoints(
      [
        '      CPU0 CPU1',
        ' 70:  1 2  IR-PCI-MSI 1-edge  eth2-rx-0',
        ' 71:  3 4  IR-PCI-MSI 2-edge  eth2-rx-1',
        ' 72:  5 x  IR-PCI-MSI 3-edge  eth2-rx-2',
      ].join('\n'),
      batch,
    );
    expect(lines(batch.points)).toEqual([
      'proc.interrupts 1 9 cpu=0 type=eth2-rx',
      'proc.interrupts 1 6 cpu=1 type=eth2-rx',
    ]);
  });
});
