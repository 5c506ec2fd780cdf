import { pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { equalStrings } from './constant-time.js';
import { failure, type HashCostLimits, type PasswordCheck, parsePositiveInt } from './hash-types.js';

const pbkdf2Async = promisify(pbkdf2);

const DIGESTS = {
  pbkdf2_sha256: { digest: 'sha256', size: 32 },
  pbkdf2_sha1: { digest: 'sha1', size: 20 },
} as const;
export type Pbkdf2Algorithm = keyof typeof DIGESTS;

/** Django's `<algorithm>$<iterations>$<salt>$<base64(dk)>`, dk of the digest's size; the salt is used as UTF-8 text. */
export async function encodePbkdf2(
  algorithm: Pbkdf2Algorithm,
  password: Buffer,
  salt: string,
  iterations: number,
): Promise<string> {
  const { digest, size } = DIGESTS[algorithm];
  // node:crypto's async pbkdf2 runs on the libuv thread pool, off the event loop.
  const key = await pbkdf2Async(password, Buffer.from(salt, 'utf8'), iterations, size, digest);
  return `${algorithm}$${iterations}$${salt}$${key.toString('base64')}`;
}

export async function verifyPbkdf2(
  algorithm: Pbkdf2Algorithm,
  password: Buffer,
  encoded: string,
  limits: HashCostLimits,
): Promise<PasswordCheck> {
  const parts = encoded.split('$');
  if (parts.length !== 4) return failure('malformed', `${algorithm}: expected 4 '$'-separated fields`);
  const iterations = parsePositiveInt(parts[1]);
  const salt = parts[2] ?? '';
  if (iterations === undefined)
    return failure('malformed', `${algorithm}: iterations must be a positive integer`);
  if (iterations > limits.maxPbkdf2Iterations) {
    return failure(
      'too_costly',
      `${algorithm}: ${iterations} iterations exceed the limit of ${limits.maxPbkdf2Iterations}`,
    );
  }
  if (salt === '') return failure('malformed', `${algorithm}: empty salt`);
  // Like Django, recompute the whole encoded string and compare it, so only the canonical
  // base64 of the right key matches.
  const recomputed = await encodePbkdf2(algorithm, password, salt, iterations);
  return equalStrings(recomputed, encoded)
    ? { ok: true, algorithm }
    : failure('mismatch', `${algorithm}: password does not match`);
}
