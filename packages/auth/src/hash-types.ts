export type HashAlgorithm =
  | 'pbkdf2_sha256'
  | 'pbkdf2_sha1'
  | 'argon2'
  | 'bcrypt_sha256'
  | 'bcrypt'
  | 'scrypt';

export const HASH_ALGORITHMS: readonly HashAlgorithm[] = [
  'pbkdf2_sha256',
  'pbkdf2_sha1',
  'argon2',
  'bcrypt_sha256',
  'bcrypt',
  'scrypt',
];

export type PasswordCheck = { ok: true; algorithm: HashAlgorithm } | PasswordCheckFailure;

export interface PasswordCheckFailure {
  ok: false;
  /**
   * `mismatch`: well-formed hash, wrong password. `unknown_format`: no supported algorithm.
   * `malformed`: known algorithm, broken fields. `unsupported`: a variant we cannot compute
   * (argon2 version 0x10, bcrypt `$2x$`). `too_costly`: parameters beyond HashCostLimits.
   * `unusable`: Django's `!` marker (set_unusable_password). `invalid_password`: a password
   * no hasher accepts (empty, too long, NUL for plain bcrypt). `error`: the hasher itself
   * failed (hash worker queue full or crashed).
   */
  reason:
    | 'mismatch'
    | 'unknown_format'
    | 'malformed'
    | 'unsupported'
    | 'too_costly'
    | 'unusable'
    | 'invalid_password'
    | 'error';
  /** Safe to log: names the algorithm and the rule, never the password or the stored hash. */
  message: string;
}

/**
 * Bounds on the work one stored hash may demand. A corrupted or hostile row such as
 * `pbkdf2_sha256$2000000000$...` must not pin a CPU for hours.
 */
export interface HashCostLimits {
  maxPbkdf2Iterations: number;
  /** scrypt's 128·N·r bytes. */
  maxScryptMemoryBytes: number;
  maxArgon2MemoryKiB: number;
  maxArgon2TimeCost: number;
  maxArgon2Parallelism: number;
  maxBcryptCost: number;
}

export const DEFAULT_HASH_LIMITS: Readonly<HashCostLimits> = Object.freeze({
  maxPbkdf2Iterations: 10_000_000,
  maxScryptMemoryBytes: 256 * 1024 * 1024,
  maxArgon2MemoryKiB: 512 * 1024,
  maxArgon2TimeCost: 64,
  maxArgon2Parallelism: 64,
  maxBcryptCost: 16,
});

export function failure(reason: PasswordCheckFailure['reason'], message: string): PasswordCheckFailure {
  return { ok: false, reason, message };
}

/** Strict decimal: no sign, no leading zeros, no `1_000`, at most 10 digits. */
export function parsePositiveInt(text: string | undefined): number | undefined {
  if (text === undefined || !/^[1-9][0-9]{0,9}$/.test(text)) return undefined;
  return Number(text);
}
