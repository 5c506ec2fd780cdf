#!/usr/bin/env node
import { readFileSync, realpathSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client } from '@otsdb/client';
import type { DataPoint } from '@otsdb/protocol';
import { type BuiltinCollector, BuiltinRunner, type BuiltinStatus } from './builtin-runner.js';
import { CollectorRunner, type CollectorStatus } from './collector-runner.js';
import { builtinCollectors } from './collectors/index.js';
import { type AgentConfig, type AgentConfigInput, type Credentials, resolveConfig } from './config.js';
import { loadConfig, readCredentialsFile } from './config-loader.js';
import { LinePipeline, newSourceCounters, type SourceCounters } from './line-pipeline.js';
import { createLogger, type Logger } from './logger.js';
import { helpText } from './options.js';
import { selfMetricPoints } from './self-metrics.js';
import { type AgentSink, ClientSink, clientOptions, DryRunSink, type SinkStats } from './sink.js';
import { StatusServer } from './status-server.js';
import { StdinSource } from './stdin-source.js';

/**
 * The agent's composition root: config -> sink (client or dry-run) -> pipeline (validate, tags,
 * dedup) -> sources (collector directory, built-ins, or stdin). Shutdown runs in reverse:
 * sources stop and their last output is read, held-back points are flushed, the sink delivers
 * what it holds within the deadline.
 */

export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

export class AgentConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(readonly errors: string[]) {
    super(`invalid agent configuration: ${errors.join('; ')}`);
    this.name = 'AgentConfigError';
  }
}

export interface AgentDeps {
  /** Default: a pino logger per the config (level, logfile). */
  logger?: Logger;
  /** --stdin reads this. Default process.stdin. */
  stdin?: NodeJS.ReadableStream;
  /** --dry-run writes here. Default process.stdout. */
  stdout?: NodeJS.WritableStream;
  /** Replaces the built-in /proc collectors (tests). */
  builtinCollectors?: readonly BuiltinCollector[];
  /** The `host` tag's default. Default os.hostname(). */
  hostname?: string;
}

export interface AgentExit {
  /** True when everything read was delivered (or printed) before the deadline. */
  ok: boolean;
  /** Points still buffered when the deadline passed. */
  abandoned: number;
}

export interface CollectorReport {
  name: string;
  type: 'external' | 'builtin' | 'stdin';
  interval: number;
  pid: number | undefined;
  state: string;
  /** Milliseconds since the epoch of the last line read. */
  lastLineAt: number | undefined;
  counters: SourceCounters;
  details: Partial<CollectorStatus> | Partial<BuiltinStatus>;
}

export interface AgentStatus {
  agent: {
    version: string;
    pid: number;
    state: 'running' | 'stopping' | 'stopped';
    startedAt: number;
    uptimeSeconds: number;
    /** The agent's own CPU time (microseconds, collectors not included) and resident memory. */
    cpuUserMicros: number;
    cpuSystemMicros: number;
    rssBytes: number;
    heapUsedBytes: number;
    heapTotalBytes: number;
  };
  reader: { linesCollected: number; linesDropped: number };
  sender: { mode: 'telnet' | 'http' | 'dry-run'; hosts: string[] } & SinkStats;
  collectors: CollectorReport[];
}

export interface AgentHandle {
  readonly config: AgentConfig;
  /** Where the status server listens, when enabled. */
  readonly statusAddress: AddressInfo | undefined;
  /** Resolves once the agent has stopped (after `stop()`, or at end of input with --stdin). */
  readonly done: Promise<AgentExit>;
  status(): AgentStatus;
  /** Stops everything within the configured deadline. Idempotent. */
  stop(): Promise<AgentExit>;
}

/** Starts an agent in-process from a configuration object (the config file's keys). */
export async function startAgent(input: AgentConfigInput, deps: AgentDeps = {}): Promise<AgentHandle> {
  const resolved = resolveConfig(input, deps.hostname);
  if (!resolved.ok) throw new AgentConfigError(resolved.errors);
  const logger =
    deps.logger ??
    createLogger({
      level: resolved.config.logLevel,
      logfile: resolved.config.logfile,
      stdout: resolved.config.logStdout,
    });
  for (const warning of resolved.warnings) logger.warn(warning);
  return runAgent(resolved.config, { ...deps, logger });
}

/** Starts an agent from a resolved configuration. */
export async function runAgent(
  config: AgentConfig,
  deps: AgentDeps & { logger: Logger },
): Promise<AgentHandle> {
  const logger = deps.logger;
  const startedAt = Date.now();
  let state: 'running' | 'stopping' | 'stopped' = 'running';

  let credentials: Credentials | undefined = config.credentials;
  if (credentials === undefined && config.authFile !== undefined) {
    const read = await readCredentialsFile(config.authFile);
    credentials = read.credentials;
    if (read.warning !== undefined) logger.warn(read.warning);
  }

  // Sink first: it must be ready before any source produces a point.
  const s = config.sending;
  let sink: AgentSink;
  if (s.dryRun) {
    sink = new DryRunSink(deps.stdout ?? process.stdout, s.maxBufferPoints, s.maxBufferBytes);
  } else {
    const client = new Client(clientOptions(config, credentials, logger.child({ component: 'client' })));
    sink = new ClientSink(client, logger.child({ component: 'sink' }), config.statsIntervalMs);
  }

  const pipeline = new LinePipeline({
    sink,
    ...config.lines,
    logger: logger.child({ component: 'lines' }),
    logIntervalMs: config.statsIntervalMs,
  });

  const timers: NodeJS.Timeout[] = [];
  if (config.lines.dedupInterval > 0) {
    const every = Math.max(100, Math.min(5000, (config.lines.evictInterval * 1000) / 10));
    timers.push(setInterval(() => pipeline.evict(), every));
  }

  // Sources.
  let runner: CollectorRunner | undefined;
  let builtins: BuiltinRunner | undefined;
  let stdin: StdinSource | undefined;
  const sourceLog = logger.child({ component: 'collectors' });

  const emitSelfMetrics = () => {
    const collectors = pipeline.sourceNames().map((name) => ({ name, counters: pipeline.counters(name)! }));
    const totals = pipeline.totals();
    const points = selfMetricPoints({
      timestamp: Math.floor(Date.now() / 1000),
      linesCollected: totals.linesCollected,
      linesDropped: totals.linesDropped,
      collectors,
      sink: sink.stats(),
    });
    for (const point of points) pipeline.writeDirect(point);
  };
  if (config.selfStats) timers.push(setInterval(emitSelfMetrics, config.statsIntervalMs));

  const status = (): AgentStatus => {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const collectors: CollectorReport[] = [];
    const report = (r: Omit<CollectorReport, 'lastLineAt' | 'counters'>): void => {
      const counters = pipeline.counters(r.name) ?? newSourceCounters();
      collectors.push({ ...r, lastLineAt: counters.lastLineAt, counters: { ...counters } });
    };
    for (const c of runner?.status() ?? []) {
      report({
        name: c.name,
        type: 'external',
        interval: c.interval,
        pid: c.pid,
        state: c.state,
        details: c,
      });
    }
    for (const b of builtins?.status() ?? []) {
      report({
        name: b.source,
        type: 'builtin',
        interval: b.interval,
        pid: process.pid,
        state: b.state,
        details: b,
      });
    }
    if (stdin !== undefined) {
      const stdinState = state === 'running' ? 'running' : 'stopped';
      report({ name: 'stdin', type: 'stdin', interval: 0, pid: process.pid, state: stdinState, details: {} });
    }
    return {
      agent: {
        version: VERSION,
        pid: process.pid,
        state,
        startedAt,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        cpuUserMicros: cpu.user,
        cpuSystemMicros: cpu.system,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        heapTotalBytes: memory.heapTotal,
      },
      reader: pipeline.totals(),
      sender: {
        mode: s.dryRun ? 'dry-run' : s.http ? 'http' : 'telnet',
        hosts: s.hosts.map((h) => (h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`)),
        ...sink.stats(),
      },
      collectors,
    };
  };

  let statusServer: StatusServer | undefined;
  let statusAddress: AddressInfo | undefined;
  const cleanupAfterFailedStart = async () => {
    for (const t of timers) clearInterval(t);
    await runner?.stop();
    await builtins?.stop();
    stdin?.stop();
    await statusServer?.close();
    await sink.close(0);
  };

  try {
    if (config.status !== undefined) {
      statusServer = new StatusServer({
        host: config.status.host,
        port: config.status.port,
        status,
        healthy: () => {
          const sinkStats = sink.stats();
          return {
            ok: state === 'running',
            detail: {
              connected: sinkStats.client?.connected ?? [],
              held: sinkStats.held,
              dropped: sinkStats.dropped,
            },
          };
        },
      });
      statusAddress = await statusServer.start();
      logger.info({ address: statusAddress }, 'status server listening');
    }

    if (config.stdin) {
      stdin = new StdinSource(
        deps.stdin ?? process.stdin,
        (line) => pipeline.acceptLine('stdin', line),
        (length) => pipeline.rejectOversize('stdin', length),
      );
    } else {
      if (config.collectorDir !== undefined) {
        runner = new CollectorRunner({
          dir: config.collectorDir,
          ...config.runner,
          logger: sourceLog,
          onLine: (name, line) => pipeline.acceptLine(name, line),
          onOversize: (name, length) => pipeline.rejectOversize(name, length),
          onRemoved: (name) => pipeline.forget(name),
        });
        await runner.start();
      }
      if (config.builtin.enabled) {
        const enabled =
          deps.builtinCollectors?.filter((c) => !config.builtin.disabled.includes(c.name)) ??
          builtinCollectors({
            procRoot: config.builtin.procRoot,
            sysRoot: config.builtin.sysRoot,
            disabled: config.builtin.disabled,
            ...(config.builtin.intervalSeconds !== undefined
              ? { intervalSeconds: config.builtin.intervalSeconds }
              : {}),
          });
        if (enabled.length > 0) {
          builtins = new BuiltinRunner({
            collectors: enabled,
            procRoot: config.builtin.procRoot,
            sysRoot: config.builtin.sysRoot,
            onPoints: (source, points: DataPoint[]) => {
              for (const point of points) pipeline.acceptPoint(source, point);
            },
            logger: sourceLog,
            logIntervalMs: config.statsIntervalMs,
          });
          builtins.start();
        }
      }
    }
  } catch (err) {
    await cleanupAfterFailedStart();
    throw err;
  }

  logger.info(
    {
      version: VERSION,
      collectorDir: config.collectorDir,
      builtins: builtins?.status().map((b) => b.name) ?? [],
      stdin: config.stdin,
      mode: s.dryRun ? 'dry-run' : s.http ? 'http' : 'telnet',
      hosts: s.hosts,
      tls: s.ssl,
      auth: credentials === undefined ? 'none' : 'configured',
    },
    'agent started',
  );

  let stopping: Promise<AgentExit> | undefined;
  let resolveDone!: (exit: AgentExit) => void;
  const done = new Promise<AgentExit>((resolve) => {
    resolveDone = resolve;
  });

  const stop = (): Promise<AgentExit> => {
    if (stopping !== undefined) return stopping;
    state = 'stopping';
    stopping = (async () => {
      const deadline = Date.now() + config.shutdownTimeoutMs;
      // The sink always keeps part of the deadline: stopping collectors must not eat all of it.
      const reserve = Math.min(2000, config.shutdownTimeoutMs / 2);
      logger.info({ timeoutMs: config.shutdownTimeoutMs }, 'shutting down');
      for (const t of timers) clearInterval(t);
      stdin?.stop();
      const sourcesStopped = Promise.all([runner?.stop(), builtins?.stop()]);
      const inTime = await raceDeadline(sourcesStopped, deadline - reserve - Date.now());
      if (!inTime) logger.warn('collectors did not stop in time; their last output may be lost');
      // Held-back repeats are sent now: the last value of every series reaches the TSD.
      pipeline.flush();
      const closed = await sink.close(Math.max(0, deadline - Date.now()));
      await statusServer?.close();
      state = 'stopped';
      const totals = pipeline.totals();
      const exit: AgentExit = { ok: closed.ok && inTime, abandoned: closed.abandoned };
      logger.info({ ...totals, abandoned: closed.abandoned, ok: exit.ok }, 'agent stopped');
      resolveDone(exit);
      return exit;
    })();
    return stopping;
  };

  // --stdin: end of input means everything is read; deliver it and finish.
  if (stdin !== undefined) void stdin.done.then(() => stop());

  return { config, statusAddress, done, status, stop };
}

function raceDeadline(work: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, ms));
    void work.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

/** The command-line entry point; returns the exit status. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const loaded = await loadConfig({ argv, env });
  if (loaded.help) {
    process.stdout.write(helpText(VERSION));
    return 0;
  }
  if (loaded.version) {
    process.stdout.write(`otsdb-agent ${VERSION}\n`);
    return 0;
  }
  if (!loaded.result.ok) {
    for (const error of loaded.result.errors) process.stderr.write(`otsdb-agent: ${error}\n`);
    process.stderr.write('otsdb-agent: see --help\n');
    return 2;
  }
  const { config, warnings } = loaded.result;
  const logger = createLogger({ level: config.logLevel, logfile: config.logfile, stdout: config.logStdout });
  for (const warning of warnings) logger.warn(warning);

  if (config.pidfile !== undefined) await writeFile(config.pidfile, `${process.pid}\n`);
  let handle: AgentHandle;
  try {
    handle = await runAgent(config, { logger });
  } catch (err) {
    logger.fatal({ err }, `cannot start: ${(err as Error).message}`);
    if (config.pidfile !== undefined) await unlink(config.pidfile).catch(() => {});
    return 1;
  }

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(130);
    }
    logger.info({ signal }, `got ${signal}`);
    // Whatever happens, the process ends shortly after the deadline.
    setTimeout(() => {
      logger.error('shutdown took longer than its deadline; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 3000).unref();
    void handle.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const exit = await handle.done;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  if (config.pidfile !== undefined) await unlink(config.pidfile).catch(() => {});
  return exit.ok ? 0 : 1;
}

function isMainModule(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  main(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
      // Anything still holding the event loop (a stuck socket) must not keep a stopped agent alive.
      setTimeout(() => process.exit(code), 2000).unref();
    },
    (err: unknown) => {
      process.stderr.write(`otsdb-agent: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
