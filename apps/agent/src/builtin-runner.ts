import type { DataPoint } from '@otsdb/protocol';
import type { Logger } from 'pino';
import type { Collector } from './collectors/types.js';

/**
 * Runs the built-in /proc collectors in-process on their interval and hands their points to the
 * pipeline (same tags, dedup and sender as external collectors). A collection still running at
 * the next turn is not started twice; a throwing collector is logged (once per interval) and
 * tried again at its next turn.
 */

/** What this runner runs: a `./collectors` collector (or a test's stand-in). */
export type BuiltinCollector = Collector;

export type BuiltinState = 'running' | 'waiting' | 'failing' | 'stopped';

export interface BuiltinStatus {
  name: string;
  /** Source name in the pipeline and the `collector=` tag of self-metrics. */
  source: string;
  interval: number;
  state: BuiltinState;
  runs: number;
  failures: number;
  skipped: number;
  lastRunAt: number | undefined;
  lastDurationMs: number | undefined;
  lastError: string | undefined;
}

export interface BuiltinRunnerOptions {
  collectors: readonly BuiltinCollector[];
  procRoot: string;
  sysRoot: string;
  onPoints(source: string, points: DataPoint[]): void;
  logger: Logger;
  logIntervalMs: number;
}

interface Entry {
  collector: BuiltinCollector;
  status: BuiltinStatus;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  lastLogAt: number;
}

/** `builtin.<name>`: cannot collide with an external collector's file name in the status output. */
export function builtinSourceName(name: string): string {
  return `builtin.${name}`;
}

export class BuiltinRunner {
  private readonly entries: Entry[];
  private stopped = false;

  constructor(private readonly options: BuiltinRunnerOptions) {
    this.entries = options.collectors.map((collector) => ({
      collector,
      status: {
        name: collector.name,
        source: builtinSourceName(collector.name),
        interval: collector.intervalSeconds,
        state: 'waiting',
        runs: 0,
        failures: 0,
        skipped: 0,
        lastRunAt: undefined,
        lastDurationMs: undefined,
        lastError: undefined,
      },
      timer: undefined,
      running: undefined,
      lastLogAt: Number.NEGATIVE_INFINITY,
    }));
  }

  start(): void {
    // Spread the collectors over their interval instead of reading all of /proc at once: a
    // lower peak keeps the heap (and so the RSS) smaller.
    const n = this.entries.length;
    this.entries.forEach((entry, i) => {
      const period = entry.collector.intervalSeconds * 1000;
      const offset = i === 0 ? 0 : Math.round((Math.min(period, 15_000) * i) / n);
      entry.timer = setTimeout(() => {
        void this.run(entry);
        entry.timer = setInterval(() => void this.run(entry), period);
      }, offset);
    });
  }

  status(): BuiltinStatus[] {
    return this.entries.map((e) => ({ ...e.status }));
  }

  /** Stops scheduling and waits for collections in progress (their points still go through). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const entry of this.entries) {
      clearTimeout(entry.timer);
      clearInterval(entry.timer);
    }
    await Promise.all(this.entries.map((e) => e.running));
    for (const entry of this.entries) entry.status.state = 'stopped';
  }

  private run(entry: Entry): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (entry.running !== undefined) {
      entry.status.skipped++;
      return entry.running;
    }
    const started = Date.now();
    entry.status.state = 'running';
    entry.running = (async () => {
      try {
        const points = await entry.collector.collect({
          procRoot: this.options.procRoot,
          sysRoot: this.options.sysRoot,
        });
        entry.status.lastError = undefined;
        entry.status.state = 'waiting';
        this.options.onPoints(entry.status.source, points);
      } catch (err) {
        entry.status.failures++;
        entry.status.state = 'failing';
        entry.status.lastError = (err as Error).message;
        const now = Date.now();
        if (now - entry.lastLogAt >= this.options.logIntervalMs) {
          entry.lastLogAt = now;
          this.options.logger.warn(
            { collector: entry.status.source, err },
            `built-in collector ${entry.collector.name} failed: ${(err as Error).message}`,
          );
        }
      } finally {
        entry.status.runs++;
        entry.status.lastRunAt = started;
        entry.status.lastDurationMs = Date.now() - started;
        entry.running = undefined;
      }
    })();
    return entry.running;
  }
}
