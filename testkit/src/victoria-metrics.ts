import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { registerExitCleanup } from './exit-cleanup.js';
import { freePorts } from './free-port.js';
import { simpleRequest } from './http-request.js';
import { makeTempDir, type TempDir } from './temp-dir.js';
import { type WaitForOptions, waitFor } from './wait-for.js';

// A real VictoriaMetrics (Debian's 1.79.5 build) as the TSD for integration tests. It speaks
// OpenTSDB telnet `put` and HTTP `/api/put`; we read back through its export API. The quirks of
// this build are verified by victoria-metrics.test.ts and described in testkit/README.md.

export const DEFAULT_VICTORIA_METRICS_BINARY = '/usr/bin/victoria-metrics';

export interface VictoriaMetricsOptions {
  /** Binary to run. Default `$OTSDB_VICTORIA_METRICS_BIN` or /usr/bin/victoria-metrics. */
  binary?: string;
  /** Deadline for the process to answer /health. Default 30 000 ms. */
  startTimeoutMs?: number;
  /** Deadline for a graceful stop before SIGKILL. Default 15 000 ms. */
  stopTimeoutMs?: number;
  /** How long data is kept (VictoriaMetrics syntax). Default `100y`, its maximum. */
  retentionPeriod?: string;
  /** More command-line flags, appended last (so they override ours). */
  extraArgs?: readonly string[];
}

/** One point in OpenTSDB's HTTP /api/put JSON shape. */
export interface JsonPutPoint {
  metric: string;
  timestamp: number;
  value: number | string;
  tags: Record<string, string>;
}

/** A series from /api/v1/export: VictoriaMetrics' `__name__` label becomes `metric`. */
export interface ExportedSeries {
  metric: string;
  tags: Record<string, string>;
  values: number[];
  /** Milliseconds since the epoch, ascending. */
  timestamps: number[];
}

/** A single exported point, flattened for exact comparisons. */
export interface ExportedPoint {
  metric: string;
  tags: Record<string, string>;
  timestamp: number;
  value: number;
}

export interface StopOptions {
  /**
   * SIGKILL at once, without flushing: a crash. Default false: flush, SIGTERM, wait, and
   * SIGKILL only if the process outlives `stopTimeoutMs`.
   */
  kill?: boolean;
}

export interface VictoriaMetrics {
  readonly host: string;
  /** OpenTSDB telnet `put` port (`-opentsdbListenAddr`). Also accepts HTTP /api/put. */
  readonly telnetPort: number;
  /** OpenTSDB HTTP /api/put port (`-opentsdbHTTPListenAddr`). */
  readonly httpPutPort: number;
  /** VictoriaMetrics' own HTTP API (health, export, query). */
  readonly httpPort: number;
  readonly dataDir: string;
  /** `http://host:httpPort`. */
  readonly httpUrl: string;
  /** `http://host:httpPutPort/api/put`. */
  readonly putUrl: string;
  /** True between a successful start and stop. */
  readonly running: boolean;
  /** The server process's id while it runs (benchmarks read its CPU time). */
  readonly pid: number | undefined;
  /**
   * Sends telnet lines (a trailing newline is added) on a fresh connection and waits until the
   * server has closed it. Lines whose timestamp has more than 10 digits are refused here,
   * because this build silently drops them (see README); use a raw socket to test that.
   */
  putLines(lines: string | readonly string[]): Promise<void>;
  /** POSTs points to /api/put on the HTTP put port; throws unless the answer is 2xx. */
  putPoints(points: JsonPutPoint | readonly JsonPutPoint[]): Promise<void>;
  /** Makes everything received so far searchable (`/internal/force_flush`). */
  flush(): Promise<void>;
  /**
   * Flushes, then exports every series matching the selector (default: all), sorted by metric
   * then tags. `match` is a series selector such as `{__name__="sys.cpu"}` or `sys.cpu{host="a"}`.
   */
  export(match?: string): Promise<ExportedSeries[]>;
  /** Like `export`, flattened to one entry per point, sorted by metric, tags, timestamp. */
  exportPoints(match?: string): Promise<ExportedPoint[]>;
  /** Exports until at least `count` points match; returns them (bounded by `options.timeoutMs`). */
  waitForPoints(match: string, count: number, options?: WaitForOptions): Promise<ExportedPoint[]>;
  /** An instant PromQL/MetricsQL query (`/api/v1/query`); returns the parsed JSON answer. */
  query(expr: string, params?: Record<string, string | number>): Promise<PromQueryResponse>;
  /** The last lines VictoriaMetrics logged (warnings and errors; it runs at WARN level). */
  logs(): string[];
  /** Stops and starts again on the same ports and data dir; data flushed before survives. */
  restart(options?: StopOptions): Promise<void>;
  /** Stops the process and removes the data dir. Idempotent. */
  stop(options?: StopOptions): Promise<void>;
}

export interface PromQueryResponse {
  status: string;
  data?: { resultType: string; result: unknown[] };
  error?: string;
  errorType?: string;
}

const LOG_LINES_KEPT = 500;

class PortInUseError extends Error {}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  unregister: () => void;
}

class VictoriaMetricsProcess implements VictoriaMetrics {
  readonly host = '127.0.0.1';
  #telnetPort = 0;
  #httpPutPort = 0;
  #httpPort = 0;
  #running: Running | undefined;
  #removed = false;
  readonly #log: string[] = [];

  constructor(
    readonly dir: TempDir,
    readonly options: Required<Omit<VictoriaMetricsOptions, 'extraArgs'>> & { extraArgs: readonly string[] },
  ) {}

  get telnetPort(): number {
    return this.#telnetPort;
  }
  get httpPutPort(): number {
    return this.#httpPutPort;
  }
  get httpPort(): number {
    return this.#httpPort;
  }
  get dataDir(): string {
    return this.dir.path;
  }
  get httpUrl(): string {
    return `http://${this.host}:${this.#httpPort}`;
  }
  get putUrl(): string {
    return `http://${this.host}:${this.#httpPutPort}/api/put`;
  }
  get running(): boolean {
    return this.#running !== undefined;
  }
  get pid(): number | undefined {
    return this.#running?.child.pid;
  }

  logs(): string[] {
    return [...this.#log];
  }

  /** First start: fresh ports, retried when another process grabbed one in between. */
  async startOnFreePorts(): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const [telnet, httpPut, http] = await freePorts(3, this.host);
      this.#telnetPort = telnet!;
      this.#httpPutPort = httpPut!;
      this.#httpPort = http!;
      try {
        await this.#launch();
        return;
      } catch (err) {
        if (!(err instanceof PortInUseError)) throw err;
        lastError = err;
      }
    }
    throw new Error('VictoriaMetrics: no free ports after 5 attempts', { cause: lastError });
  }

  #args(): string[] {
    const addr = (port: number) => `${this.host}:${port}`;
    return [
      `-storageDataPath=${this.dir.path}`,
      `-httpListenAddr=${addr(this.#httpPort)}`,
      `-opentsdbListenAddr=${addr(this.#telnetPort)}`,
      `-opentsdbHTTPListenAddr=${addr(this.#httpPutPort)}`,
      // Tests write points from any era (1970s..2030s); the default (1 month) drops old ones.
      `-retentionPeriod=${this.options.retentionPeriod}`,
      // Reads must see writes at once: no response cache, no "too recent" cut-off.
      '-search.disableCache',
      '-search.latencyOffset=0s',
      // The telnet default trims timestamps to whole seconds; keep what was sent.
      '-opentsdbTrimTimestamp=1ms',
      '-opentsdbhttpTrimTimestamp=1ms',
      // Several instances share a small machine; the default takes 60% of RAM for caches.
      '-memory.allowedBytes=256MiB',
      '-loggerLevel=WARN',
      ...this.options.extraArgs,
    ];
  }

  async #launch(): Promise<void> {
    const child = spawn(this.options.binary, this.#args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    const unregister = registerExitCleanup(() => {
      child.kill('SIGKILL');
    });
    let exitInfo: string | undefined;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exitInfo = signal ? `signal ${signal}` : `exit code ${code}`;
        resolve();
      });
      child.once('error', (err) => {
        exitInfo = `spawn error: ${err.message}`;
        resolve();
      });
    });
    const collect = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.#log.push(line);
        if (this.#log.length > LOG_LINES_KEPT) this.#log.shift();
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const running: Running = { child, exited, unregister };

    const deadline = Date.now() + this.options.startTimeoutMs;
    let healthy = false;
    // Bounded poll: VictoriaMetrics cannot tell us it is ready other than by answering.
    while (exitInfo === undefined && Date.now() < deadline) {
      try {
        const res = await simpleRequest(`${this.httpUrl}/health`, { timeoutMs: 2_000 });
        if (res.status === 200) {
          healthy = true;
          break;
        }
      } catch {
        // Not listening yet.
      }
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 50))]);
    }
    if (!healthy || exitInfo !== undefined) {
      child.kill('SIGKILL');
      await exited;
      unregister();
      const tail = this.#log.slice(-10).join('\n');
      if (/address already in use/.test(tail)) throw new PortInUseError(tail);
      throw new Error(
        exitInfo === undefined
          ? `VictoriaMetrics did not become healthy within ${this.options.startTimeoutMs} ms:\n${tail}`
          : `VictoriaMetrics exited during start (${exitInfo}):\n${tail}`,
      );
    }
    // /health answers only after the OpenTSDB listeners are bound (they start first), so the
    // put ports are ready too. Deliberately no probe connection to the telnet port: an idle
    // connection there blocks every later one (see README).
    this.#running = running;
    child.once('exit', () => {
      if (this.#running === running) {
        this.#running = undefined;
        unregister();
      }
    });
  }

  async putLines(lines: string | readonly string[]): Promise<void> {
    const list = typeof lines === 'string' ? [lines] : [...lines];
    for (const line of list) {
      const ts = /^put\s+\S+\s+(\S+)/.exec(line)?.[1];
      if (ts !== undefined && /^\d{11,}$/.test(ts)) {
        throw new Error(
          `putLines: VictoriaMetrics 1.79.5 reads telnet timestamps as seconds and drops ${ts} ` +
            '(a millisecond timestamp); send seconds over telnet, or milliseconds over HTTP',
        );
      }
    }
    const payload = list.map((line) => `${line}\n`).join('');
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.#telnetPort });
      const timer = setTimeout(() => socket.destroy(new Error('putLines: telnet write timed out')), 10_000);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      // VictoriaMetrics never answers on this port; it closes its side after reading our EOF,
      // which tells us every line has been read.
      socket.once('close', (hadError) => {
        clearTimeout(timer);
        if (!hadError) resolve();
      });
      socket.on('data', () => {});
      socket.end(payload);
    });
  }

  async putPoints(points: JsonPutPoint | readonly JsonPutPoint[]): Promise<void> {
    const res = await simpleRequest(this.putUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(points),
    });
    if (res.status < 200 || res.status > 299) {
      throw new Error(`putPoints: /api/put answered ${res.status}: ${res.body.trim()}`);
    }
  }

  async flush(): Promise<void> {
    const res = await simpleRequest(`${this.httpUrl}/internal/force_flush`);
    if (res.status !== 200) throw new Error(`force_flush answered ${res.status}: ${res.body}`);
  }

  async export(match = '{__name__!=""}'): Promise<ExportedSeries[]> {
    await this.flush();
    const res = await simpleRequest(`${this.httpUrl}/api/v1/export`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ 'match[]': match }).toString(),
    });
    if (res.status !== 200) throw new Error(`export of ${match} answered ${res.status}: ${res.body.trim()}`);
    return parseExport(res.body);
  }

  async exportPoints(match?: string): Promise<ExportedPoint[]> {
    return flattenSeries(await this.export(match));
  }

  waitForPoints(match: string, count: number, options: WaitForOptions = {}): Promise<ExportedPoint[]> {
    return waitFor(
      async () => {
        const points = await this.exportPoints(match);
        return points.length >= count ? points : undefined;
      },
      { intervalMs: 100, description: `${count} points matching ${match}`, ...options },
    );
  }

  async query(expr: string, params: Record<string, string | number> = {}): Promise<PromQueryResponse> {
    const search = new URLSearchParams({ query: expr });
    for (const [key, value] of Object.entries(params)) search.set(key, String(value));
    const res = await simpleRequest(`${this.httpUrl}/api/v1/query?${search}`);
    return JSON.parse(res.body) as PromQueryResponse;
  }

  async #halt(options: StopOptions): Promise<void> {
    const running = this.#running;
    if (running === undefined) return;
    this.#running = undefined;
    if (!options.kill) {
      // Belt and braces: a connection to the HTTP put port that never sent a request makes this
      // build wait 5 s on SIGTERM and then exit with a fatal error instead of a clean close.
      await this.flush().catch(() => {});
      running.child.kill('SIGTERM');
      const timer = setTimeout(() => running.child.kill('SIGKILL'), this.options.stopTimeoutMs);
      await running.exited;
      clearTimeout(timer);
    } else {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    running.unregister();
  }

  async restart(options: StopOptions = {}): Promise<void> {
    if (this.#removed) throw new Error('restart: this VictoriaMetrics was stopped for good');
    await this.#halt(options);
    // Same ports, so clients reconnect to where they were. Another process may have taken one
    // of them meanwhile; that is unlikely on loopback and fails loudly rather than silently.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await this.#launch();
        return;
      } catch (err) {
        if (!(err instanceof PortInUseError) || Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  async stop(options: StopOptions = {}): Promise<void> {
    // Nothing to keep: skip the graceful path unless asked, it can take seconds.
    await this.#halt({ kill: options.kill ?? true });
    if (!this.#removed) {
      this.#removed = true;
      await this.dir.remove();
    }
  }
}

/** Starts a fresh VictoriaMetrics on free loopback ports with its own temp data dir. */
export async function startVictoriaMetrics(options: VictoriaMetricsOptions = {}): Promise<VictoriaMetrics> {
  const dir = await makeTempDir('otsdb-vm-');
  const vm = new VictoriaMetricsProcess(dir, {
    binary: options.binary ?? process.env.OTSDB_VICTORIA_METRICS_BIN ?? DEFAULT_VICTORIA_METRICS_BINARY,
    startTimeoutMs: options.startTimeoutMs ?? 30_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 15_000,
    retentionPeriod: options.retentionPeriod ?? '100y',
    extraArgs: options.extraArgs ?? [],
  });
  try {
    await vm.startOnFreePorts();
  } catch (err) {
    await vm.stop();
    throw err;
  }
  return vm;
}

/**
 * Parses /api/v1/export output (one JSON object per line). VictoriaMetrics writes non-finite
 * values as bare `NaN`, `+Inf`, `-Inf`, which is not JSON; they are turned into numbers here.
 */
export function parseExport(body: string): ExportedSeries[] {
  const series: ExportedSeries[] = [];
  for (const line of body.split('\n')) {
    if (line.trim() === '') continue;
    const raw = JSON.parse(quoteBareNonFinite(line), (_key, value: unknown) =>
      typeof value === 'string' && NON_FINITE.has(value) ? NON_FINITE.get(value) : value,
    ) as { metric: Record<string, string>; values: (number | string)[]; timestamps: number[] };
    const { __name__: metric = '', ...tags } = raw.metric;
    series.push({
      metric,
      tags: sortTags(tags),
      values: raw.values.map((v) => (typeof v === 'number' ? v : Number(v))),
      timestamps: raw.timestamps,
    });
  }
  return series.sort((a, b) => compareText(seriesId(a), seriesId(b)));
}

const NON_FINITE = new Map<string, number>([
  ['\u0000NaN', Number.NaN],
  ['\u0000+Inf', Number.POSITIVE_INFINITY],
  ['\u0000Inf', Number.POSITIVE_INFINITY],
  ['\u0000-Inf', Number.NEGATIVE_INFINITY],
]);

// Wraps bare NaN/Inf tokens outside strings in quotes with a NUL marker that no real label
// value in a JSON string can carry unescaped, so the reviver cannot confuse them with labels.
function quoteBareNonFinite(line: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i]!;
    if (inString) {
      out += ch;
      if (ch === '\\') {
        out += line[i + 1] ?? '';
        i += 1;
      } else if (ch === '"') {
        inString = false;
      }
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      continue;
    }
    const token = /^(?:NaN|[+-]?Inf)/.exec(line.slice(i, i + 4))?.[0];
    if (token !== undefined) {
      out += `"\\u0000${token}"`;
      i += token.length - 1;
      continue;
    }
    out += ch;
  }
  return out;
}

function sortTags(tags: Record<string, string>): Record<string, string> {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(tags).sort(compareText)) sorted[key] = tags[key]!;
  return sorted;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function seriesId(s: { metric: string; tags: Record<string, string> }): string {
  return `${s.metric}\u0000${Object.entries(s.tags)
    .map(([k, v]) => `${k}=${v}`)
    .join('\u0000')}`;
}

/** One entry per point, sorted by metric, tags, then timestamp. */
export function flattenSeries(series: readonly ExportedSeries[]): ExportedPoint[] {
  const points: ExportedPoint[] = [];
  for (const s of series) {
    s.timestamps.forEach((timestamp, i) => {
      points.push({ metric: s.metric, tags: s.tags, timestamp, value: s.values[i]! });
    });
  }
  return points.sort(
    (a, b) => compareText(seriesId(a), seriesId(b)) || a.timestamp - b.timestamp || a.value - b.value,
  );
}
