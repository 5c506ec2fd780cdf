import type { DataPoint, Tags } from '@otsdb/protocol';
import { checkRoot, resolveContext, resolveInterval, timestampSeconds } from './context.js';
import { CollectorError } from './errors.js';
import { integerValue, parseBigInt, parseInteger, scaleInteger } from './kernel-number.js';
import { PointBatch } from './point-batch.js';
import { fields, forEachLineOptional, readOptional } from './read-proc.js';
import type { CollectContext, Collector, CommonCollectorOptions } from './types.js';

export interface NetStatOptions extends CommonCollectorOptions {
  /**
   * Bytes per memory page, to turn the page counts of /proc/net/sockstat into bytes. Default:
   * read once from `<procRoot>/self/smaps` (KernelPageSize), else 4096.
   */
  pageSize?: number;
  /**
   * Count TCP sockets per state from /proc/net/tcp and tcp6 (`net.tcp_state.*`), as tcollector
   * does. It reads one line per socket; turn it off on hosts with very many connections.
   * Default true.
   */
  tcpStates?: boolean;
}

type SockstatRule = readonly [label: string, key: string, metric: string, tags: Tags, inPages?: boolean];

/**
 * /proc/net/sockstat and sockstat6 fields -> tcollector's series. `sockets: used` is left out as
 * tcollector does (it counts some socket types and not others). The IPv6 rows are not in
 * tcollector; they follow its names with `6` types.
 */
const SOCKSTAT_RULES: readonly SockstatRule[] = [
  ['TCP', 'alloc', 'num_sockets', { type: 'tcp' }],
  ['TCP', 'tw', 'num_timewait', {}],
  ['TCP', 'inuse', 'sockets_inuse', { type: 'tcp' }],
  ['UDP', 'inuse', 'sockets_inuse', { type: 'udp' }],
  ['UDPLITE', 'inuse', 'sockets_inuse', { type: 'udplite' }],
  ['RAW', 'inuse', 'sockets_inuse', { type: 'raw' }],
  ['TCP6', 'inuse', 'sockets_inuse', { type: 'tcp6' }],
  ['UDP6', 'inuse', 'sockets_inuse', { type: 'udp6' }],
  ['UDPLITE6', 'inuse', 'sockets_inuse', { type: 'udplite6' }],
  ['RAW6', 'inuse', 'sockets_inuse', { type: 'raw6' }],
  ['TCP', 'orphan', 'num_orphans', {}],
  ['TCP', 'mem', 'memory', { type: 'tcp' }, true],
  ['UDP', 'mem', 'memory', { type: 'udp' }, true],
  ['FRAG', 'memory', 'memory', { type: 'ipfrag' }],
  ['FRAG6', 'memory', 'memory', { type: 'ip6frag' }],
  ['FRAG', 'inuse', 'ipfragqueues', {}],
  ['FRAG6', 'inuse', 'ipfragqueues', { type: 'ip6frag' }],
];

/** `LABEL: key value key value` lines -> label -> key -> value text. */
function parseSockstat(text: string, into: Map<string, Map<string, string>>): void {
  for (const line of text.split('\n')) {
    const cols = fields(line);
    const label = cols[0];
    if (label === undefined || !label.endsWith(':')) continue;
    const values = new Map<string, string>();
    for (let i = 1; i + 1 < cols.length; i += 2) values.set(cols[i]!, cols[i + 1]!);
    into.set(label.slice(0, -1), values);
  }
}

/** /proc/net/sockstat (and sockstat6 when given) as `net.sockstat.*`; memory in bytes. */
export function sockstatPoints(
  sockstat: string | undefined,
  sockstat6: string | undefined,
  batch: PointBatch,
  pageSize: number,
): void {
  const table = new Map<string, Map<string, string>>();
  if (sockstat !== undefined) parseSockstat(sockstat, table);
  if (sockstat6 !== undefined) parseSockstat(sockstat6, table);
  const page = BigInt(pageSize);
  for (const [label, key, metric, tags, inPages] of SOCKSTAT_RULES) {
    const raw = table.get(label)?.get(key);
    if (raw === undefined) continue;
    batch.add(`net.sockstat.${metric}`, inPages ? scaleInteger(raw, page) : parseInteger(raw), tags);
  }
}

type StatRule = readonly [stat: string, metric: string, tags: Tags];

/** Which section of /proc/net/netstat and /proc/net/snmp feeds which `net.stat.<type>` family. */
const SECTIONS: Readonly<Record<string, 'tcp' | 'udp'>> = { TcpExt: 'tcp', Tcp: 'tcp', Udp: 'udp' };

/** tcollector's selection and naming (its netstat.py explains each counter). */
const STAT_RULES: Readonly<Record<'tcp' | 'udp', readonly StatRule[]>> = {
  tcp: [
    ['SyncookiesSent', 'syncookies', { type: 'sent' }],
    ['SyncookiesRecv', 'syncookies', { type: 'received' }],
    ['SyncookiesFailed', 'syncookies', { type: 'failed' }],
    ['OfoPruned', 'memory.prune', { type: 'drop_ofo_queue' }],
    ['RcvPruned', 'memory.prune', { type: 'drop_received' }],
    ['DelayedACKs', 'delayedack', { type: 'sent' }],
    ['DelayedACKLocked', 'delayedack', { type: 'locked' }],
    ['DelayedACKLost', 'delayedack', { type: 'lost' }],
    ['ListenOverflows', 'failed_accept', { reason: 'full_acceptq' }],
    ['ListenDrops', 'failed_accept', { reason: 'other' }],
    ['TCPForwardRetrans', 'retransmit', { type: 'forward' }],
    ['TCPFastRetrans', 'retransmit', { type: 'fast' }],
    ['TCPSlowStartRetrans', 'retransmit', { type: 'slowstart' }],
    ['TCPRenoRecovery', 'packetloss.recovery', { type: 'fast_retransmit' }],
    ['TCPSackRecovery', 'packetloss.recovery', { type: 'sack' }],
    ['TCPFACKReorder', 'reording', { detectedby: 'fack' }],
    ['TCPSACKReorder', 'reording', { detectedby: 'sack' }],
    ['TCPRenoReorder', 'reording', { detectedby: 'fast_retransmit' }],
    ['TCPTSReorder', 'reording', { detectedby: 'timestamp' }],
    ['TCPFullUndo', 'congestion.recovery', { type: 'full_undo' }],
    ['TCPPartialUndo', 'congestion.recovery', { type: 'hoe_heuristic' }],
    ['TCPDSACKUndo', 'congestion.recovery', { type: 'sack' }],
    ['TCPLossUndo', 'congestion.recovery', { type: 'ack' }],
    ['TCPAbortOnSyn', 'abort', { type: 'unexpected_syn' }],
    ['TCPAbortOnData', 'abort', { type: 'data_after_fin_wait1' }],
    ['TCPAbortOnClose', 'abort', { type: 'data_after_close' }],
    ['TCPAbortOnMemory', 'abort', { type: 'out_of_memory' }],
    ['TCPAbortOnTimeout', 'abort', { type: 'timeout' }],
    ['TCPAbortOnLinger', 'abort', { type: 'linger' }],
    ['TCPAbortFailed', 'abort.failed', {}],
    ['TCPMemoryPressures', 'memory.pressure', {}],
    ['TCPSACKDiscard', 'invalid_sack', { type: 'invalid' }],
    ['TCPDSACKIgnoredOld', 'invalid_sack', { type: 'retransmit' }],
    ['TCPDSACKIgnoredNoUndo', 'invalid_sack', { type: 'olddup' }],
    ['TCPBacklogDrop', 'receive.queue.full', {}],
    ['OutRsts', 'resets', { direction: 'out' }],
    ['InErrs', 'errors', { direction: 'in' }],
  ],
  udp: [
    ['InDatagrams', 'datagrams', { direction: 'in' }],
    ['NoPorts', 'errors', { direction: 'in', reason: 'noport' }],
    ['InErrors', 'errors', { direction: 'in', reason: 'other' }],
    ['OutDatagrams', 'datagrams', { direction: 'out' }],
    ['RcvbufErrors', 'errors', { direction: 'in', reason: 'nomem' }],
    ['SndbufErrors', 'errors', { direction: 'out', reason: 'nomem' }],
  ],
};

/**
 * One of /proc/net/netstat or /proc/net/snmp: pairs of lines, a header naming the counters and
 * a line of values with the same `Section:` label. A pair that does not line up is skipped.
 */
export function netstatPoints(text: string, batch: PointBatch): void {
  const stats: Record<'tcp' | 'udp', Map<string, bigint>> = { tcp: new Map(), udp: new Map() };
  const seen: ('tcp' | 'udp')[] = [];
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const header = fields(lines[i]!);
    const data = fields(lines[i + 1]!);
    const label = header[0];
    if (label === undefined || !label.endsWith(':') || data[0] !== label || header.length !== data.length)
      continue;
    // Both lines start alike: the first of a pair has names, the second numbers.
    if (header.slice(1).some((name) => parseBigInt(name) !== undefined)) continue;
    i++;
    const family = Object.hasOwn(SECTIONS, label.slice(0, -1)) ? SECTIONS[label.slice(0, -1)] : undefined;
    if (family === undefined) continue;
    if (!seen.includes(family)) seen.push(family);
    for (let j = 1; j < header.length; j++) {
      const value = parseBigInt(data[j]!);
      if (value !== undefined) stats[family].set(header[j]!, value);
    }
  }
  for (const family of seen) {
    const s = stats[family];
    // The kernel counts a ListenOverflows drop in ListenDrops too, and a RcvbufErrors drop in
    // InErrors too: tcollector reports the remainder as "other".
    const listenDrops = s.get('ListenDrops');
    const rcvbufErrors = s.get('RcvbufErrors');
    if (listenDrops !== undefined) s.set('ListenDrops', listenDrops - (s.get('ListenOverflows') ?? 0n));
    else if (rcvbufErrors !== undefined && s.has('InErrors'))
      s.set('InErrors', s.get('InErrors')! - rcvbufErrors);
    for (const [stat, metric, tags] of STAT_RULES[family]) {
      const value = s.get(stat);
      if (value !== undefined) batch.add(`net.stat.${family}.${metric}`, integerValue(value), tags);
    }
  }
}

/** The `st` column of /proc/net/tcp{,6} (include/net/tcp_states.h) -> tcollector's state name. */
const TCP_STATES: ReadonlyMap<string, string> = new Map([
  ['01', 'established'],
  ['02', 'syn_sent'],
  ['03', 'syn_recv'],
  ['04', 'fin_wait1'],
  ['05', 'fin_wait2'],
  ['06', 'time_wait'],
  ['07', 'close'],
  ['08', 'close_wait'],
  ['09', 'last_ack'],
  ['0A', 'listen'],
  ['0B', 'closing'],
  ['0C', 'new_syn_recv'],
]);

/** Counts sockets per state, fed one line of /proc/net/tcp or tcp6 at a time. */
export class TcpStateCounter {
  private readonly counts = new Map<string, number>([...TCP_STATES.values()].map((s) => [s, 0]));

  line(line: string): void {
    const state = TCP_STATES.get(fields(line)[3] ?? '');
    if (state !== undefined) this.counts.set(state, this.counts.get(state)! + 1);
  }

  /** Every state, zeros included, as `net.tcp_state.<state>` with `type=` tcp or tcp6. */
  points(type: 'tcp' | 'tcp6', batch: PointBatch): void {
    for (const [state, count] of this.counts) batch.add(`net.tcp_state.${state}`, count, { type });
  }
}

async function countTcpStates(path: string, type: 'tcp' | 'tcp6', batch: PointBatch): Promise<void> {
  const counter = new TcpStateCounter();
  const read = await forEachLineOptional(path, (line) => {
    counter.line(line);
    return true;
  });
  if (read) counter.points(type, batch);
}

/** KernelPageSize of the first mapping in smaps, in bytes. */
export function pageSizeFromSmaps(text: string): number | undefined {
  const m = /^KernelPageSize:\s+(\d+) kB$/m.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

async function detectPageSize(procRoot: string): Promise<number> {
  // smaps of a big process is long; the first mapping's KernelPageSize comes within a few lines.
  let found: number | undefined;
  let seen = 0;
  await forEachLineOptional(`${procRoot}/self/smaps`, (line) => {
    found = pageSizeFromSmaps(line);
    return found === undefined && ++seen < 64;
  });
  return found ?? 4096;
}

/**
 * tcollector's netstat: socket counts and memory (`net.sockstat.*`), the TCP and UDP counters of
 * /proc/net/netstat and /proc/net/snmp (`net.stat.tcp.*`, `net.stat.udp.*`) and TCP sockets per
 * state (`net.tcp_state.*`).
 */
export function createNetStat(options: NetStatOptions = {}): Collector {
  checkRoot('netstat', 'procRoot', options.procRoot);
  const intervalSeconds = resolveInterval('netstat', options.intervalSeconds, 15);
  if (options.pageSize !== undefined && (!Number.isInteger(options.pageSize) || options.pageSize <= 0)) {
    throw new CollectorError(`netstat: pageSize must be a positive integer, got ${options.pageSize}`);
  }
  const tcpStates = options.tcpStates ?? true;
  let pageSize: Promise<number> | undefined =
    options.pageSize === undefined ? undefined : Promise.resolve(options.pageSize);

  return {
    name: 'netstat',
    intervalSeconds,
    async collect(partial?: Partial<CollectContext>): Promise<DataPoint[]> {
      const ctx = resolveContext(partial, options);
      const proc = ctx.procRoot;
      pageSize ??= detectPageSize(proc);
      const [sockstat, sockstat6, netstat, snmp, page] = await Promise.all([
        readOptional(`${proc}/net/sockstat`),
        readOptional(`${proc}/net/sockstat6`),
        readOptional(`${proc}/net/netstat`),
        readOptional(`${proc}/net/snmp`),
        pageSize,
      ]);
      const batch = new PointBatch(timestampSeconds(ctx));
      sockstatPoints(sockstat, sockstat6, batch, page);
      if (netstat !== undefined) netstatPoints(netstat, batch);
      if (snmp !== undefined) netstatPoints(snmp, batch);
      if (tcpStates) {
        await countTcpStates(`${proc}/net/tcp`, 'tcp', batch);
        await countTcpStates(`${proc}/net/tcp6`, 'tcp6', batch);
      }
      return batch.points;
    },
  };
}
