import { createWriteStream, type WriteStream } from 'node:fs';
import { type DataPoint, formatPutLine } from '@otsdb/protocol';
import type { Sink, WriteResult } from './sink.js';

/**
 * File mode (the NS1 bridge's `-f`): instead of a TSD, points go to a file (or stdout) as
 * OpenTSDB telnet `put` lines, one per point, ready for `nc tsd 4242 < file` or
 * `tsdb import`. Bounded: when the bytes waiting for the disk exceed `maxBufferedBytes`, writes
 * are refused (`queue_full`) and the webhook answers 503 until the disk catches up.
 */
export interface FileSinkOptions {
  /** A path (appended to), or `-` for stdout. */
  path: string;
  /** Default 8 MiB. */
  maxBufferedBytes?: number;
  /** For tests: write here instead of opening `path`. */
  stream?: NodeJS.WritableStream & { writableLength?: number; writableNeedDrain?: boolean };
}

export class FileSink implements Sink {
  readonly #out: NodeJS.WritableStream & { writableLength?: number; writableNeedDrain?: boolean };
  readonly #owned: boolean;
  readonly #max: number;
  #closed = false;
  #error: Error | undefined;
  lines = 0;

  constructor(options: FileSinkOptions) {
    this.#max = options.maxBufferedBytes ?? 8 * 1024 * 1024;
    if (options.stream !== undefined) {
      this.#out = options.stream;
      this.#owned = false;
    } else if (options.path === '-') {
      this.#out = process.stdout;
      this.#owned = false;
    } else {
      const ws: WriteStream = createWriteStream(options.path, { flags: 'a', mode: 0o644 });
      this.#out = ws;
      this.#owned = true;
    }
    this.#out.on('error', (err: Error) => {
      this.#error = err;
    });
  }

  /** The error the file reported, if any; every later write is refused. */
  get error(): Error | undefined {
    return this.#error;
  }

  write(points: DataPoint[]): WriteResult {
    if (this.#closed) return { accepted: false, reason: 'closed' };
    if (this.#error !== undefined) return { accepted: false, reason: `file error: ${this.#error.message}` };
    if ((this.#out.writableLength ?? 0) > this.#max) return { accepted: false, reason: 'queue_full' };
    let text = '';
    for (const p of points) text += `${formatPutLine(p)}\n`;
    this.#out.write(text);
    this.lines += points.length;
    return { accepted: true };
  }

  flush(): Promise<void> {
    if (!this.#out.writableNeedDrain || this.#error !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#out.off('drain', done);
        this.#out.off('error', done);
        resolve();
      };
      this.#out.once('drain', done);
      this.#out.once('error', done);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.flush();
    if (!this.#owned) return;
    await new Promise<void>((resolve) => {
      this.#out.end(() => resolve());
    });
  }
}
