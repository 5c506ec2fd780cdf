import type { DataPoint } from '@otsdb/protocol';
import { tagValue as cleanTagValue } from './collectors/point-batch.js';
import type { SourceCounters } from './line-pipeline.js';
import type { SinkStats } from './sink.js';

/**
 * The agent's own metrics under tcollector's names, so existing dashboards keep working:
 * `tcollector.reader.lines_collected`, `tcollector.reader.lines_dropped`, and per collector
 * `tcollector.collector.lines_sent|lines_received|lines_invalid` tagged `collector=<name>`.
 * The sender's counters come in addition as `tcollector.sender.*` (tcollector had none).
 * Values are counters since the agent started.
 */

export interface SelfMetricsInput {
  /** Seconds since the epoch. */
  timestamp: number;
  linesCollected: number;
  linesDropped: number;
  collectors: { name: string; counters: SourceCounters }[];
  sink: SinkStats;
}

export function selfMetricPoints(input: SelfMetricsInput): DataPoint[] {
  const ts = input.timestamp;
  const points: DataPoint[] = [
    { metric: 'tcollector.reader.lines_collected', timestamp: ts, value: input.linesCollected, tags: {} },
    { metric: 'tcollector.reader.lines_dropped', timestamp: ts, value: input.linesDropped, tags: {} },
  ];
  for (const { name, counters } of input.collectors) {
    const tags = { collector: tagValue(name) };
    points.push(
      { metric: 'tcollector.collector.lines_sent', timestamp: ts, value: counters.sent, tags: { ...tags } },
      {
        metric: 'tcollector.collector.lines_received',
        timestamp: ts,
        value: counters.received,
        tags: { ...tags },
      },
      {
        metric: 'tcollector.collector.lines_invalid',
        timestamp: ts,
        value: counters.invalid,
        tags: { ...tags },
      },
    );
  }
  const sink = input.sink;
  points.push(
    { metric: 'tcollector.sender.points_held', timestamp: ts, value: sink.held, tags: {} },
    { metric: 'tcollector.sender.points_dropped', timestamp: ts, value: sink.dropped, tags: {} },
  );
  if (sink.client !== undefined) {
    const c = sink.client;
    points.push(
      { metric: 'tcollector.sender.points_sent', timestamp: ts, value: c.sent, tags: {} },
      { metric: 'tcollector.sender.points_rejected', timestamp: ts, value: c.rejected, tags: {} },
      { metric: 'tcollector.sender.errors', timestamp: ts, value: c.errors, tags: {} },
    );
  }
  return points;
}

/**
 * A collector's file name as a tag value, by the built-in collectors' rule (characters OpenTSDB
 * refuses become `_`); never empty.
 */
export function tagValue(name: string): string {
  return name === '' ? '_' : cleanTagValue(name);
}
