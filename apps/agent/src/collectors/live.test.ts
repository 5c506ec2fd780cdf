import { existsSync, readFileSync } from 'node:fs';
import { type DataPoint, seriesKey, validatePoint } from '@otsdb/protocol';
import { describe, expect, it } from 'vitest';
import { builtinCollectors } from './index.js';

// Against this machine's /proc and /sys: whatever the kernel, the key series are there and every
// point is one a TSD accepts (with the host tag the agent adds).
const linux = process.platform === 'linux' && existsSync('/proc/stat');

function keys(points: readonly DataPoint[]): Set<string> {
  return new Set(points.map((p) => seriesKey(p.metric, p.tags)));
}

describe.runIf(linux)('built-in collectors on the live /proc', () => {
  it('collect valid points, with the key series present', async () => {
    const started = Date.now();
    const all: DataPoint[] = [];
    const byCollector = new Map<string, DataPoint[]>();
    for (const collector of builtinCollectors()) {
      const points = await collector.collect();
      byCollector.set(collector.name, points);
      all.push(...points);
    }
    for (const point of all) {
      const error = validatePoint({ ...point, tags: { ...point.tags, host: 'live-test' } });
      expect(error, `${point.metric} ${JSON.stringify(point.tags)}`).toBeUndefined();
      expect(point.timestamp).toBeGreaterThanOrEqual(Math.floor(started / 1000));
      expect(point.tags['host']).toBeUndefined();
    }
    // No series twice in one collection (that would be a duplicate write).
    expect(keys(all).size).toBe(all.length);

    const proc = keys(byCollector.get('procstats')!);
    for (const series of [
      'proc.stat.cpu{type=user}',
      'proc.stat.cpu{type=idle}',
      'proc.stat.cpu.percpu{cpu=0,cpuset=' + cpuset0(byCollector.get('procstats')!) + ',type=user}',
      'proc.meminfo.memtotal{}',
      'proc.meminfo.memfree{}',
      'proc.loadavg.1min{}',
      'proc.loadavg.total_threads{}',
      'proc.uptime.total{}',
      'proc.stat.ctxt{}',
      'proc.vmstat.pgfault{}',
    ]) {
      expect(proc, series).toContain(series);
    }
    const memtotal = byCollector.get('procstats')!.find((p) => p.metric === 'proc.meminfo.memtotal')!;
    expect(Number(memtotal.value)).toBeGreaterThan(64 * 1024 * 1024);

    // Every interface in /proc/net/dev but bonds is reported, lo included.
    expect(keys(byCollector.get('ifstat')!)).toContain('proc.net.bytes{direction=in,iface=lo}');

    // The root file system is in /proc/mounts on any machine that runs tests.
    const df = byCollector.get('dfstat')!;
    expect(df.some((p) => p.metric === 'df.bytes.total' && p.tags['mount'] === '/')).toBe(true);

    const net = keys(byCollector.get('netstat')!);
    if (existsSync('/proc/net/sockstat')) expect(net).toContain('net.sockstat.sockets_inuse{type=tcp}');
    if (existsSync('/proc/net/snmp')) expect(net).toContain('net.stat.udp.datagrams{direction=in}');

    const readDisks = readFileSync('/proc/diskstats', 'utf8')
      .split('\n')
      .some((l) => /^\s*\d+\s+\d+\s+\S+\s+[1-9]/.test(l));
    expect(byCollector.get('iostat')!.length > 0).toBe(readDisks);
    expect(byCollector.get('nfsstat')!.length > 0).toBe(existsSync('/proc/net/rpc/nfs'));
  });
});

function cpuset0(points: readonly DataPoint[]): string {
  return (
    points.find((p) => p.metric === 'proc.stat.cpu.percpu' && p.tags['cpu'] === '0')?.tags['cpuset'] ?? '?'
  );
}
