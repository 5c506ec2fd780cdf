import type { Socket } from 'node:net';
import { LineFramer } from '@otsdb/protocol';
import { type AttemptResult, retryable, success } from './attempt-result.js';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import { openSocket } from './connect.js';
import { ClientError, describeCause } from './errors.js';
import type { Endpoint } from './host-pool.js';
import type { TlsOptions } from './options.js';
import { ReplayRing } from './replay-ring.js';
import { sleep } from './retry.js';
import type { Batch, DeliveryReport, Transport, TransportHooks } from './transport.js';

export interface TelnetTransportOptions {
  tls: TlsOptions | undefined;
  connectTimeoutMs: number;
  writeTimeoutMs: number;
  keepAliveMs: number;
  /** Written batches are kept this long to be written again if the connection dies. */
  replayMs: number;
  /** Bound on points kept for replay per connection; the oldest are let go first. */
  replayMaxPoints: number;
  /** Bound on the replay buffer's bytes per connection (half of it holds kept batches). */
  replayMaxBytes: number;
  /** Delay before reconnecting to a host whose connections keep dying right after they open. */
  backoff: BackoffOptions;
}

/** A connection that lived this long before dying resets the reconnect backoff. */
const STABLE_CONNECTION_MS = 5000;

interface PendingWrite {
  resolve(result: AttemptResult<DeliveryReport>): void;
  timer: NodeJS.Timeout;
}

/**
 * One telnet (or telnet over TLS) connection to one TSD. Batches are written as one string each;
 * a write counts when its callback reports the data handed to the kernel and the connection is
 * still up. The TSD's replies (OpenTSDB writes `put: ...` for a refused point) are read and passed
 * on. A dead peer shows up as 'end'/'close'/'error', a write error, TCP keepalive, or a write the
 * kernel cannot take within `writeTimeoutMs` (the TSD stopped reading).
 */
class TelnetConnection {
  private alive = true;
  private readonly pending = new Set<PendingWrite>();
  private readonly replay: ReplayRing | undefined;
  private closedByUs = false;
  private readonly closedPromise: Promise<void>;
  readonly openedAt = Date.now();

  constructor(
    readonly endpoint: Endpoint,
    private readonly socket: Socket,
    private readonly options: TelnetTransportOptions,
    private readonly hooks: TransportHooks,
    private readonly onGone: (connection: TelnetConnection, unexpected: boolean) => void,
  ) {
    if (options.replayMs > 0) {
      this.replay = new ReplayRing(options.replayMs, options.replayMaxPoints, options.replayMaxBytes);
    }
    // Sockets never hold the process open on their own: pending writes, connects and retry timers
    // do, so an idle client lets the program exit.
    socket.unref();
    const framer = new LineFramer({
      maxLineLength: 64 * 1024,
      onLine: (line: string) => {
        if (line !== '') hooks.onRemoteLine(endpoint, line);
      },
    });
    socket.on('data', (chunk: Buffer) => framer.push(chunk));
    socket.on('end', () => {
      framer.end();
      this.fail(
        new ClientError('connection_lost', `${endpoint.label} closed the connection`, {
          host: endpoint.label,
        }),
      );
    });
    socket.on('error', (err) => {
      this.fail(
        new ClientError('connection_lost', `connection to ${endpoint.label} failed: ${describeCause(err)}`, {
          host: endpoint.label,
          cause: err,
        }),
      );
    });
    this.closedPromise = new Promise((resolve) => {
      socket.once('close', () => {
        this.fail(
          new ClientError('connection_lost', `connection to ${endpoint.label} closed`, {
            host: endpoint.label,
          }),
        );
        resolve();
      });
    });
  }

  get isAlive(): boolean {
    return this.alive;
  }

  write(batch: Batch, payload: Buffer): Promise<AttemptResult<DeliveryReport>> {
    if (!this.alive) {
      return Promise.resolve(
        retryable(new ClientError('connection_lost', `connection to ${this.endpoint.label} is closed`)),
      );
    }
    return new Promise((resolve) => {
      const pending: PendingWrite = {
        resolve,
        timer: setTimeout(() => {
          this.fail(
            new ClientError(
              'timeout',
              `${this.endpoint.label} took no data for ${this.options.writeTimeoutMs} ms (stalled TSD)`,
              { host: this.endpoint.label },
            ),
          );
        }, this.options.writeTimeoutMs),
      };
      this.pending.add(pending);
      const write = () => {
        if (!this.alive) return; // fail() has resolved this write already
        this.socket.write(payload, (err) => done(err));
      };
      const done = (err: Error | null | undefined) => {
        if (!this.pending.delete(pending)) return; // already failed by fail()
        clearTimeout(pending.timer);
        if (err || !this.alive) {
          resolve(
            retryable(
              new ClientError(
                'connection_lost',
                `write to ${this.endpoint.label} failed: ${describeCause(err)}`,
                {
                  host: this.endpoint.label,
                  cause: err,
                },
              ),
            ),
          );
          return;
        }
        this.replay?.add(batch, payload, Date.now());
        resolve(success({ accepted: batch.count, rejected: 0, errors: [] }));
      };
      // Socket backpressure: once the kernel stops taking data, hold further batches in our
      // bounded queue until 'drain' instead of piling them up in the socket's buffer.
      if (this.socket.writableNeedDrain) this.socket.once('drain', write);
      else write();
    });
  }

  /** Half-closes after what is written, waits for the TSD to close, destroys at the deadline. */
  async end(timeoutMs: number): Promise<void> {
    this.closedByUs = true;
    if (this.alive) this.socket.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closedPromise,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, timeoutMs));
      }),
    ]);
    clearTimeout(timer);
    this.destroy();
  }

  destroy(): void {
    this.closedByUs = true;
    this.fail(new ClientError('closed', 'client closed'));
  }

  private fail(error: ClientError): void {
    if (!this.alive) return;
    this.alive = false;
    this.socket.destroy();
    const busy = this.pending.size > 0;
    for (const pending of this.pending) {
      clearTimeout(pending.timer);
      pending.resolve(retryable(error));
    }
    this.pending.clear();
    if (this.closedByUs) {
      this.onGone(this, false);
      return;
    }
    const replay = this.replay?.take(Date.now()) ?? [];
    // A TSD closing a connection that had nothing in flight (an idle timeout) is routine.
    const idle = !busy && replay.length === 0;
    this.onGone(this, !idle);
    this.hooks.onDisconnect(this.endpoint, error, idle);
    if (replay.length > 0) this.hooks.onReplay(replay);
  }
}

/** Telnet put lines over TCP or TLS, one connection per host, reconnecting on demand. */
export class TelnetTransport implements Transport {
  private readonly connections = new Map<string, TelnetConnection>();
  private readonly connecting = new Map<string, Promise<AttemptResult<TelnetConnection>>>();
  /** Per host: connections lost in a row soon after opening, and when the next one may open. */
  private readonly losses = new Map<string, { count: number; nextConnectAt: number }>();
  private closing = false;
  private readonly connectAbort = new AbortController();

  constructor(
    private readonly options: TelnetTransportOptions,
    private readonly hooks: TransportHooks,
  ) {}

  /** The client's abort is handled by `close()` (connects abandoned, connections ended). */
  async deliver(
    batch: Batch,
    endpoint: Endpoint,
    _signal?: AbortSignal,
  ): Promise<AttemptResult<DeliveryReport>> {
    const connection = await this.connection(endpoint);
    if (connection.kind !== 'success') return connection;
    const payload = batch.runs.length === 1 ? batch.runs[0]! : Buffer.concat(batch.runs, batch.bytes);
    return connection.value.write(batch, payload);
  }

  async probe(endpoint: Endpoint): Promise<ClientError | undefined> {
    const result = await openSocket(endpoint, this.connectOptions());
    if (!result.ok) return result.error;
    result.socket.destroy();
    return undefined;
  }

  connectedHosts(): string[] {
    return [...this.connections.values()].filter((c) => c.isAlive).map((c) => c.endpoint.label);
  }

  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    // Connects in progress would outlive the deadline: abandon them.
    this.connectAbort.abort();
    await Promise.all([...this.connecting.values()]);
    await Promise.all([...this.connections.values()].map((c) => c.end(timeoutMs)));
    this.connections.clear();
  }

  private connection(endpoint: Endpoint): Promise<AttemptResult<TelnetConnection>> {
    if (this.closing) return Promise.resolve(retryable(new ClientError('closed', 'client closed')));
    const existing = this.connections.get(endpoint.label);
    if (existing?.isAlive) return Promise.resolve(success(existing));
    let connecting = this.connecting.get(endpoint.label);
    if (!connecting) {
      connecting = this.open(endpoint).finally(() => this.connecting.delete(endpoint.label));
      this.connecting.set(endpoint.label, connecting);
    }
    return connecting;
  }

  private async open(endpoint: Endpoint): Promise<AttemptResult<TelnetConnection>> {
    // A TSD that accepts and then drops every connection (a restart loop, a mutual-TLS refusal
    // after the handshake) must not be hammered: wait out the backoff before connecting again.
    const wait = (this.losses.get(endpoint.label)?.nextConnectAt ?? 0) - Date.now();
    if (wait > 0) await sleep(wait, this.connectAbort.signal);
    const result = await openSocket(endpoint, this.connectOptions(), this.connectAbort.signal);
    if (!result.ok) return retryable(result.error);
    if (this.closing) {
      result.socket.destroy();
      return retryable(new ClientError('closed', 'client closed'));
    }
    const connection = new TelnetConnection(
      endpoint,
      result.socket,
      this.options,
      this.hooks,
      (gone, unexpected) => {
        if (this.connections.get(endpoint.label) === gone) this.connections.delete(endpoint.label);
        if (unexpected) this.recordLoss(endpoint, gone);
      },
    );
    this.connections.set(endpoint.label, connection);
    this.hooks.onConnect(endpoint);
    return success(connection);
  }

  private recordLoss(endpoint: Endpoint, connection: TelnetConnection): void {
    const now = Date.now();
    const stable = now - connection.openedAt >= STABLE_CONNECTION_MS;
    const count = stable ? 1 : (this.losses.get(endpoint.label)?.count ?? 0) + 1;
    this.losses.set(endpoint.label, {
      count,
      nextConnectAt: now + backoffDelay(count - 1, this.options.backoff),
    });
  }

  private connectOptions() {
    return {
      tls: this.options.tls,
      timeoutMs: this.options.connectTimeoutMs,
      keepAliveMs: this.options.keepAliveMs,
    };
  }
}
