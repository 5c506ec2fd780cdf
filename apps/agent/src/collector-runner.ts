import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, type FSWatcher, watch } from 'node:fs';
import { dirname, join } from 'node:path';
import { LineFramer } from '@otsdb/protocol';
import type { Logger } from 'pino';
import { cappedBackoff } from './backoff.js';
import { type CollectorFile, type NameConflict, scanCollectorDir } from './collector-scan.js';

/**
 * Runs the collectors of a tcollector-style directory: one process group per collector, output
 * read as it arrives, long-running ones respawned, interval ones run on their turn, silent or
 * overstaying ones stopped (SIGTERM, then SIGKILL), failures retried with capped backoff, the
 * directory rescanned for new, changed and removed files.
 */

export type CollectorState =
  /** A process is running. */
  | 'running'
  /** SIGTERM sent (SIGKILL follows after the grace period); waiting for the process to end. */
  | 'stopping'
  /** Between runs: an interval collector waiting for its turn, or a long-running one about to respawn. */
  | 'waiting'
  /** Last run failed (non-zero exit, killed, or could not start); retried after a backoff. */
  | 'dead'
  /** Not run again until its file changes: exited 13, or silent with --remove-inactive-collectors. */
  | 'disabled'
  /** Stopped because the agent is shutting down. */
  | 'stopped';

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  at: number;
}

export interface CollectorStatus {
  name: string;
  /** Seconds between runs; 0 for long-running collectors. */
  interval: number;
  path: string;
  state: CollectorState;
  pid: number | undefined;
  /** Milliseconds since the epoch. */
  startedAt: number | undefined;
  lastOutputAt: number | undefined;
  nextRunAt: number | undefined;
  /** Processes started so far. */
  runs: number;
  /** Consecutive failed or too-short runs (drives the backoff). */
  consecutiveFailures: number;
  lastExit: ExitInfo | undefined;
  /** Why it is disabled, when it is. */
  reason: string | undefined;
}

/** The runner's policy settings (the agent config's `runner` section). */
export interface CollectorRunnerSettings {
  allowedInactivityMs: number;
  removeInactiveCollectors: boolean;
  rescanMs: number;
  killGraceMs: number;
  respawnBackoffMinMs: number;
  respawnBackoffMaxMs: number;
  deadRetryMinMs: number;
  deadRetryMaxMs: number;
}

export interface CollectorRunnerOptions extends CollectorRunnerSettings {
  dir: string;
  logger: Logger;
  onLine(collector: string, line: string): void;
  /** A line longer than the read buffer, discarded unread. */
  onOversize(collector: string, length: number): void;
  /** The collector's file is gone; it will not run again. */
  onRemoved?(collector: string): void;
  /** Environment for collectors; default: the agent's, without credentials. */
  env?: NodeJS.ProcessEnv;
  /** Watch the directories for changes between rescans. Default true. */
  watch?: boolean;
}

type StopReason = 'overstay' | 'inactive' | 'changed' | 'removed' | 'shutdown';

interface Managed {
  file: CollectorFile;
  /** A replacement seen while the old process was stopping (interval or path changed). */
  nextFile: CollectorFile | undefined;
  state: CollectorState;
  child: ChildProcess | undefined;
  pid: number | undefined;
  startedAt: number | undefined;
  lastOutputAt: number | undefined;
  nextRunAt: number | undefined;
  retryAt: number;
  timer: NodeJS.Timeout | undefined;
  killTimer: NodeJS.Timeout | undefined;
  stopReason: StopReason | undefined;
  closed: Promise<void> | undefined;
  streak: number;
  runs: number;
  lastExit: ExitInfo | undefined;
  reason: string | undefined;
  removed: boolean;
  stderrWindowStart: number;
  stderrInWindow: number;
  stderrSuppressed: number;
}

/** Lines longer than this are discarded by the framer; the pipeline rejects anything >= 1024 anyway. */
const READ_LINE_LIMIT = 64 * 1024;
/** stderr lines logged per collector per second; the rest are counted and summarised. */
const STDERR_LINES_PER_SECOND = 20;
const EXIT_DO_NOT_RESPAWN = 13;
const WATCH_DEBOUNCE_MS = 100;

export class CollectorRunner {
  private readonly collectors = new Map<string, Managed>();
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly reportedConflicts = new Set<string>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly log: Logger;
  private rescanTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescanAgain = false;
  private shuttingDown = false;

  constructor(private readonly options: CollectorRunnerOptions) {
    this.log = options.logger;
    this.env = options.env ?? collectorEnvironment(process.env, options.dir);
  }

  /** Scans the directory and starts its collectors. Rejects when the directory cannot be read. */
  async start(): Promise<void> {
    const scan = await scanCollectorDir(this.options.dir);
    this.apply(scan.files, scan.conflicts, scan.directories);
    this.rescanTimer = setInterval(() => void this.rescan(), this.options.rescanMs);
    const period = Math.max(50, Math.min(5000, this.options.allowedInactivityMs / 4));
    this.watchdog = setInterval(() => this.checkInactivity(), period);
  }

  /** Brings the running collectors in line with the directory. Concurrent calls coalesce. */
  rescan(): Promise<void> {
    if (this.shuttingDown) return Promise.resolve();
    if (this.scanning !== undefined) {
      this.rescanAgain = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.rescanAgain = false;
        try {
          const current = new Map([...this.collectors].map(([name, m]) => [name, m.file.interval]));
          const scan = await scanCollectorDir(this.options.dir, current);
          if (this.shuttingDown) return;
          this.apply(scan.files, scan.conflicts, scan.directories);
        } catch (err) {
          this.log.error({ err, dir: this.options.dir }, 'cannot scan the collector directory');
        }
      } while (this.rescanAgain && !this.shuttingDown);
    })().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  status(): CollectorStatus[] {
    return [...this.collectors.values()].map((m) => ({
      name: m.file.name,
      interval: m.file.interval,
      path: m.file.path,
      state: m.state,
      pid: m.pid,
      startedAt: m.startedAt,
      lastOutputAt: m.lastOutputAt,
      nextRunAt: m.child === undefined ? m.nextRunAt : undefined,
      runs: m.runs,
      consecutiveFailures: m.streak,
      lastExit: m.lastExit,
      reason: m.reason,
    }));
  }

  /**
   * Stops every collector (SIGTERM to its process group, SIGKILL after the grace period) and
   * resolves once each has ended and its remaining output has been read. Idempotent.
   */
  async stop(): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.rescanTimer);
    clearInterval(this.watchdog);
    clearTimeout(this.debounce);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    const pending: Promise<void>[] = [];
    for (const m of this.collectors.values()) {
      clearTimeout(m.timer);
      m.timer = undefined;
      m.nextRunAt = undefined;
      if (m.child !== undefined) {
        this.terminate(m, 'shutdown');
        if (m.closed !== undefined) pending.push(m.closed);
      } else if (m.state !== 'disabled' && m.state !== 'dead') {
        m.state = 'stopped';
      }
    }
    await Promise.all(pending);
    if (this.scanning !== undefined) await this.scanning;
  }

  private apply(files: Map<string, CollectorFile>, conflicts: NameConflict[], directories: string[]): void {
    this.reportConflicts(conflicts);
    for (const [name, file] of files) {
      const m = this.collectors.get(name);
      if (m === undefined) {
        this.add(file);
      } else if (m.removed) {
        // Came back while its old process was still stopping: run the new one after it ends.
        m.removed = false;
        m.nextFile = file;
        m.stopReason = 'changed';
      } else if (m.file.interval !== file.interval || m.file.path !== file.path) {
        this.log.info({ collector: name, from: m.file.path, to: file.path }, 'collector moved; restarting');
        this.replace(m, file);
      } else if (m.file.mtimeMs !== file.mtimeMs || m.file.size !== file.size) {
        this.log.info({ collector: name }, 'collector changed on disk');
        this.replace(m, file);
      }
    }
    for (const [name, m] of this.collectors) {
      if (files.has(name) || m.removed) continue;
      this.log.info({ collector: name }, 'collector removed from the filesystem; forgetting it');
      m.removed = true;
      clearTimeout(m.timer);
      m.timer = undefined;
      if (m.child !== undefined) this.terminate(m, 'removed');
      else this.forget(m);
    }
    if (this.options.watch !== false) this.syncWatchers([this.options.dir, ...directories]);
  }

  private add(file: CollectorFile): void {
    const m: Managed = {
      file,
      nextFile: undefined,
      state: 'waiting',
      child: undefined,
      pid: undefined,
      startedAt: undefined,
      lastOutputAt: undefined,
      nextRunAt: undefined,
      retryAt: 0,
      timer: undefined,
      killTimer: undefined,
      stopReason: undefined,
      closed: undefined,
      streak: 0,
      runs: 0,
      lastExit: undefined,
      reason: undefined,
      removed: false,
      stderrWindowStart: 0,
      stderrInWindow: 0,
      stderrSuppressed: 0,
    };
    this.collectors.set(file.name, m);
    this.log.info({ collector: file.name, interval: file.interval, path: file.path }, 'collector found');
    this.begin(m);
  }

  /** A new version of the file: long-running ones restart now, a running interval one finishes first. */
  private replace(m: Managed, file: CollectorFile): void {
    const moved = m.file.interval !== file.interval || m.file.path !== file.path;
    m.streak = 0;
    m.reason = undefined;
    if (m.child !== undefined) {
      if (m.file.interval === 0 || moved) {
        m.nextFile = file;
        if (m.stopReason === undefined) this.terminate(m, 'changed');
        else m.stopReason = 'changed';
      } else {
        m.file = file;
      }
      return;
    }
    m.file = file;
    clearTimeout(m.timer);
    m.timer = undefined;
    this.begin(m);
  }

  /** First run of a (new or re-enabled) collector: now, then on its interval. */
  private begin(m: Managed): void {
    m.retryAt = 0;
    this.spawn(m);
    if (m.file.interval > 0 && !this.shuttingDown) this.scheduleTurn(m, Date.now() + m.file.interval * 1000);
  }

  private scheduleTurn(m: Managed, at: number): void {
    clearTimeout(m.timer);
    m.nextRunAt = at;
    m.timer = setTimeout(() => this.turn(m), Math.max(0, at - Date.now()));
  }

  /** An interval collector's turn. */
  private turn(m: Managed): void {
    if (this.shuttingDown || m.removed) return;
    const period = m.file.interval * 1000;
    const now = Date.now();
    let next = (m.nextRunAt ?? now) + period;
    if (next <= now) next = now + period; // turns missed (suspended machine): do not run a burst
    this.scheduleTurn(m, next);
    if (m.state === 'running') {
      this.log.warn(
        { collector: m.file.name, interval: m.file.interval, pid: m.pid },
        `${m.file.name} is still running at its next turn; SIGTERM sent`,
      );
      this.terminate(m, 'overstay');
      return;
    }
    if (m.state === 'stopping' || m.state === 'disabled') return;
    if (m.state === 'dead' && now < m.retryAt) return;
    this.spawn(m);
  }

  private spawn(m: Managed): void {
    if (this.shuttingDown || m.removed) return;
    const name = m.file.name;
    let child: ChildProcess;
    try {
      child = spawn(m.file.path, [], {
        detached: true, // own process group, so SIGTERM/SIGKILL reach its children too
        stdio: ['ignore', 'pipe', 'pipe'],
        env: this.env,
        cwd: dirname(m.file.path),
      });
    } catch (err) {
      this.log.error({ err, collector: name }, `cannot start ${name}`);
      this.ended(m, { code: null, signal: null, at: Date.now() }, true);
      return;
    }
    const now = Date.now();
    m.child = child;
    m.pid = child.pid;
    m.state = 'running';
    m.startedAt = now;
    m.lastOutputAt = now;
    m.runs++;
    m.reason = undefined;

    const onLine = this.options.onLine;
    const out = new LineFramer({
      maxLineLength: READ_LINE_LIMIT,
      onLine: (line) => onLine(name, line),
      onOversize: (length) => this.options.onOversize(name, length),
    });
    const err = new LineFramer({
      maxLineLength: 4096,
      onLine: (line) => this.stderrLine(m, line),
      onOversize: (length) => this.stderrLine(m, `<line of ${length}+ bytes not shown>`),
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      m.lastOutputAt = Date.now();
      out.push(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));

    let exitTimer: NodeJS.Timeout | undefined;
    let spawnError: Error | undefined;
    let finished = false;
    let resolveClosed!: () => void;
    m.closed = new Promise((resolve) => {
      resolveClosed = resolve;
    });
    const finish = (code: number | null, signal: string | null) => {
      if (finished) return;
      finished = true;
      clearTimeout(exitTimer);
      out.end();
      err.end();
      if (spawnError !== undefined) {
        this.log.error({ err: spawnError, collector: name }, `cannot start ${name}: ${spawnError.message}`);
      }
      this.ended(m, { code, signal, at: Date.now() }, spawnError !== undefined);
      resolveClosed();
    };
    child.on('error', (error) => {
      spawnError = error;
      // A process that never started emits no 'exit'; 'close' may not follow either.
      if (child.pid === undefined) finish(null, null);
    });
    child.on('exit', () => {
      // A grandchild that kept the pipes open would hold 'close' back forever.
      exitTimer = setTimeout(() => {
        signalGroup(child.pid, 'SIGKILL');
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, this.options.killGraceMs);
    });
    child.on('close', (code, signal) => finish(code, signal));
    if (child.pid !== undefined) this.log.info({ collector: name, pid: child.pid }, `spawned ${name}`);
  }

  /** Decides what happens after a process ended (its output is fully read by now). */
  private ended(m: Managed, exit: ExitInfo, failedToStart: boolean): void {
    const name = m.file.name;
    const runMs = m.startedAt === undefined ? 0 : exit.at - m.startedAt;
    const reason = m.stopReason;
    clearTimeout(m.killTimer);
    m.killTimer = undefined;
    m.child = undefined;
    m.pid = undefined;
    m.stopReason = undefined;
    m.lastExit = exit;

    if (m.removed) {
      this.forget(m);
      return;
    }
    if (this.shuttingDown || reason === 'shutdown') {
      m.state = 'stopped';
      return;
    }
    const exitText = exit.signal !== null ? `signal ${exit.signal}` : `status ${String(exit.code)}`;
    if (reason === 'changed') {
      if (m.nextFile !== undefined) m.file = m.nextFile;
      m.nextFile = undefined;
      clearTimeout(m.timer);
      m.timer = undefined;
      this.begin(m);
      return;
    }
    if (reason === 'overstay') {
      m.state = 'waiting';
      return;
    }
    if (reason === 'inactive' && this.options.removeInactiveCollectors) {
      this.disable(m, 'inactive');
      return;
    }
    if (!failedToStart && exit.code === EXIT_DO_NOT_RESPAWN) {
      this.log.info(
        { collector: name },
        `${name} exited with 13: not running it again until its file changes`,
      );
      this.disable(m, 'exit 13');
      return;
    }
    const ok = !failedToStart && exit.code === 0;
    if (m.file.interval > 0) {
      if (ok) {
        m.streak = 0;
        m.state = 'waiting';
        return;
      }
      m.streak++;
      const delay = cappedBackoff(m.streak, this.options.deadRetryMinMs, this.options.deadRetryMaxMs);
      m.retryAt = exit.at + delay;
      m.state = 'dead';
      this.log.warn(
        { collector: name, exit: exitText, retryInMs: delay, failures: m.streak },
        `${name} terminated after ${Math.round(runMs / 1000)} s with ${exitText}; marked dead`,
      );
      return;
    }
    // Long-running: always respawned, sooner after a clean exit, later after a failure; a run
    // that lasted past the cap means the collector was healthy, so the backoff starts over.
    if (runMs >= this.options.respawnBackoffMaxMs) m.streak = 0;
    m.streak++;
    let delay: number;
    if (ok || reason === 'inactive') {
      delay = cappedBackoff(m.streak, this.options.respawnBackoffMinMs, this.options.respawnBackoffMaxMs);
      m.state = 'waiting';
      this.log.info({ collector: name, respawnInMs: delay }, `${name} ended (${exitText}); respawning`);
    } else {
      delay = cappedBackoff(m.streak, this.options.deadRetryMinMs, this.options.deadRetryMaxMs);
      m.state = 'dead';
      this.log.warn(
        { collector: name, exit: exitText, retryInMs: delay, failures: m.streak },
        `${name} terminated after ${Math.round(runMs / 1000)} s with ${exitText}; marked dead`,
      );
    }
    m.retryAt = exit.at + delay;
    m.nextRunAt = m.retryAt;
    clearTimeout(m.timer);
    m.timer = setTimeout(() => this.spawn(m), delay);
  }

  private disable(m: Managed, reason: string): void {
    m.state = 'disabled';
    m.reason = reason;
    m.nextRunAt = undefined;
    clearTimeout(m.timer);
    m.timer = undefined;
  }

  private forget(m: Managed): void {
    clearTimeout(m.timer);
    clearTimeout(m.killTimer);
    if (this.collectors.get(m.file.name) === m) this.collectors.delete(m.file.name);
    this.options.onRemoved?.(m.file.name);
  }

  /** SIGTERM to the process group now, SIGKILL after the grace period. */
  private terminate(m: Managed, reason: StopReason): void {
    if (m.child === undefined) return;
    if (m.stopReason !== undefined && m.state === 'stopping') {
      // Already on its way out; a shutdown still overrides what happens afterwards.
      if (reason === 'shutdown' || reason === 'removed') m.stopReason = reason;
      return;
    }
    m.stopReason = reason;
    m.state = 'stopping';
    const pid = m.child.pid;
    signalGroup(pid, 'SIGTERM');
    m.killTimer = setTimeout(() => {
      if (m.child === undefined || m.child.pid !== pid) return;
      this.log.warn({ collector: m.file.name, pid }, `${m.file.name} ignored SIGTERM; SIGKILL sent`);
      signalGroup(pid, 'SIGKILL');
    }, this.options.killGraceMs);
  }

  private checkInactivity(): void {
    const now = Date.now();
    for (const m of this.collectors.values()) {
      if (m.file.interval !== 0 || m.state !== 'running' || m.lastOutputAt === undefined) continue;
      const silentMs = now - m.lastOutputAt;
      if (silentMs <= this.options.allowedInactivityMs) continue;
      this.log.warn(
        { collector: m.file.name, pid: m.pid, silentMs },
        `terminating ${m.file.name} after ${Math.round(silentMs / 1000)} s of inactivity`,
      );
      this.terminate(m, 'inactive');
    }
  }

  private stderrLine(m: Managed, line: string): void {
    if (line === '') return;
    const now = Date.now();
    if (now - m.stderrWindowStart >= 1000) {
      if (m.stderrSuppressed > 0) {
        this.log.warn(
          { collector: m.file.name, suppressed: m.stderrSuppressed },
          `${m.file.name}: ${m.stderrSuppressed} stderr lines not logged (rate limit)`,
        );
      }
      m.stderrWindowStart = now;
      m.stderrInWindow = 0;
      m.stderrSuppressed = 0;
    }
    if (++m.stderrInWindow > STDERR_LINES_PER_SECOND) {
      m.stderrSuppressed++;
      return;
    }
    this.log.warn({ collector: m.file.name, stderr: true }, `${m.file.name}: ${line}`);
  }

  private reportConflicts(conflicts: NameConflict[]): void {
    const current = new Set<string>();
    for (const c of conflicts) {
      const key = `${c.name}@${c.intervals.join(',')}`;
      current.add(key);
      if (this.reportedConflicts.has(key)) continue;
      this.reportedConflicts.add(key);
      this.log.error(
        { collector: c.name, intervals: c.intervals, running: c.chosen },
        `collector ${c.name} exists in intervals ${c.intervals.join(' and ')}; only the one in ${c.chosen} runs`,
      );
    }
    for (const key of this.reportedConflicts) if (!current.has(key)) this.reportedConflicts.delete(key);
  }

  private syncWatchers(paths: string[]): void {
    const wanted = new Set(paths);
    for (const [path, watcher] of this.watchers) {
      if (wanted.has(path)) continue;
      watcher.close();
      this.watchers.delete(path);
    }
    for (const path of wanted) {
      if (this.watchers.has(path)) continue;
      try {
        const watcher = watch(path, { persistent: false }, () => this.scheduleRescan());
        watcher.on('error', () => {
          watcher.close();
          this.watchers.delete(path);
        });
        this.watchers.set(path, watcher);
      } catch {
        // Unwatchable (gone, or out of inotify watches): the periodic rescan still covers it.
      }
    }
  }

  private scheduleRescan(): void {
    if (this.shuttingDown) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.rescan(), WATCH_DEBOUNCE_MS);
  }
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

/**
 * The agent's environment minus its credentials (collectors never see them), with tcollector's
 * PYTHONPATH so Python collectors can `from collectors.lib import utils` when a `lib` exists.
 */
export function collectorEnvironment(env: NodeJS.ProcessEnv, dir: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (key === 'OTSDB_USER' || key === 'OTSDB_PASSWORD') continue;
    out[key] = value;
  }
  if (existsSync(join(dir, 'lib'))) {
    const extra = [dirname(dir), dir].join(':');
    out['PYTHONPATH'] = out['PYTHONPATH'] ? `${out['PYTHONPATH']}:${extra}` : extra;
  }
  return out;
}
