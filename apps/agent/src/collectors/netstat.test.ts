import { describe, expect, it } from 'vitest';
import { context, lines, TS } from './__fixtures__/lines.js';
import { CollectorError } from './errors.js';
import {
  createNetStat,
  netstatPoints,
  pageSizeFromSmaps,
  sockstatPoints,
  TcpStateCounter,
} from './netstat.js';
import { PointBatch } from './point-batch.js';

const T = String(TS);
const STATES = [
  'established',
  'syn_sent',
  'syn_recv',
  'fin_wait1',
  'fin_wait2',
  'time_wait',
  'close',
  'close_wait',
  'last_ack',
  'listen',
  'closing',
  'new_syn_recv',
];
/** All 12 states, zeros included, as tcollector reports them. */
const tcpStates = (type: string, counts: Record<string, number>): string[] =>
  STATES.map((s) => `net.tcp_state.${s} ${T} ${counts[s] ?? 0} type=${type}`);

const MODERN = [
  `net.sockstat.num_sockets ${T} 4 type=tcp`,
  `net.sockstat.num_timewait ${T} 3`,
  `net.sockstat.sockets_inuse ${T} 1 type=tcp`,
  `net.sockstat.sockets_inuse ${T} 5 type=udp`,
  `net.sockstat.sockets_inuse ${T} 0 type=udplite`,
  `net.sockstat.sockets_inuse ${T} 7 type=raw`,
  `net.sockstat.sockets_inuse ${T} 10 type=tcp6`,
  `net.sockstat.sockets_inuse ${T} 11 type=udp6`,
  `net.sockstat.sockets_inuse ${T} 0 type=udplite6`,
  `net.sockstat.sockets_inuse ${T} 12 type=raw6`,
  `net.sockstat.num_orphans ${T} 2`,
  // Pages times the 4 kB page size of smaps; FRAG memory is already in bytes.
  `net.sockstat.memory ${T} 1269760 type=tcp`,
  `net.sockstat.memory ${T} 24576 type=udp`,
  `net.sockstat.memory ${T} 9 type=ipfrag`,
  `net.sockstat.memory ${T} 14 type=ip6frag`,
  `net.sockstat.ipfragqueues ${T} 8`,
  `net.sockstat.ipfragqueues ${T} 13 type=ip6frag`,
  `net.stat.tcp.syncookies ${T} 1 type=sent`,
  `net.stat.tcp.syncookies ${T} 2 type=received`,
  `net.stat.tcp.syncookies ${T} 3 type=failed`,
  `net.stat.tcp.memory.prune ${T} 5 type=drop_ofo_queue`,
  `net.stat.tcp.memory.prune ${T} 4 type=drop_received`,
  `net.stat.tcp.delayedack ${T} 72 type=sent`,
  `net.stat.tcp.delayedack ${T} 6 type=locked`,
  `net.stat.tcp.delayedack ${T} 68 type=lost`,
  `net.stat.tcp.failed_accept ${T} 10 reason=full_acceptq`,
  // ListenDrops 15 includes the 10 ListenOverflows.
  `net.stat.tcp.failed_accept ${T} 5 reason=other`,
  `net.stat.tcp.retransmit ${T} 18 type=fast`,
  `net.stat.tcp.retransmit ${T} 19 type=slowstart`,
  `net.stat.tcp.packetloss.recovery ${T} 7 type=fast_retransmit`,
  `net.stat.tcp.packetloss.recovery ${T} 8 type=sack`,
  `net.stat.tcp.reording ${T} 9 detectedby=sack`,
  `net.stat.tcp.reording ${T} 11 detectedby=fast_retransmit`,
  `net.stat.tcp.reording ${T} 12 detectedby=timestamp`,
  `net.stat.tcp.congestion.recovery ${T} 13 type=full_undo`,
  `net.stat.tcp.congestion.recovery ${T} 14 type=hoe_heuristic`,
  `net.stat.tcp.congestion.recovery ${T} 16 type=sack`,
  `net.stat.tcp.congestion.recovery ${T} 17 type=ack`,
  `net.stat.tcp.abort ${T} 20 type=data_after_fin_wait1`,
  `net.stat.tcp.abort ${T} 21 type=data_after_close`,
  `net.stat.tcp.abort ${T} 22 type=out_of_memory`,
  `net.stat.tcp.abort ${T} 23 type=timeout`,
  `net.stat.tcp.abort ${T} 24 type=linger`,
  `net.stat.tcp.abort.failed ${T} 25`,
  `net.stat.tcp.memory.pressure ${T} 26`,
  `net.stat.tcp.invalid_sack ${T} 27 type=invalid`,
  `net.stat.tcp.invalid_sack ${T} 28 type=retransmit`,
  `net.stat.tcp.invalid_sack ${T} 29 type=olddup`,
  `net.stat.tcp.receive.queue.full ${T} 30`,
  // From /proc/net/snmp.
  `net.stat.tcp.resets ${T} 156 direction=out`,
  `net.stat.tcp.errors ${T} 31 direction=in`,
  `net.stat.udp.datagrams ${T} 181 direction=in`,
  `net.stat.udp.errors ${T} 2 direction=in reason=noport`,
  // InErrors 9 includes the 4 RcvbufErrors.
  `net.stat.udp.errors ${T} 5 direction=in reason=other`,
  `net.stat.udp.datagrams ${T} 182 direction=out`,
  `net.stat.udp.errors ${T} 4 direction=in reason=nomem`,
  `net.stat.udp.errors ${T} 1 direction=out reason=nomem`,
  ...tcpStates('tcp', { listen: 2, established: 1, time_wait: 1 }),
  ...tcpStates('tcp6', { listen: 1, established: 1 }),
];

// 2.6.18: no UDP memory, no UDP-Lite, no sockstat6, no tcp6; fewer TcpExt counters; Udp
// without RcvbufErrors (InErrors reported whole). No smaps: 4096-byte pages assumed.
const OLD_KERNEL = [
  `net.sockstat.num_sockets ${T} 25 type=tcp`,
  `net.sockstat.num_timewait ${T} 30`,
  `net.sockstat.sockets_inuse ${T} 20 type=tcp`,
  `net.sockstat.sockets_inuse ${T} 6 type=udp`,
  `net.sockstat.sockets_inuse ${T} 0 type=raw`,
  `net.sockstat.num_orphans ${T} 1`,
  `net.sockstat.memory ${T} 16384 type=tcp`,
  `net.sockstat.memory ${T} 0 type=ipfrag`,
  `net.sockstat.ipfragqueues ${T} 0`,
  `net.stat.tcp.syncookies ${T} 0 type=sent`,
  `net.stat.tcp.syncookies ${T} 0 type=received`,
  `net.stat.tcp.syncookies ${T} 0 type=failed`,
  `net.stat.tcp.memory.prune ${T} 0 type=drop_ofo_queue`,
  `net.stat.tcp.memory.prune ${T} 0 type=drop_received`,
  `net.stat.tcp.delayedack ${T} 2000 type=sent`,
  `net.stat.tcp.delayedack ${T} 4 type=locked`,
  `net.stat.tcp.delayedack ${T} 50 type=lost`,
  `net.stat.tcp.failed_accept ${T} 20 reason=full_acceptq`,
  `net.stat.tcp.failed_accept ${T} 5 reason=other`,
  `net.stat.tcp.retransmit ${T} 13 type=forward`,
  `net.stat.tcp.retransmit ${T} 12 type=fast`,
  `net.stat.tcp.retransmit ${T} 14 type=slowstart`,
  `net.stat.tcp.packetloss.recovery ${T} 1 type=fast_retransmit`,
  `net.stat.tcp.packetloss.recovery ${T} 2 type=sack`,
  `net.stat.tcp.reording ${T} 3 detectedby=fack`,
  `net.stat.tcp.reording ${T} 4 detectedby=sack`,
  `net.stat.tcp.reording ${T} 5 detectedby=fast_retransmit`,
  `net.stat.tcp.reording ${T} 6 detectedby=timestamp`,
  `net.stat.tcp.congestion.recovery ${T} 7 type=full_undo`,
  `net.stat.tcp.congestion.recovery ${T} 8 type=hoe_heuristic`,
  `net.stat.tcp.congestion.recovery ${T} 9 type=sack`,
  `net.stat.tcp.congestion.recovery ${T} 10 type=ack`,
  `net.stat.tcp.abort ${T} 0 type=unexpected_syn`,
  `net.stat.tcp.abort ${T} 15 type=data_after_fin_wait1`,
  `net.stat.tcp.abort ${T} 16 type=data_after_close`,
  `net.stat.tcp.abort ${T} 17 type=out_of_memory`,
  `net.stat.tcp.abort ${T} 0 type=timeout`,
  `net.stat.tcp.abort ${T} 18 type=linger`,
  `net.stat.tcp.abort.failed ${T} 19`,
  `net.stat.tcp.memory.pressure ${T} 0`,
  `net.stat.tcp.resets ${T} 3 direction=out`,
  `net.stat.tcp.errors ${T} 2 direction=in`,
  `net.stat.udp.datagrams ${T} 500 direction=in`,
  `net.stat.udp.errors ${T} 6 direction=in reason=noport`,
  `net.stat.udp.errors ${T} 7 direction=in reason=other`,
  `net.stat.udp.datagrams ${T} 400 direction=out`,
  ...tcpStates('tcp', { listen: 1, established: 1 }),
];

const ODD = [
  // `TCP: inuse x orphan 0 tw`: the bad inuse and the dangling tw are dropped; RAW's inuse
  // beyond int64 too.
  `net.sockstat.num_orphans ${T} 0`,
  // A pair whose lengths differ and a trailing header without values are skipped; the
  // non-numeric DelayedACKs is dropped. tcollector's subtractions can go negative: kept.
  `net.stat.tcp.failed_accept ${T} 5 reason=full_acceptq`,
  `net.stat.tcp.failed_accept ${T} -2 reason=other`,
  `net.stat.udp.datagrams ${T} 10 direction=in`,
  `net.stat.udp.errors ${T} -3 direction=in reason=other`,
  `net.stat.udp.errors ${T} 5 direction=in reason=nomem`,
  // Junk lines and the unknown state 0D are not counted.
  ...tcpStates('tcp', { listen: 1 }),
];

describe('netstat on recorded /proc trees', () => {
  it.each<[string, string[]]>([
    ['modern', MODERN],
    ['old-kernel', OLD_KERNEL],
    ['odd', ODD],
    ['missing', []],
  ])('%s', async (name, expected) => {
    expect(lines(await createNetStat().collect(context(name)))).toEqual(expected);
  });

  it('uses a given page size instead of detecting it', async () => {
    const points = await createNetStat({ pageSize: 65536 }).collect(context('modern'));
    expect(
      lines(points.filter((p) => p.metric === 'net.sockstat.memory' && p.tags['type'] === 'tcp')),
    ).toEqual([`net.sockstat.memory ${T} 20316160 type=tcp`]);
  });

  it('tcpStates: false does not read /proc/net/tcp', async () => {
    const points = await createNetStat({ tcpStates: false }).collect(context('modern'));
    expect(points.some((p) => p.metric.startsWith('net.tcp_state.'))).toBe(false);
    expect(lines(points)).toEqual(MODERN.filter((l) => !l.startsWith('net.tcp_state.')));
  });

  it.each([
    [{ pageSize: 0 }, /pageSize/],
    [{ pageSize: 4096.5 }, /pageSize/],
    [{ intervalSeconds: Number.POSITIVE_INFINITY }, /intervalSeconds/],
  ])('refuses %j', (options, message) => {
    expect(() => createNetStat(options)).toThrow(CollectorError);
    expect(() => createNetStat(options)).toThrow(message);
  });
});

describe('netstat parsers', () => {
  it('pairs lines by their label even when a stray line sits between pairs', () => {
    const batch = new PointBatch(1);
    netstatPoints(['garbage here', 'Udp: InDatagrams OutDatagrams', 'Udp: 1 2', 'Udp: 3'].join('\n'), batch);
    expect(lines(batch.points)).toEqual([
      'net.stat.udp.datagrams 1 1 direction=in',
      'net.stat.udp.datagrams 1 2 direction=out',
    ]);
  });

  it('reads sockstat6 without sockstat', () => {
    const batch = new PointBatch(1);
    sockstatPoints(undefined, 'TCP6: inuse 3\n', batch, 4096);
    expect(lines(batch.points)).toEqual(['net.sockstat.sockets_inuse 1 3 type=tcp6']);
  });

  it('counts states from the 4th column only', () => {
    const counter = new TcpStateCounter();
    for (const line of ['  sl  local rem st', '0: a b 01', '1: a b 01 x', '2: a b 0A', '3: 01', ''])
      counter.line(line);
    const batch = new PointBatch(1);
    counter.points('tcp', batch);
    expect(batch.points.filter((p) => p.value !== 0).map((p) => [p.metric, p.value])).toEqual([
      ['net.tcp_state.established', 2],
      ['net.tcp_state.listen', 1],
    ]);
  });

  it.each([
    ['KernelPageSize:        4 kB', 4096],
    ['KernelPageSize:       64 kB', 65536],
    ['Size: 8 kB', undefined],
  ])('page size from %j', (text, expected) => {
    expect(pageSizeFromSmaps(text)).toBe(expected);
  });
});
