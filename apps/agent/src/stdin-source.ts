import { LineFramer } from '@otsdb/protocol';

/**
 * --stdin: lines from standard input go through the same pipeline as a collector named `stdin`
 * (tcollector's StdinCollector). `done` resolves at end of input, when everything has been read.
 */
export class StdinSource {
  readonly done: Promise<void>;
  private readonly onData: (chunk: Buffer | string) => void;
  private finish!: () => void;

  constructor(
    private readonly input: NodeJS.ReadableStream,
    onLine: (line: string) => void,
    onOversize: (length: number) => void,
    maxLineLength = 64 * 1024,
  ) {
    const framer = new LineFramer({ maxLineLength, onLine, onOversize });
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
    // A stream in object or string mode (a test's Readable.from, setEncoding) gives strings.
    this.onData = (chunk) => framer.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    input.on('data', this.onData);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      framer.end();
      this.finish();
    };
    input.once('end', end);
    input.once('close', end);
    input.once('error', end);
  }

  /** Stops reading (shutdown before end of input). */
  stop(): void {
    this.input.off('data', this.onData);
    this.input.pause();
    this.finish();
  }
}
