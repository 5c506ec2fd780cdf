import { timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality for secrets and digests. Lengths are compared first: every value
 * compared here has a length that is public (a digest size, a stored hash's format).
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return timingSafeEqual(a, b);
}

export function equalStrings(a: string, b: string): boolean {
  return equalBytes(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
