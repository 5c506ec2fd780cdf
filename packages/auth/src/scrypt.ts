import { randomBytes, scrypt } from 'node:crypto';
import { decodeBase64, encodeBase64Unpadded } from './base64.js';
import { equalBytes } from './constant-time.js';
import { failure, type HashCostLimits, type PasswordCheck, parsePositiveInt } from './hash-types.js';

export interface ScryptParams {
  /** CPU/memory cost N, a power of two. */
  cost: number;
  blockSize: number;
  parallelization: number;
}

export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({
  cost: 32_768,
  blockSize: 8,
  parallelization: 1,
});

const MAX_BLOCK_SIZE = 64;
const MAX_PARALLELIZATION = 64;
const OUR_SALT_BYTES = 16;
const OUR_KEY_BYTES = 32;
const DJANGO_KEY_BYTES = 64;

function derive(password: Buffer, salt: Buffer, keyLength: number, params: ScryptParams): Promise<Buffer> {
  const memory = 128 * params.cost * params.blockSize;
  return new Promise((resolve, reject) => {
    // node:crypto's scrypt runs on the libuv thread pool; maxmem must cover 128·N·r plus slack.
    scrypt(
      password,
      salt,
      keyLength,
      { N: params.cost, r: params.blockSize, p: params.parallelization, maxmem: 2 * memory + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

export function checkScryptParams(params: ScryptParams): string | undefined {
  const { cost, blockSize, parallelization } = params;
  if (!Number.isInteger(cost) || cost < 2 || (cost & (cost - 1)) !== 0 || cost > 2 ** 30) {
    return `N=${cost} must be a power of two from 2 to 2^30`;
  }
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > MAX_BLOCK_SIZE) {
    return `r=${blockSize} must be an integer from 1 to ${MAX_BLOCK_SIZE}`;
  }
  if (!Number.isInteger(parallelization) || parallelization < 1 || parallelization > MAX_PARALLELIZATION) {
    return `p=${parallelization} must be an integer from 1 to ${MAX_PARALLELIZATION}`;
  }
  return undefined;
}

function costError(params: ScryptParams, limits: HashCostLimits): string | undefined {
  const memory = 128 * params.cost * params.blockSize;
  if (memory > limits.maxScryptMemoryBytes) {
    return `scrypt: N=${params.cost}, r=${params.blockSize} need ${memory} bytes, over the limit of ${limits.maxScryptMemoryBytes}`;
  }
  return undefined;
}

/** Our format: `scrypt$N$r$p$<base64 salt>$<base64 key>` (standard alphabet, no padding; 16-byte salt, 32-byte key). */
export async function encodeScrypt(
  password: Buffer,
  params: ScryptParams,
  limits: HashCostLimits,
): Promise<string> {
  const salt = randomBytes(OUR_SALT_BYTES);
  const problem = checkScryptParams(params) ?? costError(params, limits);
  if (problem !== undefined) throw new RangeError(problem);
  const key = await derive(password, salt, OUR_KEY_BYTES, params);
  return `scrypt$${params.cost}$${params.blockSize}$${params.parallelization}$${encodeBase64Unpadded(salt)}$${encodeBase64Unpadded(key)}`;
}

interface ParsedScrypt {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
  layout: 'ours' | 'django';
}

/**
 * Two layouts share the `scrypt$` prefix: ours (`scrypt$N$r$p$salt$key`) and Django 4.0+'s
 * (`scrypt$N$salt$r$p$base64(key)`, the salt used as text, a 64-byte key). Ours is tried
 * first; it needs small integers in fields 2 and 3 and a base64 salt of at least 8 bytes,
 * which a Django salt (22 random letters and digits) is not in field 2.
 */
function parseScrypt(encoded: string): ParsedScrypt | string {
  const parts = encoded.split('$');
  if (parts.length !== 6) return "scrypt: expected 6 '$'-separated fields";
  const [, n, a, b, c, d] = parts as [string, string, string, string, string, string];
  const cost = parsePositiveInt(n);
  if (cost === undefined) return 'scrypt: N must be a positive integer';
  const r = /^[0-9]{1,2}$/.test(a) ? parsePositiveInt(a) : undefined;
  const p = /^[0-9]{1,2}$/.test(b) ? parsePositiveInt(b) : undefined;
  if (r !== undefined && p !== undefined) {
    const salt = decodeBase64(c, 'forbidden');
    const key = decodeBase64(d, 'forbidden');
    if (
      salt !== undefined &&
      key !== undefined &&
      salt.length >= 8 &&
      key.length >= 16 &&
      key.length <= 128
    ) {
      return { params: { cost, blockSize: r, parallelization: p }, salt, key, layout: 'ours' };
    }
  }
  const djangoR = parsePositiveInt(b);
  const djangoP = parsePositiveInt(c);
  if (djangoR !== undefined && djangoP !== undefined && a !== '') {
    const key = decodeBase64(d, 'required');
    if (key === undefined || key.length !== DJANGO_KEY_BYTES) return 'scrypt: key is not base64 of 64 bytes';
    return {
      params: { cost, blockSize: djangoR, parallelization: djangoP },
      salt: Buffer.from(a, 'utf8'),
      key,
      layout: 'django',
    };
  }
  return 'scrypt: fields are neither scrypt$N$r$p$salt$key nor scrypt$N$salt$r$p$key';
}

export async function verifyScrypt(
  password: Buffer,
  encoded: string,
  limits: HashCostLimits,
): Promise<PasswordCheck> {
  const parsed = parseScrypt(encoded);
  if (typeof parsed === 'string') return failure('malformed', parsed);
  const invalid = checkScryptParams(parsed.params);
  if (invalid !== undefined) return failure('malformed', `scrypt: ${invalid}`);
  const tooCostly = costError(parsed.params, limits);
  if (tooCostly !== undefined) return failure('too_costly', tooCostly);
  const key = await derive(password, parsed.salt, parsed.key.length, parsed.params);
  return equalBytes(key, parsed.key)
    ? { ok: true, algorithm: 'scrypt' }
    : failure('mismatch', `scrypt (${parsed.layout} layout): password does not match`);
}
