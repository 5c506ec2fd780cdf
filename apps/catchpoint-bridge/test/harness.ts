import { connect } from 'node:net';
import type { DataPoint } from '@otsdb/protocol';
import pino, { type Logger } from 'pino';
import type { Sink, WriteResult } from '../src/sink.js';

/**
 * A sink for tests: keeps what it gets, and can be told to be full, slow, or broken.
 */
export class TestSink implements Sink {
  batches: DataPoint[][] = [];
  mode: 'ok' | 'full' | 'throw' | 'reject' = 'ok';
  /** When set, `write` answers through a promise after this many ms. */
  delayMs: number | undefined;
  closed = false;
  flushes = 0;
  closeDelayMs = 0;

  get points(): DataPoint[] {
    return this.batches.flat();
  }

  write(points: DataPoint[]): WriteResult | Promise<WriteResult> {
    const answer = (): WriteResult => {
      if (this.closed) return { accepted: false, reason: 'closed' };
      if (this.mode === 'full') return { accepted: false, reason: 'queue_full' };
      if (this.mode === 'throw') throw new Error('sink exploded');
      this.batches.push(points);
      return { accepted: true };
    };
    if (this.mode === 'reject') return Promise.reject(new Error('sink rejected'));
    if (this.delayMs === undefined) return answer();
    const delay = this.delayMs;
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        try {
          resolve(answer());
        } catch (err) {
          reject(err);
        }
      }, delay);
    });
  }

  async flush(): Promise<void> {
    this.flushes++;
  }

  async close(): Promise<void> {
    if (this.closeDelayMs > 0) await new Promise((r) => setTimeout(r, this.closeDelayMs));
    this.closed = true;
  }
}

/** A pino logger whose lines are kept, for asserting what was (not) logged. */
export function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino(
    { level: 'trace' },
    {
      write(chunk: string) {
        lines.push(chunk);
      },
    },
  );
  return { logger, lines };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  closed: boolean;
}

/**
 * Sends bytes as they are on a fresh connection and reads until the server closes it or a
 * whole response has arrived: for requests no well-behaved client library would send.
 */
export function rawRequest(port: number, payload: Buffer | string, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const timer = setTimeout(() => finish(new Error('raw request timed out')), timeoutMs);
    const parse = (closed: boolean): RawResponse | undefined => {
      const text = Buffer.concat(chunks).toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      if (headEnd === -1) return undefined;
      const [statusLine, ...headerLines] = text.slice(0, headEnd).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of headerLines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const body = text.slice(headEnd + 4);
      const length = headers['content-length'];
      if (!closed && (length === undefined || body.length < Number(length))) return undefined;
      return { status: Number(statusLine!.split(' ')[1]), headers, body, closed };
    };
    const finish = (err?: Error) => {
      if (settled) return;
      const r = parse(true);
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (r) resolve(r);
      else reject(err ?? new Error('connection closed without a response'));
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish());
    socket.write(payload);
  });
}
