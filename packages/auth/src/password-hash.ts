import { randomInt } from 'node:crypto';
import { DEFAULT_ARGON2_PARAMS, encodeArgon2, verifyArgon2 } from './argon2.js';
import { DEFAULT_BCRYPT_ROUNDS, encodeBcrypt, verifyBcrypt } from './bcrypt.js';
import { MAX_SECRET_LENGTH } from './credentials.js';
import { AuthConfigError } from './errors.js';
import {
  DEFAULT_HASH_LIMITS,
  failure,
  HASH_ALGORITHMS,
  type HashAlgorithm,
  type HashCostLimits,
  type PasswordCheck,
} from './hash-types.js';
import { encodePbkdf2, verifyPbkdf2 } from './pbkdf2.js';
import { DEFAULT_SCRYPT_PARAMS, encodeScrypt, verifyScrypt } from './scrypt.js';

/** Django's UNUSABLE_PASSWORD_PREFIX (User.set_unusable_password()). */
const UNUSABLE_PREFIX = '!';
/** Longest stored hash looked at; Django's column is varchar(128). */
const MAX_ENCODED_LENGTH = 1024;
/** OWASP's 2023 figure for PBKDF2-HMAC-SHA256 (Django 4.2's default). */
export const DEFAULT_PBKDF2_ITERATIONS = 600_000;

export interface CheckPasswordOptions {
  limits?: Partial<HashCostLimits>;
}

/** The algorithm of a stored hash, by its prefix; undefined for anything we do not verify. */
export function identifyHash(encoded: string): HashAlgorithm | undefined {
  if (typeof encoded !== 'string') return undefined;
  const dollar = encoded.indexOf('$');
  if (dollar <= 0) return undefined;
  const prefix = encoded.slice(0, dollar);
  return (HASH_ALGORITHMS as readonly string[]).includes(prefix) ? (prefix as HashAlgorithm) : undefined;
}

/**
 * Verifies `password` against a stored hash in any supported format. Never throws: garbage in
 * `encoded` is a failure value with a reason safe to log (it never quotes either input).
 */
export async function checkPassword(
  password: string,
  encoded: string,
  options: CheckPasswordOptions = {},
): Promise<PasswordCheck> {
  try {
    if (typeof password !== 'string' || typeof encoded !== 'string') {
      return failure('invalid_password', 'password and hash must be strings');
    }
    if (encoded.startsWith(UNUSABLE_PREFIX))
      return failure('unusable', 'the account has an unusable password');
    if (encoded.length > MAX_ENCODED_LENGTH) {
      return failure('malformed', `stored hash is longer than ${MAX_ENCODED_LENGTH} characters`);
    }
    const algorithm = identifyHash(encoded);
    if (algorithm === undefined) {
      return failure('unknown_format', `unrecognised hash format (supported: ${HASH_ALGORITHMS.join(', ')})`);
    }
    if (password === '') return failure('invalid_password', 'empty passwords are never accepted');
    if (password.length > MAX_SECRET_LENGTH) {
      return failure('invalid_password', `password is longer than ${MAX_SECRET_LENGTH} characters`);
    }
    const limits = { ...DEFAULT_HASH_LIMITS, ...options.limits };
    const bytes = Buffer.from(password, 'utf8');
    try {
      switch (algorithm) {
        case 'pbkdf2_sha256':
        case 'pbkdf2_sha1':
          return await verifyPbkdf2(algorithm, bytes, encoded, limits);
        case 'scrypt':
          return await verifyScrypt(bytes, encoded, limits);
        case 'argon2':
          return await verifyArgon2(bytes, encoded, limits);
        case 'bcrypt_sha256':
        case 'bcrypt':
          return await verifyBcrypt(algorithm, bytes, encoded, limits);
      }
    } finally {
      bytes.fill(0);
    }
  } catch (error) {
    return failure('error', `hashing failed: ${error instanceof Error ? error.message : 'unknown error'}`);
  }
}

/** `checkPassword(...).ok`: true only for a well-formed hash of exactly this password. */
export async function verifyPassword(
  password: string,
  encoded: string,
  options: CheckPasswordOptions = {},
): Promise<boolean> {
  return (await checkPassword(password, encoded, options)).ok;
}

export type HashPasswordOptions =
  | { algorithm?: 'scrypt'; cost?: number; blockSize?: number; parallelization?: number }
  | { algorithm: 'pbkdf2_sha256' | 'pbkdf2_sha1'; iterations?: number }
  | { algorithm: 'argon2'; timeCost?: number; memoryCost?: number; parallelism?: number }
  | { algorithm: 'bcrypt_sha256'; rounds?: number };

/**
 * Hashes a password for a credentials file (scrypt, the default) or for a Django database
 * (pbkdf2_sha256, pbkdf2_sha1, argon2, bcrypt_sha256: Django's own formats and defaults, with a
 * Django-style salt of 22 letters and digits). Throws AuthConfigError for bad options.
 */
export async function hashPassword(password: string, options: HashPasswordOptions = {}): Promise<string> {
  if (typeof password !== 'string' || password === '') {
    throw new AuthConfigError('invalid_option', 'hashPassword: the password must be a non-empty string');
  }
  if (password.length > MAX_SECRET_LENGTH) {
    throw new AuthConfigError(
      'invalid_option',
      `hashPassword: the password is longer than ${MAX_SECRET_LENGTH} characters`,
    );
  }
  const bytes = Buffer.from(password, 'utf8');
  try {
    switch (options.algorithm) {
      case undefined:
      case 'scrypt': {
        const params = {
          cost: options.cost ?? DEFAULT_SCRYPT_PARAMS.cost,
          blockSize: options.blockSize ?? DEFAULT_SCRYPT_PARAMS.blockSize,
          parallelization: options.parallelization ?? DEFAULT_SCRYPT_PARAMS.parallelization,
        };
        return await encodeScrypt(bytes, params, DEFAULT_HASH_LIMITS).catch((error: Error) => {
          throw new AuthConfigError('invalid_option', `hashPassword: ${error.message}`, [], { cause: error });
        });
      }
      case 'pbkdf2_sha256':
      case 'pbkdf2_sha1': {
        const iterations = options.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
        requireInt('iterations', iterations, 1, DEFAULT_HASH_LIMITS.maxPbkdf2Iterations);
        return await encodePbkdf2(options.algorithm, bytes, djangoSalt(), iterations);
      }
      case 'argon2': {
        const params = {
          timeCost: options.timeCost ?? DEFAULT_ARGON2_PARAMS.timeCost,
          memoryCost: options.memoryCost ?? DEFAULT_ARGON2_PARAMS.memoryCost,
          parallelism: options.parallelism ?? DEFAULT_ARGON2_PARAMS.parallelism,
        };
        requireInt('timeCost', params.timeCost, 1, DEFAULT_HASH_LIMITS.maxArgon2TimeCost);
        requireInt('parallelism', params.parallelism, 1, DEFAULT_HASH_LIMITS.maxArgon2Parallelism);
        requireInt(
          'memoryCost',
          params.memoryCost,
          8 * params.parallelism,
          DEFAULT_HASH_LIMITS.maxArgon2MemoryKiB,
        );
        return await encodeArgon2(bytes, djangoSalt(), params);
      }
      case 'bcrypt_sha256': {
        const rounds = options.rounds ?? DEFAULT_BCRYPT_ROUNDS;
        requireInt('rounds', rounds, 4, DEFAULT_HASH_LIMITS.maxBcryptCost);
        return await encodeBcrypt('bcrypt_sha256', bytes, rounds);
      }
      default:
        throw new AuthConfigError(
          'invalid_option',
          `hashPassword: algorithm '${String((options as { algorithm: unknown }).algorithm)}' is not one of scrypt, pbkdf2_sha256, pbkdf2_sha1, argon2, bcrypt_sha256`,
        );
    }
  } finally {
    bytes.fill(0);
  }
}

function requireInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new AuthConfigError(
      'invalid_option',
      `hashPassword: ${name}=${value} must be an integer from ${min} to ${max}`,
    );
  }
}

const SALT_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Django's BasePasswordHasher.salt(): 22 characters from [a-zA-Z0-9], about 131 bits. */
function djangoSalt(): string {
  let salt = '';
  for (let i = 0; i < 22; i++) salt += SALT_CHARS[randomInt(SALT_CHARS.length)];
  return salt;
}
