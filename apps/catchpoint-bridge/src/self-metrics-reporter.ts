import type { Tags } from '@otsdb/protocol';
import type { Logger } from 'pino';
import type { NodeDirectory } from './node-directory.js';
import type { BridgeMetrics } from './self-metrics.js';
import type { Sink } from './sink.js';

/**
 * Writes the bridge's counters as `catchpoint.bridge.*` points every interval, through the
 * same sink as the data, so they land next to what they describe. A write the sink refuses
 * is counted (`self_metrics_dropped`), never retried: the next report carries the totals.
 */
export class SelfMetricsReporter {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly options: {
      metrics: BridgeMetrics;
      directory: NodeDirectory;
      sink: Sink;
      tags: Tags;
      intervalMs: number;
      logger?: Logger | undefined;
      now?: () => number;
    },
  ) {}

  start(): void {
    if (this.options.intervalMs <= 0 || this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.report(), this.options.intervalMs);
    this.#timer.unref();
  }

  async report(): Promise<void> {
    const { metrics, directory, sink, tags, logger } = this.options;
    const now = (this.options.now ?? Date.now)();
    const points = metrics.toPoints(now, tags, directory.size);
    try {
      const r = await sink.write(points);
      if (!r.accepted) metrics.selfMetricsDropped += points.length;
    } catch (err) {
      metrics.selfMetricsDropped += points.length;
      logger?.warn({ err }, 'self-metrics not written');
    }
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
