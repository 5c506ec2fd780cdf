import { createDfStat, type DfStatOptions } from './dfstat.js';
import { CollectorError } from './errors.js';
import { createIfStat, type IfStatOptions } from './ifstat.js';
import { createIoStat, type IoStatOptions } from './iostat.js';
import { createNetStat, type NetStatOptions } from './netstat.js';
import { createNfsStat, type NfsStatOptions } from './nfsstat.js';
import { createProcStats, type ProcStatsOptions } from './procstats.js';
import type { Collector, CommonCollectorOptions } from './types.js';

export const BUILTIN_COLLECTOR_NAMES = [
  'procstats',
  'ifstat',
  'iostat',
  'dfstat',
  'netstat',
  'nfsstat',
] as const;
export type BuiltinCollectorName = (typeof BUILTIN_COLLECTOR_NAMES)[number];

export interface BuiltinCollectorsOptions extends CommonCollectorOptions {
  /** Names of collectors not to run; an unknown name is a configuration error. */
  disabled?: readonly string[];
  /** Per-collector options; `procRoot`, `sysRoot` and `intervalSeconds` above apply to all unless set here. */
  procstats?: ProcStatsOptions;
  ifstat?: IfStatOptions;
  iostat?: IoStatOptions;
  dfstat?: DfStatOptions;
  netstat?: NetStatOptions;
  nfsstat?: NfsStatOptions;
}

function isBuiltinName(name: string): name is BuiltinCollectorName {
  return (BUILTIN_COLLECTOR_NAMES as readonly string[]).includes(name);
}

/**
 * The built-in collectors, in a fixed order, minus the disabled ones. Without `intervalSeconds`
 * each keeps tcollector's interval (60 s for iostat and dfstat, 15 s for the others).
 */
export function builtinCollectors(options: BuiltinCollectorsOptions = {}): Collector[] {
  const disabled = new Set<string>();
  for (const name of options.disabled ?? []) {
    const trimmed = name.trim();
    if (trimmed === '') continue;
    if (!isBuiltinName(trimmed)) {
      throw new CollectorError(
        `unknown built-in collector ${JSON.stringify(name)} in disabled; the built-in collectors are ${BUILTIN_COLLECTOR_NAMES.join(', ')}`,
      );
    }
    disabled.add(trimmed);
  }
  const common: CommonCollectorOptions = {};
  if (options.procRoot !== undefined) common.procRoot = options.procRoot;
  if (options.sysRoot !== undefined) common.sysRoot = options.sysRoot;
  if (options.intervalSeconds !== undefined) common.intervalSeconds = options.intervalSeconds;
  const factories: Record<BuiltinCollectorName, () => Collector> = {
    procstats: () => createProcStats({ ...common, ...options.procstats }),
    ifstat: () => createIfStat({ ...common, ...options.ifstat }),
    iostat: () => createIoStat({ ...common, ...options.iostat }),
    dfstat: () => createDfStat({ ...common, ...options.dfstat }),
    netstat: () => createNetStat({ ...common, ...options.netstat }),
    nfsstat: () => createNfsStat({ ...common, ...options.nfsstat }),
  };
  return BUILTIN_COLLECTOR_NAMES.filter((name) => !disabled.has(name)).map((name) => factories[name]());
}
