import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { Pool } from 'undici';
import { type AttemptResult, failure, retryable } from './attempt-result.js';
import { openSocket } from './connect.js';
import { ClientError, describeCause } from './errors.js';
import type { Endpoint } from './host-pool.js';
import { classifyPutResponse } from './http-response.js';
import type { TlsOptions } from './options.js';
import type { Batch, DeliveryReport, Transport, TransportHooks } from './transport.js';

const gzip = promisify(gzipCallback);

/** Replies larger than this are cut: a `?details` answer for a 5000-point batch fits easily. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface HttpTransportOptions {
  tls: TlsOptions | undefined;
  /** Path with query (e.g. `/api/put?details`). */
  requestPath: string;
  headers: Record<string, string>;
  gzip: boolean;
  connections: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveMs: number;
}

/** JSON batches to /api/put over keep-alive connections (one undici Pool per host). */
export class HttpTransport implements Transport {
  private readonly pools = new Map<string, Pool>();
  private readonly connected = new Set<string>();

  constructor(
    private readonly options: HttpTransportOptions,
    private readonly hooks: TransportHooks,
  ) {}

  async deliver(
    batch: Batch,
    endpoint: Endpoint,
    signal: AbortSignal,
  ): Promise<AttemptResult<DeliveryReport>> {
    const json = jsonArray(batch);
    const body = this.options.gzip ? await gzip(json) : json;
    const headers = this.options.gzip
      ? { ...this.options.headers, 'content-encoding': 'gzip' }
      : this.options.headers;
    try {
      const response = await this.pool(endpoint).request({
        path: this.options.requestPath,
        method: 'POST',
        headers,
        body,
        signal,
      });
      const text = await readText(response.body);
      this.markConnected(endpoint, true);
      return classifyPutResponse(
        { status: response.statusCode, retryAfter: response.headers['retry-after'], body: text },
        endpoint.label,
        batch.count,
      );
    } catch (err) {
      if (signal.aborted)
        return failure(new ClientError('closed', 'client closed', { host: endpoint.label }));
      const error = networkError(err, endpoint, this.options);
      this.markConnected(endpoint, false, error);
      return retryable(error);
    }
  }

  async probe(endpoint: Endpoint): Promise<ClientError | undefined> {
    const result = await openSocket(endpoint, {
      tls: this.options.tls,
      timeoutMs: this.options.connectTimeoutMs,
      keepAliveMs: 0,
    });
    if (!result.ok) return result.error;
    result.socket.destroy();
    return undefined;
  }

  connectedHosts(): string[] {
    return [...this.connected];
  }

  async close(timeoutMs: number): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    this.connected.clear();
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      Promise.all(pools.map((p) => p.close())).then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs));
      }),
    ]);
    clearTimeout(timer);
    if (!closed) await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }

  private pool(endpoint: Endpoint): Pool {
    let pool = this.pools.get(endpoint.label);
    if (!pool) {
      const scheme = this.options.tls ? 'https' : 'http';
      const tls = this.options.tls ?? {};
      pool = new Pool(`${scheme}://${endpoint.label}`, {
        connections: this.options.connections,
        pipelining: 1,
        headersTimeout: this.options.requestTimeoutMs,
        bodyTimeout: this.options.requestTimeoutMs,
        connect: {
          ...tls,
          timeout: this.options.connectTimeoutMs,
          keepAlive: this.options.keepAliveMs > 0,
          keepAliveInitialDelay: this.options.keepAliveMs,
        },
      });
      this.pools.set(endpoint.label, pool);
    }
    return pool;
  }

  private markConnected(endpoint: Endpoint, up: boolean, error?: ClientError): void {
    if (up && !this.connected.has(endpoint.label)) {
      this.connected.add(endpoint.label);
      this.hooks.onConnect(endpoint);
    } else if (!up && this.connected.delete(endpoint.label)) {
      this.hooks.onDisconnect(endpoint, error, false);
    }
  }
}

/** `[` + the entries (each ends with a comma) + `]` in place of the last comma. */
function jsonArray(batch: Batch): Buffer {
  const body = Buffer.allocUnsafe(batch.bytes + 1);
  body[0] = 0x5b;
  let pos = 1;
  for (const run of batch.runs) {
    run.copy(body, pos);
    pos += run.length;
  }
  body[batch.bytes] = 0x5d;
  return body;
}

async function readText(
  body: AsyncIterable<Buffer> & { destroy?: (err?: Error) => unknown },
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size + chunk.length > MAX_RESPONSE_BYTES) {
      chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - size));
      body.destroy?.();
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function networkError(err: unknown, endpoint: Endpoint, options: HttpTransportOptions): ClientError {
  const code = (err as { code?: unknown })?.code;
  const label = endpoint.label;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new ClientError(
      'timeout',
      `cannot connect to ${label}: no connection within ${options.connectTimeoutMs} ms`,
      {
        host: label,
        cause: err,
      },
    );
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new ClientError('timeout', `${label} did not answer within ${options.requestTimeoutMs} ms`, {
      host: label,
      cause: err,
    });
  }
  const refused =
    code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ECONNRESET';
  return new ClientError(
    refused && code !== 'ECONNRESET' ? 'connect_failed' : 'connection_lost',
    `request to ${label} failed: ${describeCause(err)}`,
    { host: label, cause: err },
  );
}
