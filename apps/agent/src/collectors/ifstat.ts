import type { DataPoint } from '@otsdb/protocol';
import { checkRoot, resolveContext, resolveInterval, timestampSeconds } from './context.js';
import { CollectorError } from './errors.js';
import { parseInteger } from './kernel-number.js';
import { PointBatch } from './point-batch.js';
import { fields, readOptional } from './read-proc.js';
import type { CollectContext, Collector, CommonCollectorOptions } from './types.js';

export interface IfStatOptions extends CommonCollectorOptions {
  /**
   * Interfaces to leave out. Default {@link DEFAULT_EXCLUDED_INTERFACES}: bonds, as tcollector
   * does, because the kernel still counts the traffic on the enslaved interfaces and a bond would
   * count it twice. `null` excludes nothing.
   */
  exclude?: RegExp | string | null;
  /**
   * When set, only interfaces matching it are collected (then `exclude` still applies). Pass
   * {@link CLASSIC_PHYSICAL_INTERFACES} for tcollector's older allowlist of physical NIC names,
   * which keeps per-container veth interfaces out of the TSD.
   */
  include?: RegExp | string;
}

export const DEFAULT_EXCLUDED_INTERFACES = /^bond/;

/**
 * tcollector's allowlist before 2018: ethN/etN, emN, pNpN and systemd's predictable names
 * (en/sl/wl/ww + bus location), nothing virtual.
 */
export const CLASSIC_PHYSICAL_INTERFACES =
  /^(?:eth?\d+|em\d+(?:_\d+(?:\/\d+)?)?|p\d+p\d+(?:_\d+(?:\/\d+)?)?|(?:en|sl|wl|ww)(?:b\d+|c[0-9a-f]+|o\d+(?:d\d+)?|s\d+(?:f\d+)?(?:d\d+)?|x[0-9a-f]+|p\d+s\d+(?:f\d+)?(?:d\d+)?|p\d+s\d+(?:f\d+)?(?:u\d+)*(?:c\d+)?(?:i\d+)?))$/;

/** /proc/net/dev columns in order: 8 received, then 8 transmitted; tcollector's classic names. */
const FIELDS = [
  'bytes',
  'packets',
  'errs',
  'dropped',
  'fifo.errs',
  'frame.errs',
  'compressed',
  'multicast',
  'bytes',
  'packets',
  'errs',
  'dropped',
  'fifo.errs',
  'collisions',
  'carrier.errs',
  'compressed',
] as const;

export interface InterfaceFilter {
  include?: RegExp | undefined;
  exclude?: RegExp | undefined;
}

/** /proc/net/dev as `proc.net.<field>` with `iface` and `direction=in|out`. */
export function netDevPoints(text: string, batch: PointBatch, filter: InterfaceFilter = {}): void {
  for (const line of text.split('\n')) {
    // The name ends at the first colon (the kernel refuses colons in names); with wide counters
    // old kernels print no blank after it (`eth0:123456789`).
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const iface = line.slice(0, colon).trim();
    if (iface === '' || /\s/.test(iface)) continue;
    if (filter.include && !filter.include.test(iface)) continue;
    if (filter.exclude?.test(iface)) continue;
    const cols = fields(line.slice(colon + 1));
    if (cols.length < FIELDS.length) continue;
    const counters = cols.slice(0, FIELDS.length);
    if (counters.some((c) => !/^\d+$/.test(c))) continue;
    counters.forEach((counter, i) => {
      batch.add(`proc.net.${FIELDS[i]}`, parseInteger(counter), { iface, direction: i < 8 ? 'in' : 'out' });
    });
  }
}

function compile(option: string, value: RegExp | string | null | undefined): RegExp | undefined {
  if (value === undefined || value === null) return undefined;
  try {
    // Without g/y: test() on such a RegExp remembers lastIndex and would skip every other match.
    return value instanceof RegExp
      ? new RegExp(value.source, value.flags.replace(/[gy]/g, ''))
      : new RegExp(value);
  } catch (cause) {
    throw new CollectorError(
      `ifstat: ${option} is not a valid regular expression: ${JSON.stringify(value)}`,
      {
        cause,
      },
    );
  }
}

/** tcollector's ifstat: per-interface traffic and error counters from /proc/net/dev. */
export function createIfStat(options: IfStatOptions = {}): Collector {
  checkRoot('ifstat', 'procRoot', options.procRoot);
  const intervalSeconds = resolveInterval('ifstat', options.intervalSeconds, 15);
  const filter: InterfaceFilter = {
    include: compile('include', options.include),
    exclude:
      options.exclude === undefined ? DEFAULT_EXCLUDED_INTERFACES : compile('exclude', options.exclude),
  };
  return {
    name: 'ifstat',
    intervalSeconds,
    async collect(partial?: Partial<CollectContext>): Promise<DataPoint[]> {
      const ctx = resolveContext(partial, options);
      const text = await readOptional(`${ctx.procRoot}/net/dev`);
      const batch = new PointBatch(timestampSeconds(ctx));
      if (text !== undefined) netDevPoints(text, batch, filter);
      return batch.points;
    },
  };
}
