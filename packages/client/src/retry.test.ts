import { describe, expect, it } from 'vitest';
import { type AttemptResult, failure, retryable, success } from './attempt-result.js';
import { ClientError } from './errors.js';
import { retry, sleep } from './retry.js';

const fast = { initialDelayMs: 1, maxDelayMs: 4, multiplier: 2, jitter: 0 };
const oops = (n = 0) => new ClientError('connection_lost', `attempt ${n} failed`);

describe('retry', () => {
  it('returns the first success and reports each retry', async () => {
    const seen: number[] = [];
    const result = await retry(async (n) => (n < 3 ? retryable(oops(n)) : success(`done after ${n}`)), {
      backoff: fast,
      onRetry: (info) => seen.push(info.retry),
    });
    expect(result).toEqual({ kind: 'success', value: 'done after 3' });
    expect(seen).toEqual([1, 2]);
  });

  it('never retries a permanent failure', async () => {
    let calls = 0;
    const result = await retry(
      async () => {
        calls++;
        return failure(new ClientError('rejected', 'no'));
      },
      { backoff: fast },
    );
    expect(calls).toBe(1);
    expect(result.kind).toBe('failure');
  });

  it('turns the last retryable result into a failure when attempts run out', async () => {
    const result = await retry(async (n) => retryable(oops(n)), { backoff: fast, maxAttempts: 3 });
    expect(result).toMatchObject({ kind: 'failure', error: { message: 'attempt 3 failed' } });
  });

  it('waits what Retry-After says instead of the backoff (capped)', async () => {
    const delays: number[] = [];
    await retry(async (n) => (n === 1 ? retryable(oops(), 5000) : success(1)), {
      backoff: fast,
      maxRetryAfterMs: 20,
      onRetry: (info) => delays.push(info.delayMs),
    });
    expect(delays).toEqual([20]);
  });

  it('stops waiting at once when aborted and reports the abort reason', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = retry(async (n) => retryable(oops(n)), {
      backoff: { ...fast, initialDelayMs: 60_000, maxDelayMs: 60_000 },
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new ClientError('closed', 'client closed')), 20);
    const result = (await pending) as AttemptResult<never>;
    expect(result).toMatchObject({ kind: 'failure', error: { code: 'closed' } });
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('does not start when already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    let calls = 0;
    const result = await retry(
      async () => {
        calls++;
        return success(1);
      },
      { backoff: fast, signal: controller.signal },
    );
    expect(calls).toBe(0);
    expect(result).toMatchObject({ kind: 'failure', error: { code: 'closed' } });
  });
});

describe('sleep', () => {
  it('resolves early on abort', async () => {
    const controller = new AbortController();
    const done = sleep(60_000, controller.signal);
    controller.abort();
    await expect(done).resolves.toBeUndefined();
  });
});
