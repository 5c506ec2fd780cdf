import { createClient } from '@otsdb/client';
import { freePort } from '@otsdb/testkit';
import { describe, expect, it } from 'vitest';
import { fixture, fixtureNodes } from '../test/fixtures.js';
import { ClientSink } from './client-sink.js';
import { loadConfig } from './config.js';
import { Ingest } from './ingest.js';
import { createMapper } from './mapping.js';
import { NodeDirectory } from './node-directory.js';
import { BridgeMetrics } from './self-metrics.js';
import { clientOptions } from './sinks.js';

describe('ClientSink', () => {
  it('admits whole pushes until the sender is nearly full, then says queue_full (the webhook answers 503)', async () => {
    // Nothing listens on this port: the client keeps every point and retries.
    const port = await freePort();
    const r = await loadConfig({
      cli: {
        webhook: { allowUnauthenticated: true },
        output: { tsd: { host: '127.0.0.1', port, maxQueue: 2256 } },
      },
    });
    if (!r.ok) throw new Error(r.errors.join());
    const client = await createClient({
      ...clientOptions(r.config),
      backoff: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    const sink = new ClientSink(client, { closeTimeoutMs: 0 });
    const metrics = new BridgeMetrics();
    const ingest = new Ingest({
      directory: new NodeDirectory(fixtureNodes()),
      mapper: createMapper(r.config.mapping),
      sink,
      metrics,
    });
    try {
      let accepted = 0;
      let outcome = ingest.accept(fixture('web'));
      while (!(outcome instanceof Promise) && outcome.ok && accepted < 1000) {
        accepted++;
        outcome = ingest.accept(fixture('web'));
      }
      expect(outcome).toMatchObject({ ok: false, status: 503, reason: 'queue_full' });
      // High water mark 2256 - 500 - 64 = 1692 points: 59 pushes of 29 points fit, the 60th does not.
      expect(accepted).toBe(59);
      expect(sink.refusedPoints).toBe(0);
      expect(client.stats().refused).toBe(0);
    } finally {
      await sink.close();
    }
    expect(sink.write([])).toEqual({ accepted: false, reason: 'closed' });
  });

  it('leaves out only the points the client refuses as invalid, and the ingest counts them (no second check)', async () => {
    const port = await freePort();
    const client = await createClient({
      hosts: [{ host: '127.0.0.1', port }],
      protocol: 'http',
      hostTag: false,
      dropPolicy: 'reject',
      protocolOptions: { maxTags: 2 },
      backoff: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    const sink = new ClientSink(client, { closeTimeoutMs: 0 });
    const metrics = new BridgeMetrics();
    const ingest = new Ingest({
      directory: new NodeDirectory(fixtureNodes()),
      mapper: (push) => ({
        truncated: 0,
        points: [
          { metric: 'good.one', timestamp: push.timestamp, value: 1, tags: { a: 'b' } },
          { metric: 'bad metric', timestamp: push.timestamp, value: 1, tags: { a: 'b' } },
          { metric: 'too.many.tags', timestamp: push.timestamp, value: 1, tags: { a: '1', b: '2', c: '3' } },
          { metric: 'good.two', timestamp: push.timestamp, value: 2, tags: { a: 'b' } },
        ],
      }),
      sink,
      metrics,
      // Looser than the client's: only the client's own check can refuse the third point.
      protocol: { maxTags: 8 },
    });
    try {
      expect(sink.checksPoints).toBe(true);
      expect(ingest.accept(fixture('dns'))).toEqual({ ok: true, points: 2, unknownNode: false });
      expect(metrics.snapshot()).toMatchObject({ pointsInvalid: 2, pointsQueued: 2, accepted: 1 });
      expect(sink.invalidPoints).toBe(2);
      expect(sink.refusedPoints).toBe(0);
      const stats = client.stats();
      expect(stats.queued + stats.inFlight).toBe(2);
      expect(stats.invalid).toBe(2);
    } finally {
      await sink.close();
    }
  });
});
