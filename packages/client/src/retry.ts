import type { AttemptResult } from './attempt-result.js';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import { ClientError } from './errors.js';

export interface RetryInfo {
  /** Number of the retry about to happen (1 for the first retry). */
  retry: number;
  delayMs: number;
  error: ClientError;
}

export interface RetryOptions {
  backoff: BackoffOptions;
  /** Aborting stops waiting at once; the result is then a `closed` failure. */
  signal?: AbortSignal | undefined;
  /** Attempts in total, first one included. Default: unlimited. */
  maxAttempts?: number | undefined;
  /** Ceiling on a server's Retry-After, so a bogus header cannot park the sender. Default 5 min. */
  maxRetryAfterMs?: number | undefined;
  random?: (() => number) | undefined;
  onRetry?: ((info: RetryInfo) => void) | undefined;
}

/**
 * The one retry loop of the client: runs `attempt` until it succeeds, fails permanently, runs out
 * of attempts or is aborted. A retryable result with `retryAfterMs` waits exactly that long
 * (capped); otherwise capped exponential backoff with jitter. Never throws for an attempt's
 * outcome; an attempt that throws is a bug and propagates.
 */
export async function retry<T>(
  attempt: (attemptNumber: number) => Promise<AttemptResult<T>>,
  options: RetryOptions,
): Promise<AttemptResult<T>> {
  const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 300_000;
  const { signal } = options;
  for (let n = 1; ; n++) {
    if (signal?.aborted) return abortedResult(signal);
    const result = await attempt(n);
    if (result.kind !== 'retryable') return result;
    if (n >= maxAttempts) return { kind: 'failure', error: result.error };
    const delayMs =
      result.retryAfterMs !== undefined
        ? Math.min(Math.max(0, result.retryAfterMs), maxRetryAfterMs)
        : backoffDelay(n - 1, options.backoff, options.random);
    options.onRetry?.({ retry: n, delayMs, error: result.error });
    if (delayMs > 0) await sleep(delayMs, signal);
    else if (signal?.aborted) return abortedResult(signal);
  }
}

function abortedResult<T>(signal: AbortSignal): AttemptResult<T> {
  const reason: unknown = signal.reason;
  const error = reason instanceof ClientError ? reason : new ClientError('closed', 'client closed');
  return { kind: 'failure', error };
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
