/**
 * Agent benchmark: a real agent process (built-in collectors on, dedup on, telnet to a local TCP
 * sink that counts lines) with one collector printing N lines per second.
 *
 *   1. steady state at 1,000 and 10,000 lines/s: the agent's CPU (its own process.cpuUsage, read
 *      through the status endpoint; collectors not included) and RSS;
 *   2. the most lines per second it carries: a collector printing as fast as it can, measured as
 *      lines received by the sink per second.
 *
 * Goals: < 2 % of one core and < 80 MB RSS at 1,000 lines/s; >= 200,000 lines/s carried.
 * Durations: BENCH_SECONDS (measure, default 20) and BENCH_WARMUP (default 5).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@otsdb/testkit/free-port';
import { makeTempDir } from '@otsdb/testkit/temp-dir';

const MEASURE_S = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 5);
const BUILT = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const SOURCE = fileURLToPath(new URL('../src/main.ts', import.meta.url));
/**
 * The built agent (`pnpm build` first: what production runs) when there is one, else the
 * TypeScript sources through tsx, whose loader adds about 60 MB of RSS and some CPU.
 */
const AGENT_ARGS =
  existsSync(BUILT) && process.env.BENCH_SOURCE !== '1'
    ? [BUILT]
    : ['--conditions=@otsdb/source', '--import', 'tsx', SOURCE];

interface Sink {
  server: Server;
  port: number;
  lines(): number;
}

async function startSink(): Promise<Sink> {
  let count = 0;
  const server = createServer((socket) => {
    socket.on('data', (chunk: Buffer) => {
      let at = chunk.indexOf(10);
      while (at !== -1) {
        count++;
        at = chunk.indexOf(10, at + 1);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0, lines: () => count };
}

/**
 * A collector printing `rate` lines per second in `writesPerSecond` writes (0: as fast as the pipe
 * takes them), every value distinct so dedup lets all through.
 */
function collectorSource(rate: number, writesPerSecond = 100): string {
  return `#!${process.execPath}
const rate = ${rate};
const period = ${Math.round(1000 / writesPerSecond)};
let i = 0;
function line() {
  const n = i++;
  return 'bench.lines ' + (1700000000000 + n) + ' ' + n + ' series=s' + (n % 100) + '\\n';
}
if (rate === 0) {
  const out = process.stdout;
  const pump = () => {
    for (;;) {
      let chunk = '';
      for (let k = 0; k < 2000; k++) chunk += line();
      if (!out.write(chunk)) return out.once('drain', pump);
    }
  };
  pump();
} else {
  const start = Date.now();
  setInterval(() => {
    const due = Math.floor(((Date.now() - start) / 1000) * rate);
    let chunk = '';
    while (i < due) chunk += line();
    if (chunk) process.stdout.write(chunk);
  }, period);
}
`;
}

interface AgentProc {
  child: ChildProcess;
  statusPort: number;
}

/** What contrib/otsdb-agent.service sets. */
const UNIT_NODE_OPTIONS = '--max-semi-space-size=2';

async function startAgent(dir: string, sinkPort: number, nodeOptions: string): Promise<AgentProc> {
  const statusPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...AGENT_ARGS,
      '-c',
      dir,
      '-H',
      '127.0.0.1',
      '-p',
      String(sinkPort),
      '--status-port',
      String(statusPort),
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_OPTIONS: nodeOptions } },
  );
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      await status(statusPort);
      return { child, statusPort };
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  child.kill('SIGKILL');
  throw new Error('agent did not start');
}

interface Status {
  agent: { cpuUserMicros: number; cpuSystemMicros: number; rssBytes: number };
  sender: { dropped: number };
}

function status(port: number): Promise<Status> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as Status);
        } catch (err) {
          reject(err);
        }
      });
    })
      .on('error', reject)
      .end();
  });
}

async function stopAgent(agent: AgentProc): Promise<void> {
  const exited = new Promise((resolve) => agent.child.once('exit', resolve));
  agent.child.kill('SIGTERM');
  const timer = setTimeout(() => agent.child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

async function run(
  rate: number,
  writesPerSecond = 100,
  nodeOptions = UNIT_NODE_OPTIONS,
): Promise<{ cpuPercent: number; rssMb: number; linesPerSecond: number; dropped: number }> {
  const tmp = await makeTempDir('agent-bench-');
  const sink = await startSink();
  let agent: AgentProc | undefined;
  try {
    const dir = join(tmp.path, 'collectors', '0');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'rate.mjs'), collectorSource(rate, writesPerSecond));
    await chmod(join(dir, 'rate.mjs'), 0o755);
    agent = await startAgent(join(tmp.path, 'collectors'), sink.port, nodeOptions);
    await sleep(WARMUP_S);
    const s0 = await status(agent.statusPort);
    const l0 = sink.lines();
    const t0 = process.hrtime.bigint();
    await sleep(MEASURE_S);
    const s1 = await status(agent.statusPort);
    const l1 = sink.lines();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpuMicros =
      s1.agent.cpuUserMicros + s1.agent.cpuSystemMicros - (s0.agent.cpuUserMicros + s0.agent.cpuSystemMicros);
    return {
      cpuPercent: (cpuMicros / 1e6 / seconds) * 100,
      rssMb: s1.agent.rssBytes / 1024 / 1024,
      linesPerSecond: (l1 - l0) / seconds,
      dropped: s1.sender.dropped,
    };
  } finally {
    if (agent) await stopAgent(agent);
    await new Promise<void>((resolve) => sink.server.close(() => resolve()));
    sink.server.unref();
    await tmp.remove();
  }
}

async function main(): Promise<void> {
  const cpu = cpus();
  console.log('otsdb-agent benchmark');
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
      `node ${process.version}, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  console.log(
    `agent: ${AGENT_ARGS.length === 1 ? 'built (dist/main.js)' : 'TypeScript sources through tsx (pnpm build first for production figures)'}; ` +
      `warm-up ${WARMUP_S} s, measured over ${MEASURE_S} s; built-in collectors on, dedup on, telnet to a local sink`,
  );
  console.log(
    `NODE_OPTIONS=${UNIT_NODE_OPTIONS} (as in contrib/otsdb-agent.service) unless said otherwise\n`,
  );
  const cases: [number, number, string][] = [
    [1000, 100, UNIT_NODE_OPTIONS],
    [1000, 100, ''],
    [1000, 1, UNIT_NODE_OPTIONS],
    [10_000, 100, UNIT_NODE_OPTIONS],
  ];
  for (const [rate, writes, nodeOptions] of cases) {
    const r = await run(rate, writes, nodeOptions);
    const goal =
      rate === 1000
        ? `  (goal: < 2 % and < 80 MB: ${r.cpuPercent < 2 && r.rssMb < 80 ? 'met' : 'NOT met'})`
        : '';
    console.log(
      `${rate.toLocaleString('en')} lines/s in ${writes} writes/s${nodeOptions === '' ? ', default node flags' : ''}: ` +
        `agent CPU ${r.cpuPercent.toFixed(2)} % of one core, RSS ${r.rssMb.toFixed(1)} MB, ` +
        `sink got ${Math.round(r.linesPerSecond).toLocaleString('en')} lines/s, dropped ${r.dropped}${goal}`,
    );
  }
  const max = await run(0);
  console.log(
    `max: ${Math.round(max.linesPerSecond).toLocaleString('en')} lines/s carried (collector printing as fast as it can), ` +
      `agent CPU ${max.cpuPercent.toFixed(0)} %, RSS ${max.rssMb.toFixed(1)} MB, dropped ${max.dropped}` +
      `  (goal: >= 200,000: ${max.linesPerSecond >= 200_000 ? 'met' : 'NOT met'})`,
  );
  console.log(
    `load after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
