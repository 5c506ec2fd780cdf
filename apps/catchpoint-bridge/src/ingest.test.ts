import { describe, expect, it } from 'vitest';
import { fixture, fixtureNodes } from '../test/fixtures.js';
import { memoryLogger, TestSink } from '../test/harness.js';
import { Ingest } from './ingest.js';
import type { Mapper } from './mapping-options.js';
import { NodeDirectory } from './node-directory.js';
import { BridgeMetrics } from './self-metrics.js';

describe('Ingest', () => {
  it('drops a mapped point the TSD would refuse, counts it, and keeps the rest of the push', () => {
    const sink = new TestSink();
    const metrics = new BridgeMetrics();
    const { logger, lines } = memoryLogger();
    const mapper: Mapper = (push) => ({
      truncated: 2,
      points: [
        { metric: 'good.one', timestamp: push.timestamp, value: 1, tags: { a: 'b' } },
        { metric: 'bad metric', timestamp: push.timestamp, value: 1, tags: { a: 'b' } },
        { metric: 'too.many.tags', timestamp: push.timestamp, value: 1, tags: { a: '1', b: '2', c: '3' } },
        { metric: 'good.two', timestamp: push.timestamp, value: 2, tags: { a: 'b' } },
      ],
    });
    const ingest = new Ingest({
      directory: new NodeDirectory(fixtureNodes()),
      mapper,
      sink,
      metrics,
      protocol: { maxTags: 2 },
      logger,
    });
    expect(ingest.accept(fixture('dns'))).toEqual({ ok: true, points: 2, unknownNode: false });
    expect(sink.points.map((p) => p.metric)).toEqual(['good.one', 'good.two']);
    expect(metrics.snapshot()).toMatchObject({
      pointsInvalid: 2,
      pointsTruncated: 2,
      pointsQueued: 2,
      accepted: 1,
    });
    expect(lines.join('')).toContain('mapped point dropped');
  });

  it('tells the caller about unknown nodes and counts them', () => {
    const unknown: number[] = [];
    const metrics = new BridgeMetrics();
    const ingest = new Ingest({
      directory: new NodeDirectory(fixtureNodes()),
      mapper: () => ({ points: [], truncated: 0 }),
      sink: new TestSink(),
      metrics,
      onUnknownNode: (id) => unknown.push(id),
    });
    expect(ingest.accept(fixture('unknown-node'))).toEqual({ ok: true, points: 0, unknownNode: true });
    expect(unknown).toEqual([99999]);
    expect(metrics.unknownNodes).toBe(1);
  });

  it('a sink that says closed means shutting down, not a full queue', async () => {
    const sink = new TestSink();
    await sink.close();
    const metrics = new BridgeMetrics();
    const ingest = new Ingest({
      directory: new NodeDirectory(),
      mapper: (push) => ({
        points: [{ metric: 'm', timestamp: push.timestamp, value: 1, tags: { a: 'b' } }],
        truncated: 0,
      }),
      sink,
      metrics,
    });
    expect(ingest.accept(fixture('dns'))).toMatchObject({ ok: false, status: 503, reason: 'shutting_down' });
    expect(metrics.rejected('shutting_down')).toBe(1);
  });
});
