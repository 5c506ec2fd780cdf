export interface WaitForOptions {
  /** Give up after this long. Default 10 000 ms: generous for a loaded 2-core machine. */
  timeoutMs?: number;
  /** Pause between attempts. Default 50 ms. */
  intervalMs?: number;
  /** Says what was awaited, for the timeout error. */
  description?: string;
}

/**
 * Calls `predicate` until it returns a value other than `undefined`, `null` or `false`, and
 * returns that value. For "until the points show up" loops against servers that cannot notify
 * us (VictoriaMetrics). Fails with the last error/value seen once `timeoutMs` has passed.
 */
export async function waitFor<T>(
  predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitForOptions = {},
): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 50, description = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    try {
      const value = await predicate();
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(intervalMs, Math.max(0, deadline - Date.now()))),
    );
  }
  const why = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
  throw new Error(`waitFor: ${description} not met within ${timeoutMs} ms (${attempts} attempts)${why}`, {
    cause: lastError,
  });
}
