/**
 * Throughput of the hot paths on realistic traffic: put lines with 5 tags, 60-90 bytes, a few
 * thousand distinct lines cycled. Prints lines (or points) per second per core and the machine.
 * Run: pnpm --filter @otsdb/protocol bench   (BENCH_SECONDS=n to change the measuring time)
 */
import os from 'node:os';
import {
  type DataPoint,
  decodePutBody,
  encodePutBody,
  formatPutLine,
  LineFramer,
  PutLineScreen,
  parseCollectorLine,
  parsePutLine,
  validatePoint,
} from '@otsdb/protocol';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const WARMUP_SECONDS = Math.min(1, SECONDS / 2);

function makeLines(count: number): string[] {
  const metrics = [
    'sys.cpu.user',
    'sys.cpu.system',
    'proc.loadavg.1m',
    'net.bytes.in',
    'disk.io.ops',
    'mem.free',
  ];
  const dcs = ['lga', 'sjc', 'ams', 'fra'];
  const lines: string[] = [];
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < count; i++) {
    const metric = metrics[rnd(metrics.length)]!;
    const ts = 1700000000 + i;
    const value = rnd(3) === 0 ? String(rnd(100000)) : (rnd(1000000) / 100).toFixed(2);
    const line = `put ${metric} ${ts} ${value} host=web${String(rnd(500)).padStart(3, '0')} dc=${dcs[rnd(4)]} cpu=${rnd(32)} type=user env=prod`;
    // Lines from a socket are flat strings (Buffer#toString); a template literal is not.
    lines.push(Buffer.from(line).toString('latin1'));
  }
  return lines;
}

/**
 * Calls `fn` for SECONDS of wall time after a warm-up and reports the rate per second of this
 * process's CPU time: on a shared machine, time spent waiting for a core is not counted.
 */
function measure(name: string, unit: string, perCall: number, fn: () => void): number {
  const warmEnd = performance.now() + WARMUP_SECONDS * 1000;
  while (performance.now() < warmEnd) for (let i = 0; i < 100; i++) fn();
  let calls = 0;
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  const end = wallStart + SECONDS * 1000;
  let now = wallStart;
  while (now < end) {
    for (let i = 0; i < 1000; i++) fn();
    calls += 1000;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const rate = (calls * perCall) / cpuSeconds;
  const wallRate = (calls * perCall) / ((now - wallStart) / 1000);
  console.log(
    `${name.padEnd(44)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} ${unit}/s` +
      `   (wall clock: ${Math.round(wallRate).toLocaleString('en-US')})`,
  );
  return rate;
}

const lines = makeLines(4096);
const lengths = lines.map((l) => Buffer.byteLength(l));
const points: DataPoint[] = lines.map((l) => {
  const r = parsePutLine(l);
  if (!r.ok) throw new Error(`bench line refused: ${l}`);
  return r.point;
});
const collectorLines = lines.map((l) => Buffer.from(l.slice(4)).toString('latin1'));
const batch = 50;
const bodies: string[] = [];
for (let i = 0; i + batch <= points.length; i += batch)
  bodies.push(encodePutBody(points.slice(i, i + batch)));
const bodyBytes = bodies.map((b) => Buffer.from(b));
const stream = Buffer.from(lines.join('\n') + '\n');

const cpus = os.cpus();
console.log(
  `@otsdb/protocol bench: node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores`,
);
console.log(
  `lines: ${lines.length} distinct, ${Math.min(...lengths)}-${Math.max(...lengths)} bytes, 5 tags; ${SECONDS}s per figure after ${WARMUP_SECONDS}s warm-up;\n` +
    `rates are per second of this process's CPU time (one thread), wall-clock rates in brackets; load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
);

let k = 0;
let sink = 0;
// A yardstick for a shared or slow machine: the cheapest possible pass over the same lines.
measure('baseline: charCodeAt over every character', 'lines', 1, () => {
  const line = lines[k++ & 4095]!;
  let sum = 0;
  for (let i = 0; i < line.length; i++) sum += line.charCodeAt(i);
  sink += sum;
});
measure('parsePutLine (parse + validate)', 'lines', 1, () => {
  const r = parsePutLine(lines[k++ & 4095]!);
  if (r.ok) sink += r.point.timestamp;
});
measure('parseCollectorLine (parse + validate)', 'lines', 1, () => {
  const r = parseCollectorLine(collectorLines[k++ & 4095]!);
  if (r.ok) sink += r.point.timestamp;
});
measure('formatPutLine', 'lines', 1, () => {
  sink += formatPutLine(points[k++ & 4095]!).length;
});
measure('formatPutLine + flatten (as written out)', 'lines', 1, () => {
  sink += formatPutLine(points[k++ & 4095]!).charCodeAt(0);
});
measure('formatPutLine (no valueText)', 'lines', 1, () => {
  const p = points[k++ & 4095]!;
  sink += formatPutLine({ metric: p.metric, timestamp: p.timestamp, value: p.value, tags: p.tags }).length;
});
measure('validatePoint', 'points', 1, () => {
  if (validatePoint(points[k++ & 4095]!) === undefined) sink++;
});
measure(`decodePutBody (${batch} points per body)`, 'points', batch, () => {
  const r = decodePutBody(bodyBytes[k++ % bodyBytes.length]!);
  if (r.ok) sink += r.points.length;
});
measure(`encodePutBody (${batch} points per body)`, 'points', batch, () => {
  const at = (k++ % (points.length / batch)) * batch;
  sink += encodePutBody(points.slice(at, at + batch)).length;
});
const framer = new LineFramer({
  maxLineLength: 1024,
  onLine: (l) => {
    sink += l.length;
  },
});
const chunks: Buffer[] = [];
for (let i = 0; i < stream.length; i += 16384) chunks.push(stream.subarray(i, i + 16384));
measure('LineFramer (16 KiB chunks)', 'lines', lines.length, () => {
  for (const c of chunks) framer.push(c);
});
// A gateway's byte path: framing plus the screen, no string or object per line.
const screen = new PutLineScreen();
for (const l of lines) {
  const b = Buffer.from(l);
  if (!screen.screen(b, 0, b.length)) throw new Error(`bench line not taken by the screen: ${l}`);
}
const screened = new LineFramer({
  maxLineLength: 1024,
  onLine: () => undefined,
  onLineBytes: (buf, start, end) => {
    if (screen.screen(buf, start, end)) sink += screen.tagCount;
    return true;
  },
});
measure('LineFramer + PutLineScreen (bytes, 16 KiB chunks)', 'lines', lines.length, () => {
  for (const c of chunks) screened.push(c);
});
if (sink === 42) console.log('');
