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
});
