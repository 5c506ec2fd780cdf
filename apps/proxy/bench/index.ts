/**
 * Points per second through the proxy, measured end to end with a load generator in a child
 * process (pre-formatted put lines over several connections, as fast as the sockets take them):
 *
 *   1. telnet, authenticated (user/password tags), into the null backend: the proxy's own cost
 *   2. the same over TLS
 *   3. straight into VictoriaMetrics (no proxy): the reference
 *   4. through the proxy (authenticated, forward over telnet) into VictoriaMetrics
 *
 * then bench/query.ts (the local store's query benchmark) when present.
 *
 *   pnpm --filter @otsdb/proxy bench            BENCH_SECONDS=5 BENCH_CONNECTIONS=4 BENCH_SKIP_VM=1
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { makeTempDir, startVictoriaMetrics, tlsFixtures, type VictoriaMetrics } from '@otsdb/testkit';
import { writeCredentials } from '../src/__fixtures__/credentials.js';
import { createNullBackend } from '../src/backends/null-backend.js';
import { type ProxyHandle, startProxy } from '../src/proxy.js';
import type { LoadOptions } from './load-generator.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 4);
const SKIP_VM = process.env['BENCH_SKIP_VM'] === '1';
const AUTH_SUFFIX = ' user=bench password=bench-secret';
const generatorPath = fileURLToPath(new URL('./load-generator.ts', import.meta.url));

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

async function vmRows(vm: VictoriaMetrics): Promise<number> {
  const text = await (await fetch(`${vm.httpUrl}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (line.startsWith('vm_rows_inserted_total{type="opentsdb"}')) return Number(line.split(' ')[1]);
  }
  return 0;
}

/** Rows VictoriaMetrics ingested from `before` until `expected` more arrived (or stopped growing). */
async function vmRate(
  vm: VictoriaMetrics,
  before: number,
  run: LoadResult,
): Promise<{ rows: number; rate: number }> {
  let last = -1;
  let stableSince = performance.now();
  for (;;) {
    const rows = (await vmRows(vm)) - before;
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
  const cpu = cpus();
  console.log('opentsdb-proxy benchmark');
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown cpu'} x ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `load: ${CONNECTIONS} connections from a child process, ${SECONDS} s per run; proxy, generator and VictoriaMetrics share the machine\n`,
  );

  const dir = await makeTempDir('proxy-bench-');
  const tls = await tlsFixtures();
  const credentials = await writeCredentials(dir.path, [{ name: 'bench', password: 'bench-secret' }]);
  const results: Array<[string, string]> = [];
  try {
    const backend = createNullBackend();
    const proxy: ProxyHandle = await startProxy(
      {
        listeners: { telnet: { port: 0 }, telnetTls: { port: 0 }, http: false },
        tls: { cert: tls.serverCert.path, key: tls.serverKey.path },
        auth: { mode: 'file', file: { path: credentials, watch: false } },
        limits: { idleTimeoutMs: 0 },
      },
      { backend },
    );
    try {
      for (const [name, port, ca] of [
        ['telnet -> proxy (auth) -> null', proxy.ports.telnet!, undefined],
        ['TLS telnet -> proxy (auth) -> null', proxy.ports.telnetTls!, tls.ca.pem],
      ] as const) {
        const before = backend.stats().received;
        const run = await load({
          host: '127.0.0.1',
          port,
          ...(ca === undefined ? {} : { ca }),
          suffix: AUTH_SUFFIX,
        });
        const got = backend.stats().received - before;
        const rate = got / run.seconds;
        results.push([name, `${fmt(rate)} points/s (${fmt(got)} of ${fmt(run.lines)} lines sent)`]);
        console.log(`${name.padEnd(44)} ${fmt(rate)} points/s`);
      }
    } finally {
      await proxy.stop();
    }

    if (!SKIP_VM) {
      const vm = await startVictoriaMetrics({ extraArgs: ['-memory.allowedBytes=512MiB'] });
      try {
        const direct = await vmRows(vm);
        const directRun = await load({ host: '127.0.0.1', port: vm.telnetPort, suffix: '' });
        const d = await vmRate(vm, direct, directRun);
        results.push(['telnet -> VictoriaMetrics (direct)', `${fmt(d.rate)} points/s (${fmt(d.rows)} rows)`]);
        console.log(`${'telnet -> VictoriaMetrics (direct)'.padEnd(44)} ${fmt(d.rate)} points/s`);

        const forward = await startProxy({
          listeners: { telnet: { port: 0 }, http: false },
          auth: { mode: 'file', file: { path: credentials, watch: false } },
          limits: { idleTimeoutMs: 0 },
          backend: { type: 'forward', forward: { targets: [`telnet://127.0.0.1:${vm.telnetPort}`] } },
        });
        try {
          const before = await vmRows(vm);
          const run = await load({ host: '127.0.0.1', port: forward.ports.telnet!, suffix: AUTH_SUFFIX });
          const p = await vmRate(vm, before, run);
          const share = d.rate > 0 ? ` = ${((p.rate / d.rate) * 100).toFixed(0)}% of direct` : '';
          results.push([
            'telnet -> proxy (auth) -> VictoriaMetrics',
            `${fmt(p.rate)} points/s${share} (${fmt(p.rows)} rows)`,
          ]);
          console.log(
            `${'telnet -> proxy (auth) -> VictoriaMetrics'.padEnd(44)} ${fmt(p.rate)} points/s${share}`,
          );
        } finally {
          await forward.stop();
        }
      } finally {
        await vm.stop();
      }
    }
  } finally {
    await dir.remove();
  }

  console.log('\nsummary');
  for (const [name, figure] of results) console.log(`  ${name.padEnd(44)} ${figure}`);

  const query = fileURLToPath(new URL('./query.ts', import.meta.url));
  if (existsSync(query)) {
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
