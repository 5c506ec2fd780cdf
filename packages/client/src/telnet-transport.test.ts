import { waitFor } from '@otsdb/testkit/wait-for';
import { afterEach, describe, expect, it } from 'vitest';
import { downTsd, fakeTsd } from './__fixtures__/harness.js';
import { makeEndpoint } from './endpoints.js';
import type { ClientError } from './errors.js';
import { TelnetTransport, type TelnetTransportOptions } from './telnet-transport.js';
import type { Batch, TransportHooks } from './transport.js';

const options: TelnetTransportOptions = {
  tls: undefined,
  connectTimeoutMs: 5000,
  writeTimeoutMs: 5000,
  keepAliveMs: 1000,
  replayMs: 60_000,
  replayMaxPoints: 1000,
  replayMaxBytes: 1024 * 1024,
  backoff: { initialDelayMs: 10, maxDelayMs: 50, multiplier: 2, jitter: 0 },
};

function recorder() {
  const events = {
    connects: [] as string[],
    disconnects: [] as Array<ClientError | undefined>,
    idle: [] as boolean[],
    replays: [] as Batch[][],
    lines: [] as string[],
  };
  const hooks: TransportHooks = {
    onConnect: (e) => events.connects.push(e.label),
    onDisconnect: (_e, err, idle) => {
      events.disconnects.push(err);
      events.idle.push(idle);
    },
    onReplay: (batches) => events.replays.push(batches),
    onRemoteLine: (_e, line) => events.lines.push(line),
  };
  return { events, hooks };
}

function batch(lines: string[], firstSeq = 0): Batch {
  const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''));
  return {
    runs: [bytes],
    count: lines.length,
    bytes: bytes.length,
    firstSeq,
    owner: undefined,
    replay: false,
  };
}
/** A batch as the connection hands it back to be written again: its own copy of the bytes. */
const replayed = (b: Batch): Batch => ({ ...b, replay: true });
const signal = new AbortController().signal;

describe('TelnetTransport', () => {
  let transport: TelnetTransport | undefined;
  afterEach(async () => {
    await transport?.close(0);
    transport = undefined;
  });

  it('writes each batch in one piece on one connection', async () => {
    const sink = await fakeTsd();
    const { events, hooks } = recorder();
    transport = new TelnetTransport(options, hooks);
    const endpoint = makeEndpoint('127.0.0.1', sink.port);
    const r1 = await transport.deliver(batch(['put a 1 1 x=y', 'put b 1 2 x=y']), endpoint, signal);
    const r2 = await transport.deliver(batch(['put c 1 3 x=y']), endpoint, signal);
    expect(r1).toEqual({ kind: 'success', value: { accepted: 2, rejected: 0, errors: [] } });
    expect(r2.kind).toBe('success');
    await sink.waitForLines(3);
    expect(sink.lines).toEqual(['put a 1 1 x=y', 'put b 1 2 x=y', 'put c 1 3 x=y']);
    expect(sink.connections).toHaveLength(1);
    expect(events.connects).toEqual([`127.0.0.1:${sink.port}`]);
    expect(transport.connectedHosts()).toEqual([`127.0.0.1:${sink.port}`]);
  });

  it('passes on what the TSD writes back', async () => {
    const sink = await fakeTsd({
      mode: {
        kind: 'reject',
        reject: (input) => `bad ${input.protocol === 'telnet' ? input.line.split(' ')[1] : ''}`,
      },
    });
    const { events, hooks } = recorder();
    transport = new TelnetTransport(options, hooks);
    await transport.deliver(
      batch(['put m1 1 1 a=b', 'put m2 1 1 a=b']),
      makeEndpoint('127.0.0.1', sink.port),
      signal,
    );
    await waitFor(() => events.lines.length === 2);
    expect(events.lines).toEqual(['put: illegal argument: bad m1', 'put: illegal argument: bad m2']);
  });

  it('a refused connection is retryable and names the host and cause', async () => {
    const sink = await downTsd();
    const port = sink.port;
    const { hooks } = recorder();
    transport = new TelnetTransport(options, hooks);
    const result = await transport.deliver(batch(['put a 1 1 x=y']), makeEndpoint('127.0.0.1', port), signal);
    expect(result.kind).toBe('retryable');
    if (result.kind === 'retryable') {
      expect(result.error.code).toBe('connect_failed');
      expect(result.error.message).toContain(`127.0.0.1:${port}`);
      expect(result.error.message).toContain('ECONNREFUSED');
    }
  });

  it('hands back recently written batches when the peer drops the connection, and reconnects', async () => {
    const sink = await fakeTsd();
    const { events, hooks } = recorder();
    transport = new TelnetTransport(options, hooks);
    const endpoint = makeEndpoint('127.0.0.1', sink.port);
    const first = batch(['put a 1 1 x=y'], 0);
    await transport.deliver(first, endpoint, signal);
    await sink.waitForLines(1);
    await sink.stop();
    await sink.start();
    await waitFor(() => events.replays.length === 1);
    expect(events.replays[0]).toEqual([replayed(first)]);
    expect(events.disconnects[0]?.code).toBe('connection_lost');
    expect(events.idle).toEqual([false]);
    const again = await transport.deliver(batch(['put b 1 1 x=y'], 1), endpoint, signal);
    expect(again.kind).toBe('success');
    await sink.waitForLines(2);
    expect(sink.connections).toHaveLength(2);
  });

  it('forgets batches older than the replay window', async () => {
    const sink = await fakeTsd();
    const { events, hooks } = recorder();
    transport = new TelnetTransport({ ...options, replayMs: 50 }, hooks);
    const endpoint = makeEndpoint('127.0.0.1', sink.port);
    await transport.deliver(batch(['put old 1 1 x=y'], 0), endpoint, signal);
    await new Promise((resolve) => setTimeout(resolve, 120));
    const recent = batch(['put new 1 1 x=y'], 1);
    await transport.deliver(recent, endpoint, signal);
    await sink.stop();
    await waitFor(() => events.replays.length === 1);
    expect(events.replays[0]).toEqual([replayed(recent)]);
  });

  it('a connection closed by the TSD with nothing in flight or recent is reported as idle', async () => {
    const sink = await fakeTsd();
    const { events, hooks } = recorder();
    transport = new TelnetTransport({ ...options, replayMs: 20 }, hooks);
    await transport.deliver(batch(['put a 1 1 x=y']), makeEndpoint('127.0.0.1', sink.port), signal);
    await sink.waitForLines(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await sink.stop();
    await waitFor(() => events.idle.length === 1);
    expect(events.idle).toEqual([true]);
    expect(events.replays).toEqual([]);
  });

  it('keeps at most replayMaxPoints for replay', async () => {
    const sink = await fakeTsd();
    const { events, hooks } = recorder();
    transport = new TelnetTransport({ ...options, replayMaxPoints: 2 }, hooks);
    const endpoint = makeEndpoint('127.0.0.1', sink.port);
    const batches = [0, 1, 2].map((i) => batch([`put m${i} 1 1 x=y`], i));
    for (const b of batches) await transport.deliver(b, endpoint, signal);
    await sink.stop();
    await waitFor(() => events.replays.length === 1);
    expect(events.replays[0]).toEqual([replayed(batches[1]!), replayed(batches[2]!)]);
  });

  it('detects a stalled TSD by the write timeout', async () => {
    const sink = await fakeTsd({ mode: { kind: 'stall' } });
    const { events, hooks } = recorder();
    transport = new TelnetTransport({ ...options, writeTimeoutMs: 300 }, hooks);
    const big = 'put m 1 1 x=' + 'y'.repeat(1000);
    const entries = Array.from({ length: 20_000 }, () => big); // ~20 MB: more than socket buffers hold
    const result = await transport.deliver(batch(entries), makeEndpoint('127.0.0.1', sink.port), signal);
    expect(result.kind).toBe('retryable');
    if (result.kind === 'retryable') expect(result.error.code).toBe('timeout');
    expect(events.disconnects[0]?.message).toMatch(/stalled/);
  });

  it('probe opens and closes a connection, or says why it cannot', async () => {
    const sink = await fakeTsd();
    const { hooks } = recorder();
    transport = new TelnetTransport(options, hooks);
    expect(await transport.probe(makeEndpoint('127.0.0.1', sink.port))).toBeUndefined();
    await sink.waitUntil((t) => t.connections.length === 1 && t.openConnections === 0);
    const port = sink.port;
    await sink.stop();
    const error = await transport.probe(makeEndpoint('127.0.0.1', port));
    expect(error?.message).toMatch(new RegExp(`127.0.0.1:${port}.*ECONNREFUSED`));
  });

  it('close ends connections gracefully: everything written arrives', async () => {
    const sink = await fakeTsd();
    const { events, hooks } = recorder();
    transport = new TelnetTransport(options, hooks);
    const entries = Array.from({ length: 10_000 }, (_, i) => `put m 1 ${i} x=y`);
    await transport.deliver(batch(entries), makeEndpoint('127.0.0.1', sink.port), signal);
    await transport.close(5000);
    expect(sink.lines).toHaveLength(10_000);
    expect(events.replays).toEqual([]);
    expect(events.disconnects).toEqual([]);
  });
});
