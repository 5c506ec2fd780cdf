import type { DataPoint } from '@otsdb/protocol';
import { checkRoot, resolveContext, resolveInterval, timestampSeconds } from './context.js';
import { CollectorError } from './errors.js';
import { integerValue, parseDecimal, parseInteger, scaleInteger } from './kernel-number.js';
import { PointBatch } from './point-batch.js';
import { fields, listOptional, readOptional } from './read-proc.js';
import type { CollectContext, Collector, CommonCollectorOptions } from './types.js';

/**
 * How the columns of the `cpu` lines of /proc/stat are named in the `type` tag.
 * - `kernel` (default): as proc(5) names them: user nice system idle iowait irq softirq steal
 *   guest guest_nice.
 * - `tcollector`: tcollector's list, which skips `steal`: column 8 (steal) is tagged `guest`,
 *   column 9 (guest) `guest_nice`, and column 10 is dropped. Only for sites whose dashboards were
 *   built on those series.
 */
export type CpuTypeLabels = 'kernel' | 'tcollector';

export interface ProcStatsOptions extends CommonCollectorOptions {
  /** Default `kernel`. */
  cpuTypeLabels?: CpuTypeLabels;
  /**
   * `proc.interrupts` and `proc.softirqs` (one series per CPU and source) are sent on every N-th
   * collection, as tcollector does (every 4th), to keep their volume down. 0 turns them off.
   * Default 4.
   */
  interruptsEvery?: number;
}

const KERNEL_CPU_TYPES = [
  'user',
  'nice',
  'system',
  'idle',
  'iowait',
  'irq',
  'softirq',
  'steal',
  'guest',
  'guest_nice',
] as const;
// tcollector's list has no `steal`, so the later columns shift onto its names (see CpuTypeLabels).
const TCOLLECTOR_CPU_TYPES = KERNEL_CPU_TYPES.filter((t) => t !== 'steal');

const VMSTAT_KEYS = new Set(['pgpgin', 'pgpgout', 'pswpin', 'pswpout', 'pgfault', 'pgmajfault']);

const KIB = 1024n;
const CPU_LIST = /^[-0-9,]+$/;
// A cpuset list never names more CPUs than this; a bigger range is a corrupt file, not a machine.
const MAX_CPUS = 65536;

export function uptimePoints(text: string, batch: PointBatch): void {
  const [total, idle] = fields(text.split('\n', 1)[0] ?? '');
  if (total === undefined || idle === undefined) return;
  batch.add('proc.uptime.total', parseDecimal(total));
  batch.add('proc.uptime.now', parseDecimal(idle));
}

const MEMINFO_LINE = /^([^\s:]+):\s+(\d+)(?:\s+(\w+))?/;

/** Every line of /proc/meminfo, names lower-cased with non-word characters as `_`, kB as bytes. */
export function meminfoPoints(text: string, batch: PointBatch): void {
  for (const line of text.split('\n')) {
    const m = MEMINFO_LINE.exec(line);
    if (!m) continue;
    const name = m[1]!
      .replace(/\W/g, '_')
      .toLowerCase()
      .replace(/^_+|_+$/g, '');
    if (name === '') continue;
    const value = m[3]?.toLowerCase() === 'kb' ? scaleInteger(m[2]!, KIB) : parseInteger(m[2]!);
    batch.add(`proc.meminfo.${name}`, value);
  }
}

export function vmstatPoints(text: string, batch: PointBatch): void {
  for (const line of text.split('\n')) {
    const [key, value] = fields(line);
    if (key !== undefined && value !== undefined && VMSTAT_KEYS.has(key)) {
      batch.add(`proc.vmstat.${key}`, parseInteger(value));
    }
  }
}

/** `cpu0` -> cpuset name, from the cpuset cgroup hierarchy (absent: every CPU is `cpuset=none`). */
export type CpuSets = ReadonlyMap<string, string>;

export function statPoints(
  text: string,
  batch: PointBatch,
  cpuSets: CpuSets = new Map(),
  labels: CpuTypeLabels = 'kernel',
): void {
  const types = labels === 'kernel' ? KERNEL_CPU_TYPES : TCOLLECTOR_CPU_TYPES;
  for (const line of text.split('\n')) {
    const cols = fields(line);
    const key = cols[0];
    if (key === undefined || cols.length < 2) continue;
    if (key.startsWith('cpu')) {
      const cpu = /^cpu(\d+)$/.exec(key)?.[1];
      if (key !== 'cpu' && cpu === undefined) continue;
      // Old kernels print fewer columns (no steal before 2.6.11, no guest before 2.6.24).
      const counters = cols.slice(1, 1 + types.length);
      if (counters.some((c) => !/^\d+$/.test(c))) continue;
      for (const [i, counter] of counters.entries()) {
        const value = parseInteger(counter);
        if (cpu === undefined) {
          batch.add('proc.stat.cpu', value, { type: types[i]! });
        } else {
          batch.add('proc.stat.cpu.percpu', value, {
            type: types[i]!,
            cpu,
            cpuset: cpuSets.get(cpu) ?? 'none',
          });
        }
      }
    } else if (key === 'intr') {
      // Only the total: the per-IRQ columns are hundreds of mostly-zero numbers.
      batch.add('proc.stat.intr', parseInteger(cols[1]!));
    } else if (key === 'ctxt' || key === 'processes' || key === 'procs_blocked') {
      batch.add(`proc.stat.${key}`, parseInteger(cols[1]!));
    }
  }
}

const LOADAVG = /^(\S+)\s+(\S+)\s+(\S+)\s+(\d+)\/(\d+)\s/;

export function loadavgPoints(text: string, batch: PointBatch): void {
  const m = LOADAVG.exec(text);
  if (!m) return;
  batch.add('proc.loadavg.1min', parseDecimal(m[1]!));
  batch.add('proc.loadavg.5min', parseDecimal(m[2]!));
  batch.add('proc.loadavg.15min', parseDecimal(m[3]!));
  batch.add('proc.loadavg.runnable', parseInteger(m[4]!));
  batch.add('proc.loadavg.total_threads', parseInteger(m[5]!));
}

export function entropyPoints(text: string, batch: PointBatch): void {
  batch.add('proc.kernel.entropy_avail', parseInteger(text.trim()));
}

/** Number of CPU columns announced by the header line of /proc/interrupts or /proc/softirqs. */
function cpuColumns(header: string | undefined): number {
  return header === undefined ? 0 : fields(header).filter((c) => /^CPU\d+$/.test(c)).length;
}

/**
 * /proc/interrupts summed per source and CPU, tcollector's way: named sources (LOC, NMI, RES...)
 * are kept; numbered IRQs only when they belong to a network card (MSI, described as eth*), named
 * after the queue with its trailing number cut (eth0-TxRx-3 -> eth0-TxRx).
 */
export function interruptsPoints(text: string, batch: PointBatch): void {
  const lines = text.split('\n');
  const cpus = cpuColumns(lines[0]);
  const sums = new Map<string, { type: string; cpu: number; value: bigint }>();
  for (const line of lines.slice(1)) {
    const cols = fields(line);
    const first = cols[0];
    if (first === undefined) continue;
    let source = first.replace(/:$/, '');
    if (!/^[A-Za-z0-9]+$/.test(source)) continue;
    if (/^\d+$/.test(source)) {
      const description = cols.at(-1) ?? '';
      const trigger = cols.at(-2) ?? '';
      // Old kernels print `PCI-MSI-edge eth0`, newer `IR-PCI-MSI 524288-edge eth0-TxRx-0`.
      const msi =
        trigger === 'PCI-MSI-edge' || (trigger.endsWith('-edge') && cols.some((c) => c.includes('PCI-MSI')));
      if (!msi || !description.includes('eth')) continue;
      source = description;
    }
    source = source.replace(/^(.*)-\d+$/, '$1');
    for (let cpu = 0; cpu < cpus && cpu + 1 < cols.length; cpu++) {
      const count = cols[cpu + 1]!;
      if (!/^\d{1,20}$/.test(count)) break;
      const key = `${source}\u0000${cpu}`;
      const entry = sums.get(key);
      if (entry) entry.value += BigInt(count);
      else sums.set(key, { type: source, cpu, value: BigInt(count) });
    }
  }
  for (const { type, cpu, value } of sums.values()) {
    batch.add('proc.interrupts', integerValue(value), { type, cpu: String(cpu) });
  }
}

export function softirqsPoints(text: string, batch: PointBatch): void {
  const lines = text.split('\n');
  const cpus = cpuColumns(lines[0]);
  for (const line of lines.slice(1)) {
    const cols = fields(line);
    const first = cols[0];
    if (first === undefined || !first.endsWith(':')) continue;
    const type = first.slice(0, -1);
    if (type === '') continue;
    for (let cpu = 0; cpu < cpus && cpu + 1 < cols.length; cpu++) {
      const value = parseInteger(cols[cpu + 1]!);
      if (value === undefined) break;
      batch.add('proc.softirqs', value, { type, cpu: String(cpu) });
    }
  }
}

/** /sys/devices/system/node/node<N>/numastat as tcollector's sys.numa.* series. */
export function numaPoints(node: string, text: string, batch: PointBatch): void {
  const stats = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [key, value] = fields(line);
    if (key !== undefined && value !== undefined) stats.set(key, value);
  }
  const add = (metric: string, stat: string, type?: string): void => {
    const raw = stats.get(stat);
    if (raw === undefined) return;
    batch.add(metric, parseInteger(raw), type === undefined ? { node } : { node, type });
  };
  add('sys.numa.zoneallocs', 'numa_hit', 'hit');
  add('sys.numa.zoneallocs', 'numa_miss', 'miss');
  // Separate metric: summing hit + miss + foreign would count every miss twice.
  add('sys.numa.foreign_allocs', 'numa_foreign');
  add('sys.numa.allocation', 'local_node', 'local');
  add('sys.numa.allocation', 'other_node', 'remote');
  add('sys.numa.interleave', 'interleave_hit', 'hit');
}

/** `0-3,8,10-11` -> the CPU numbers; undefined when the list is malformed or absurdly large. */
export function expandCpuList(list: string): number[] | undefined {
  // A cpuset without CPUs has an empty list.
  if (list === '') return [];
  if (!CPU_LIST.test(list)) return undefined;
  const out: number[] = [];
  for (const part of list.split(',')) {
    if (part === '') continue;
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!range) return undefined;
    const low = Number(range[1]);
    const high = range[2] === undefined ? low : Number(range[2]);
    if (high < low || out.length + (high - low + 1) > MAX_CPUS) return undefined;
    for (let c = low; c <= high; c++) out.push(c);
  }
  return out;
}

async function readCpuSets(sysRoot: string): Promise<Map<string, string>> {
  const root = `${sysRoot}/fs/cgroup/cpuset`;
  const cpuToSet = new Map<string, string>();
  const entries = await listOptional(root);
  if (!entries) return cpuToSet;
  const sets = entries.filter((e) => e.isDirectory);
  const files = await Promise.all(
    sets.map(
      async (e) =>
        (await readOptional(`${root}/${e.name}/cpuset.cpus`)) ??
        (await readOptional(`${root}/${e.name}/cpus`)),
    ),
  );
  sets.forEach((set, i) => {
    for (const line of (files[i] ?? '').split('\n')) {
      for (const cpu of expandCpuList(line.trim()) ?? []) cpuToSet.set(String(cpu), set.name);
    }
  });
  return cpuToSet;
}

async function scalingPoints(sysRoot: string, batch: PointBatch): Promise<void> {
  const root = `${sysRoot}/devices/system/cpu`;
  const cpus = ((await listOptional(root)) ?? [])
    .map((e) => /^cpu(\d+)$/.exec(e.name)?.[1])
    .filter((n): n is string => n !== undefined)
    .sort((a, b) => Number(a) - Number(b));
  const read = (cpu: string, file: string): Promise<string | undefined> =>
    readOptional(`${root}/cpu${cpu}/cpufreq/${file}`);
  const perCpu = await Promise.all(
    cpus.map(async (cpu) => {
      const cur = await read(cpu, 'scaling_cur_freq');
      if (cur === undefined) return undefined;
      const [min, max] = await Promise.all([read(cpu, 'cpuinfo_min_freq'), read(cpu, 'cpuinfo_max_freq')]);
      return { cpu, min, max, cur };
    }),
  );
  const present = perCpu.filter((c) => c !== undefined);
  for (const key of ['min', 'max', 'cur'] as const) {
    for (const c of present) {
      const raw = c[key];
      if (raw !== undefined) batch.add(`proc.scaling.${key}`, parseInteger(raw.trim()), { cpu: c.cpu });
    }
  }
}

async function numaNodes(sysRoot: string, batch: PointBatch): Promise<void> {
  const root = `${sysRoot}/devices/system/node`;
  const nodes = ((await listOptional(root)) ?? [])
    .map((e) => /^node(\d+)$/.exec(e.name)?.[1])
    .filter((n): n is string => n !== undefined)
    .sort((a, b) => Number(a) - Number(b));
  const texts = await Promise.all(nodes.map((n) => readOptional(`${root}/node${n}/numastat`)));
  nodes.forEach((node, i) => {
    const text = texts[i];
    if (text !== undefined) numaPoints(node, text, batch);
  });
}

/**
 * tcollector's procstats: uptime, meminfo, vmstat, /proc/stat, load average, entropy, NUMA
 * allocations, CPU frequencies, and (every few collections) interrupts and softirqs.
 */
export function createProcStats(options: ProcStatsOptions = {}): Collector {
  checkRoot('procstats', 'procRoot', options.procRoot);
  checkRoot('procstats', 'sysRoot', options.sysRoot);
  const intervalSeconds = resolveInterval('procstats', options.intervalSeconds, 15);
  const labels = options.cpuTypeLabels ?? 'kernel';
  if (labels !== 'kernel' && labels !== 'tcollector') {
    throw new CollectorError(
      `procstats: cpuTypeLabels must be 'kernel' or 'tcollector', got ${String(labels)}`,
    );
  }
  const every = options.interruptsEvery ?? 4;
  if (!Number.isInteger(every) || every < 0) {
    throw new CollectorError(`procstats: interruptsEvery must be an integer >= 0, got ${every}`);
  }
  let iteration = 0;

  return {
    name: 'procstats',
    intervalSeconds,
    async collect(partial?: Partial<CollectContext>): Promise<DataPoint[]> {
      const ctx = resolveContext(partial, options);
      const withIrqs = every > 0 && iteration % every === 0;
      iteration++;
      const proc = ctx.procRoot;
      const [uptime, meminfo, vmstat, stat, loadavg, entropy, interrupts, softirqs, cpuSets] =
        await Promise.all([
          readOptional(`${proc}/uptime`),
          readOptional(`${proc}/meminfo`),
          readOptional(`${proc}/vmstat`),
          readOptional(`${proc}/stat`),
          readOptional(`${proc}/loadavg`),
          readOptional(`${proc}/sys/kernel/random/entropy_avail`),
          withIrqs ? readOptional(`${proc}/interrupts`) : undefined,
          withIrqs ? readOptional(`${proc}/softirqs`) : undefined,
          readCpuSets(ctx.sysRoot),
        ]);
      const batch = new PointBatch(timestampSeconds(ctx));
      if (uptime !== undefined) uptimePoints(uptime, batch);
      if (meminfo !== undefined) meminfoPoints(meminfo, batch);
      if (vmstat !== undefined) vmstatPoints(vmstat, batch);
      if (stat !== undefined) statPoints(stat, batch, cpuSets, labels);
      if (loadavg !== undefined) loadavgPoints(loadavg, batch);
      if (entropy !== undefined) entropyPoints(entropy, batch);
      if (interrupts !== undefined) interruptsPoints(interrupts, batch);
      if (softirqs !== undefined) softirqsPoints(softirqs, batch);
      await numaNodes(ctx.sysRoot, batch);
      await scalingPoints(ctx.sysRoot, batch);
      return batch.points;
    },
  };
}
