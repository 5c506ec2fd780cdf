import { describe, expect, it } from 'vitest';
import { fixtureNodes } from '../test/fixtures.js';
import { TestSink } from '../test/harness.js';
import { NodeDirectory } from './node-directory.js';
import { BridgeMetrics } from './self-metrics.js';
import { SelfMetricsReporter } from './self-metrics-reporter.js';

describe('self-metrics', () => {
  it('become catchpoint.bridge.* points with the host tag', () => {
    const m = new BridgeMetrics();
    m.received = 5;
    m.accepted = 3;
    m.pointsQueued = 40;
    m.refreshOk = 2;
    m.reject('unauthorized');
    m.reject('queue_full');
    m.reject('queue_full');
    const points = m.toPoints(1000, { host: 'bridge1' }, 7);
    const byKey = Object.fromEntries(points.map((p) => [`${p.metric}${JSON.stringify(p.tags)}`, p.value]));
    expect(byKey).toEqual({
      'catchpoint.bridge.received{"host":"bridge1"}': 5,
      'catchpoint.bridge.accepted{"host":"bridge1"}': 3,
      'catchpoint.bridge.points_queued{"host":"bridge1"}': 40,
      'catchpoint.bridge.points_truncated{"host":"bridge1"}': 0,
      'catchpoint.bridge.points_invalid{"host":"bridge1"}': 0,
      'catchpoint.bridge.unknown_nodes{"host":"bridge1"}': 0,
      'catchpoint.bridge.node_refreshes{"host":"bridge1","result":"ok"}': 2,
      'catchpoint.bridge.node_refreshes{"host":"bridge1","result":"error"}': 0,
      'catchpoint.bridge.nodes{"host":"bridge1"}': 7,
      'catchpoint.bridge.self_metrics_dropped{"host":"bridge1"}': 0,
      'catchpoint.bridge.rejected{"host":"bridge1","reason":"queue_full"}': 2,
      'catchpoint.bridge.rejected{"host":"bridge1","reason":"unauthorized"}': 1,
    });
    expect(points.every((p) => p.timestamp === 1000)).toBe(true);
  });

  it('the reporter writes them through the sink and counts what the sink refused', async () => {
    const sink = new TestSink();
    const metrics = new BridgeMetrics();
    const reporter = new SelfMetricsReporter({
      metrics,
      directory: new NodeDirectory(fixtureNodes()),
      sink,
      tags: { host: 'h' },
      intervalMs: 60_000,
      now: () => 42,
    });
    await reporter.report();
    expect(sink.points.find((p) => p.metric === 'catchpoint.bridge.nodes')).toEqual({
      metric: 'catchpoint.bridge.nodes',
      timestamp: 42,
      value: 3,
      tags: { host: 'h' },
    });
    sink.mode = 'full';
    await reporter.report();
    expect(metrics.selfMetricsDropped).toBe(10);
    sink.mode = 'throw';
    await reporter.report();
    expect(metrics.selfMetricsDropped).toBe(20);
  });
});
