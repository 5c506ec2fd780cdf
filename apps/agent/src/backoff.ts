/**
 * Capped exponential delay: `min`, `2*min`, `4*min`... up to `max`. `attempt` counts from 1.
 * No jitter: collectors are local processes, there is no thundering herd to spread.
 */
export function cappedBackoff(attempt: number, minMs: number, maxMs: number): number {
  if (attempt <= 1) return Math.min(minMs, maxMs);
  // 2 ** 40 * 1 ms is already 35 years; clamping the exponent keeps the number finite.
  const factor = 2 ** Math.min(attempt - 1, 40);
  return Math.min(maxMs, minMs * factor);
}
