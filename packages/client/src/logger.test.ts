import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IntervalLog, type Logger, silentLogger } from './logger.js';

describe('IntervalLog', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('logs the first occurrence at once, then one summary per interval', () => {
    vi.useFakeTimers();
    const lines: Array<[number, string | undefined]> = [];
    const log = new IntervalLog(
      (count, sample) => lines.push([count, sample]),
      1000,
      () => Date.now(),
    );
    log.record(1, 'first');
    expect(lines).toEqual([[1, 'first']]);
    for (let i = 0; i < 500; i++) log.record(1, `n${i}`);
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(lines).toEqual([
      [1, 'first'],
      [500, 'n499'],
    ]);
    vi.advanceTimersByTime(5000);
    expect(lines).toHaveLength(2);
    log.record(3);
    expect(lines[2]).toEqual([3, undefined]);
  });

  it('flush emits what is pending', () => {
    const lines: number[] = [];
    const log = new IntervalLog((count) => lines.push(count), 60_000);
    log.record(1);
    log.record(4);
    log.flush();
    expect(lines).toEqual([1, 4]);
  });
});

describe('Logger', () => {
  it('a pino logger fits the interface (and the silent default is silent)', () => {
    const chunks: string[] = [];
    const logger: Logger = pino({ level: 'debug' }, { write: (s: string) => chunks.push(s) });
    logger.child({ component: 'x' }).warn({ n: 1 }, 'hello');
    expect(JSON.parse(chunks[0]!)).toMatchObject({ component: 'x', n: 1, msg: 'hello' });
    expect(() => silentLogger.child({}).error({}, 'nothing')).not.toThrow();
  });
});
