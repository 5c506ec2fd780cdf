import { createHash, randomBytes } from 'node:crypto';

/** The form tokens are stored in: lowercase hex SHA-256 of the token's UTF-8 bytes. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new random token: `bytes` random bytes (default 32), base64url, valid as a Bearer token68 and in URLs. */
export function generateToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 16 || bytes > 256)
    throw new RangeError('token bytes must be 16..256');
  return randomBytes(bytes).toString('base64url');
}
