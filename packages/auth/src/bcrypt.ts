import { createHash, randomBytes } from 'node:crypto';
import { decodeBcryptBase64 } from './base64.js';
import { equalStrings } from './constant-time.js';
import { failure, type HashCostLimits, type PasswordCheck } from './hash-types.js';
import { runWasmHash } from './wasm-hash-pool.js';

/** Django's BCryptSHA256PasswordHasher.rounds. */
export const DEFAULT_BCRYPT_ROUNDS = 12;

const BCRYPT = /^\$2([abxy])\$([0-9]{2})\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/;
const MAX_BCRYPT_BYTES = 72;

/**
 * Django's two bcrypt hashers store `<algorithm>$` + the 60-character modular-crypt string:
 * `bcrypt_sha256$$2b$12$...` hashes hex(sha256(password)) (64 ASCII bytes, so long passwords
 * are not truncated); `bcrypt$$2b$12$...` hashes the password itself, which bcrypt truncates
 * at 72 bytes. pyca/bcrypt treats `$2a$`/`$2y$` like `$2b$` and keeps the stored prefix; for
 * inputs of at most 72 bytes they are identical. `$2x$` (the 2011 sign-extension bug) is refused.
 */
export async function verifyBcrypt(
  algorithm: 'bcrypt_sha256' | 'bcrypt',
  password: Buffer,
  encoded: string,
  limits: HashCostLimits,
): Promise<PasswordCheck> {
  const data = encoded.slice(algorithm.length + 1);
  const match = BCRYPT.exec(data);
  if (match === null)
    return failure(
      'malformed',
      `${algorithm}: expected ${algorithm}$$2b$NN$ and 53 bcrypt base64 characters`,
    );
  const [, minor, costText, saltText] = match as unknown as [string, string, string, string];
  if (minor === 'x') return failure('unsupported', `${algorithm}: $2x$ hashes are not supported`);
  const cost = Number(costText);
  if (cost < 4 || cost > 31) return failure('malformed', `${algorithm}: cost ${cost} is outside 4..31`);
  if (cost > limits.maxBcryptCost) {
    return failure('too_costly', `${algorithm}: cost ${cost} exceeds the limit of ${limits.maxBcryptCost}`);
  }
  const salt = decodeBcryptBase64(saltText, 16);
  if (salt === undefined) return failure('malformed', `${algorithm}: bad salt`);
  const input = bcryptInput(algorithm, password);
  if (typeof input === 'string') return failure('invalid_password', input);
  const computed = await runWasmHash({ kind: 'bcrypt', password: input, salt, costFactor: cost });
  // Recompute the whole string with the stored prefix (as Django compares it) in constant time.
  const candidate = `${algorithm}$${data.slice(0, 4)}${computed.slice(4)}`;
  return equalStrings(candidate, encoded)
    ? { ok: true, algorithm }
    : failure('mismatch', `${algorithm}: password does not match`);
}

function bcryptInput(algorithm: 'bcrypt_sha256' | 'bcrypt', password: Buffer): Buffer | string {
  if (algorithm === 'bcrypt_sha256')
    return Buffer.from(createHash('sha256').update(password).digest('hex'), 'ascii');
  // pyca/bcrypt refuses NUL bytes (C strings would cut the key there).
  if (password.includes(0)) return 'bcrypt: password contains a NUL byte';
  return password.subarray(0, MAX_BCRYPT_BYTES);
}

export async function encodeBcrypt(
  algorithm: 'bcrypt_sha256' | 'bcrypt',
  password: Buffer,
  rounds: number,
): Promise<string> {
  const input = bcryptInput(algorithm, password);
  if (typeof input === 'string') throw new RangeError(input);
  const computed = await runWasmHash({
    kind: 'bcrypt',
    password: input,
    salt: randomBytes(16),
    costFactor: rounds,
  });
  // hash-wasm writes $2a$; Django (pyca/bcrypt) writes $2b$. Same hash for inputs of at most 72 bytes.
  return `${algorithm}$$2b$${computed.slice(4)}`;
}
