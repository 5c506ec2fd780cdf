/**
 * Points per second through the proxy, measured end to end: the proxy as operators run it (the
 * built `dist/main.js` in a child process, configured by a file), a load generator in another
 * child process (pre-formatted put lines over several connections, as fast as the sockets take
 * them), and the real VictoriaMetrics:
 *
 *   1. telnet, authenticated (user/password tags), into the null backend: the proxy's own cost
 *   2. the same over TLS
 *   3. straight into VictoriaMetrics (no proxy): the reference
 *   4. through the proxy (authenticated, forward over telnet) into VictoriaMetrics
 *
 * then bench/query.ts (the local store's query benchmark) when present. The workspace is built
 * first (turbo, cached), so the figures are those of the shipped JavaScript.
 *
 *   pnpm --filter @otsdb/proxy bench            BENCH_SECONDS=5 BENCH_CONNECTIONS=4 BENCH_SKIP_VM=1
 *   BENCH_SKIP_QUERY=1 leaves out the query benchmark; BENCH_PROXY_NODE_ARGS passes node flags.
 */
import { type ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, startVictoriaMetrics, tlsFixtures, type VictoriaMetrics } from '@otsdb/testkit';
import { writeCredentials } from '../src/__fixtures__/credentials.js';
import type { LoadOptions } from './load-generator.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 4);
const SKIP_VM = process.env['BENCH_SKIP_VM'] === '1';
const AUTH_SUFFIX = ' user=bench password=bench-secret';
const generatorPath = fileURLToPath(new URL('./load-generator.ts', import.meta.url));
const relayPath = fileURLToPath(new URL('./relay.ts', import.meta.url));
const sinkPath = fileURLToPath(new URL('./sink.ts', import.meta.url));
const appDir = fileURLToPath(new URL('..', import.meta.url));
const rootDir = fileURLToPath(new URL('../../..', import.meta.url));

/** Builds the proxy and the packages it uses (turbo skips what is up to date). */
function build(): void {
  const turbo = join(rootDir, 'node_modules', '.bin', 'turbo');
  const r = spawnSync(turbo, ['run', 'build', '--filter=@otsdb/proxy...', '--output-logs=errors-only'], {
    cwd: rootDir,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error(`build failed (${r.status ?? r.signal})`);
}

interface ProxyProcess {
  ports: { telnet?: number; telnetTls?: number };
  /** [user, system] CPU seconds the process used so far, from /proc. */
  cpu(): [number, number];
  stop(): Promise<void>;
}

/** `node dist/main.js --config <file>`; resolves once it logged the ports it listens on. */
async function startProxyProcess(dir: string, name: string, config: unknown): Promise<ProxyProcess> {
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(config));
  // BENCH_PROXY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the proxy.
  const nodeArgs = (process.env['BENCH_PROXY_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  return startServerProcess([...nodeArgs, join(appDir, 'dist', 'main.js'), '--config', file], (line) =>
    line.includes('opentsdb-proxy listening')
      ? (JSON.parse(line) as { ports: ProxyProcess['ports'] }).ports
      : undefined,
  );
}

/** A bench script that prints `listening <port>`: relay.ts (with its target) or sink.ts. */
function startScriptProcess(script: string, ...args: string[]): Promise<ProxyProcess> {
  return startServerProcess(['--import', 'tsx', script, ...args], (line) =>
    line.startsWith('listening ') ? { telnet: Number(line.slice('listening '.length)) } : undefined,
  );
}

/** A Node child process; resolves once `ready` found its ports in a line of its stdout or stderr. */
async function startServerProcess(
  args: string[],
  ready: (line: string) => ProxyProcess['ports'] | undefined,
): Promise<ProxyProcess> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const ports = await new Promise<ProxyProcess['ports']>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        const found = ready(line);
        if (found !== undefined) resolve(found);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${output}`)));
  });
  return {
    ports,
    cpu: () => processCpuSplit(child.pid!),
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function processCpuSplit(pid: number): [number, number] {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return [Number(fields[11]) / 100, Number(fields[12]) / 100];
  } catch {
    return [Number.NaN, Number.NaN];
  }
}

/** CPU per point between two processCpuSplit() readings: `N ns/point (S% system)`. */
function cpuPerPoint(before: [number, number], after: [number, number], points: number): string {
  const user = after[0] - before[0];
  const system = after[1] - before[1];
  const share = user + system > 0 ? ((system / (user + system)) * 100).toFixed(0) : '0';
  return `${fmt(((user + system) / points) * 1e9)} ns/point (${share}% system)`;
}

interface LoadResult {
  lines: number;
  seconds: number;
  startedAt: number;
}

function load(
  options: Omit<LoadOptions, 'durationMs' | 'connections' | 'startSeconds'>,
): Promise<LoadResult> {
  const full: LoadOptions = {
    ...options,
    connections: CONNECTIONS,
    durationMs: SECONDS * 1000,
    startSeconds: Math.floor(Date.now() / 1000) - 7200,
  };
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(generatorPath, [JSON.stringify(full)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let startedAt = 0;
    child.on(
      'message',
      (m: { started?: boolean; done?: boolean; lines?: number; seconds?: number; error?: string }) => {
        if (m.started) startedAt = performance.now();
        if (m.done) resolve({ lines: m.lines!, seconds: m.seconds!, startedAt });
        if (m.error) reject(new Error(m.error));
      },
    );
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited with ${code}`));
    });
  });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Rows VictoriaMetrics took in over OpenTSDB telnet (`opentsdb`) or HTTP (`opentsdbhttp`). */
async function vmRows(vm: VictoriaMetrics, type = 'opentsdb'): Promise<number> {
  const text = await (await fetch(`${vm.httpUrl}/metrics`)).text();
  const prefix = `vm_rows_inserted_total{type="${type}"}`;
  for (const line of text.split('\n')) {
    if (line.startsWith(prefix)) return Number(line.split(' ')[1]);
  }
  return 0;
}

/** Rows VictoriaMetrics ingested from `before` until `expected` more arrived (or stopped growing). */
async function vmRate(
  vm: VictoriaMetrics,
  before: number,
  run: LoadResult,
  type = 'opentsdb',
): Promise<{ rows: number; rate: number }> {
  let last = -1;
  let stableSince = performance.now();
  for (;;) {
    const rows = (await vmRows(vm, type)) - before;
    const now = performance.now();
    if (rows >= run.lines || (rows === last && now - stableSince > 2000)) {
      return { rows, rate: rows / ((now - run.startedAt) / 1000) };
    }
    if (rows !== last) {
      last = rows;
      stableSince = now;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function main(): Promise<void> {
  build();
  const cpu = cpus();
  console.log('opentsdb-proxy benchmark');
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown cpu'} x ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `load: ${CONNECTIONS} connections from a child process, ${SECONDS} s per run; proxy (dist/main.js), generator and VictoriaMetrics are separate processes sharing the machine\n`,
  );

  const dir = await makeTempDir('proxy-bench-');
  const tls = await tlsFixtures();
  const credentials = await writeCredentials(dir.path, [{ name: 'bench', password: 'bench-secret' }]);
  const common = {
    logLevel: 'info',
    auth: { mode: 'file', file: { path: credentials, watch: false } },
    limits: { idleTimeoutMs: 0 },
  };
  const results: Array<[string, string]> = [];
  const report = (name: string, figure: string, extra = '') => {
    results.push([name, figure + extra]);
    console.log(`${name.padEnd(48)} ${figure}`);
  };
  try {
    const proxy = await startProxyProcess(dir.path, 'null', {
      ...common,
      listeners: { telnet: { port: 0 }, telnetTls: { port: 0 }, http: false },
      tls: { cert: tls.serverCert.path, key: tls.serverKey.path },
      backend: { type: 'null' },
    });
    try {
      for (const [name, port, ca] of [
        ['telnet -> proxy (auth) -> null', proxy.ports.telnet!, undefined],
        ['TLS telnet -> proxy (auth) -> null', proxy.ports.telnetTls!, tls.ca.pem],
      ] as const) {
        const cpuBefore = proxy.cpu();
        // The generator returns once the proxy closed each connection: it read every line.
        const run = await load({
          host: '127.0.0.1',
          port,
          ...(ca === undefined ? {} : { ca }),
          suffix: AUTH_SUFFIX,
        });
        report(
          name,
          `${fmt(run.lines / run.seconds)} points/s`,
          ` (${fmt(run.lines)} lines; proxy CPU ${cpuPerPoint(cpuBefore, proxy.cpu(), run.lines)})`,
        );
      }
    } finally {
      await proxy.stop();
    }

    // Forwarding into a target that costs (almost) nothing: the proxy's own forwarding CPU.
    const sink = await startScriptProcess(sinkPath);
    try {
      const forward = await startProxyProcess(dir.path, 'sink', {
        ...common,
        listeners: { telnet: { port: 0 }, http: false },
        backend: { type: 'forward', forward: { targets: [`telnet://127.0.0.1:${sink.ports.telnet!}`] } },
      });
      try {
        const cpuBefore = forward.cpu();
        const run = await load({ host: '127.0.0.1', port: forward.ports.telnet!, suffix: AUTH_SUFFIX });
        report(
          'telnet -> proxy (auth) -> discarding sink',
          `${fmt(run.lines / run.seconds)} points/s`,
          ` (${fmt(run.lines)} lines; proxy CPU ${cpuPerPoint(cpuBefore, forward.cpu(), run.lines)})`,
        );
      } finally {
        await forward.stop();
      }
    } finally {
      await sink.stop();
    }

    if (!SKIP_VM) {
      const vm = await startVictoriaMetrics({ extraArgs: ['-memory.allowedBytes=512MiB'] });
      try {
        const vmCpu = (): [number, number] =>
          vm.pid === undefined ? [Number.NaN, Number.NaN] : processCpuSplit(vm.pid);
        const direct = await vmRows(vm);
        let vmBefore = vmCpu();
        const directRun = await load({ host: '127.0.0.1', port: vm.telnetPort, suffix: '' });
        const d = await vmRate(vm, direct, directRun);
        report(
          'telnet -> VictoriaMetrics (direct)',
          `${fmt(d.rate)} points/s`,
          ` (${fmt(d.rows)} rows; VictoriaMetrics CPU ${cpuPerPoint(vmBefore, vmCpu(), d.rows)})`,
        );

        for (const [name, target, type] of [
          ['telnet -> proxy (auth) -> VictoriaMetrics', `telnet://127.0.0.1:${vm.telnetPort}`, 'opentsdb'],
          ['telnet -> proxy (auth) -> VictoriaMetrics HTTP', vm.putUrl, 'opentsdbhttp'],
        ] as const) {
          const forward = await startProxyProcess(dir.path, 'forward', {
            ...common,
            listeners: { telnet: { port: 0 }, http: false },
            backend: { type: 'forward', forward: { targets: [target] } },
          });
          try {
            const before = await vmRows(vm, type);
            vmBefore = vmCpu();
            const proxyBefore = forward.cpu();
            const run = await load({ host: '127.0.0.1', port: forward.ports.telnet!, suffix: AUTH_SUFFIX });
            const p = await vmRate(vm, before, run, type);
            // Direct is over telnet: HTTP /api/put costs VictoriaMetrics more per point.
            const share =
              d.rate > 0 && type === 'opentsdb'
                ? ` = ${((p.rate / d.rate) * 100).toFixed(0)}% of direct`
                : '';
            report(
              name,
              `${fmt(p.rate)} points/s${share}`,
              ` (${fmt(p.rows)} rows; proxy CPU ${cpuPerPoint(proxyBefore, forward.cpu(), p.rows)}, VictoriaMetrics ${cpuPerPoint(vmBefore, vmCpu(), p.rows)})`,
            );
          } finally {
            await forward.stop();
          }
        }

        // The floor of any Node.js proxy: bytes piped through unread.
        const relay = await startScriptProcess(relayPath, '127.0.0.1', String(vm.telnetPort));
        try {
          const before = await vmRows(vm);
          vmBefore = vmCpu();
          const relayBefore = relay.cpu();
          const run = await load({ host: '127.0.0.1', port: relay.ports.telnet!, suffix: '' });
          const r = await vmRate(vm, before, run);
          const share = d.rate > 0 ? ` = ${((r.rate / d.rate) * 100).toFixed(0)}% of direct` : '';
          report(
            'telnet -> bare Node relay -> VictoriaMetrics',
            `${fmt(r.rate)} points/s${share}`,
            ` (${fmt(r.rows)} rows; relay CPU ${cpuPerPoint(relayBefore, relay.cpu(), r.rows)}, VictoriaMetrics ${cpuPerPoint(vmBefore, vmCpu(), r.rows)})`,
          );
        } finally {
          await relay.stop();
        }
      } finally {
        await vm.stop();
      }
    }
  } finally {
    await dir.remove();
  }

  console.log('\nsummary');
  for (const [name, figure] of results) console.log(`  ${name.padEnd(48)} ${figure}`);

  const query = fileURLToPath(new URL('./query.ts', import.meta.url));
  if (existsSync(query) && process.env['BENCH_SKIP_QUERY'] !== '1') {
    console.log('\nlocal store queries (bench/query.ts)');
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, ['--conditions=@otsdb/source', '--import', 'tsx', query], {
        stdio: 'inherit',
      });
      child.on('exit', () => resolve());
    });
  }
}

await main();
