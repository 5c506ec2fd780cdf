/**
 * The subset of pino's interface the client uses, so a pino logger (or a child of one) can be
 * passed as is. Calls are always `(fields, message)`.
 */
export type LogFn = (fields: Record<string, unknown>, message: string) => void;

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const noop: LogFn = () => {};

/** The default: a library is silent unless given a logger. */
export const silentLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};

/**
 * Logs a recurring condition (points dropped, TSD error replies) at most once per interval:
 * the first occurrence at once, then one summary line with the count per interval.
 */
export class IntervalLog {
  private pending = 0;
  private lastSample: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastLogAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly emit: (count: number, sample: string | undefined) => void,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  record(count = 1, sample?: string): void {
    this.pending += count;
    if (sample !== undefined) this.lastSample = sample;
    if (this.timer) return;
    const wait = this.lastLogAt + this.intervalMs - this.now();
    if (wait <= 0) {
      this.report();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.report();
    }, wait);
    // A pending summary line must not keep the process alive.
    this.timer.unref();
  }

  /** Emits what is pending now (used at close) and stops the timer. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending > 0) this.report();
  }

  private report(): void {
    if (this.pending === 0) return;
    const count = this.pending;
    const sample = this.lastSample;
    this.pending = 0;
    this.lastSample = undefined;
    this.lastLogAt = this.now();
    this.emit(count, sample);
  }
}
