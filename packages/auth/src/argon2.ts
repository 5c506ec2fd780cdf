import { decodeBase64, encodeBase64Unpadded } from './base64.js';
import { equalBytes } from './constant-time.js';
import { failure, type HashCostLimits, type PasswordCheck, parsePositiveInt } from './hash-types.js';
import { runWasmHash } from './wasm-hash-pool.js';

export interface Argon2Params {
  timeCost: number;
  /** KiB. */
  memoryCost: number;
  parallelism: number;
}

/** Django's Argon2PasswordHasher defaults (3.2 to 5.x). */
export const DEFAULT_ARGON2_PARAMS: Readonly<Argon2Params> = Object.freeze({
  timeCost: 2,
  memoryCost: 102_400,
  parallelism: 8,
});

const HEAD = /^argon2\$argon2(id|i|d)\$/;

/**
 * Django stores `argon2` + argon2-cffi's PHC string: `argon2$argon2id$v=19$m=..,t=..,p=..$salt$hash`
 * (salt and hash base64 without padding). Hashes from argon2-cffi before 16.0 omit `v=` and are
 * version 0x10, which hash-wasm does not compute: reported as `unsupported`.
 */
export async function verifyArgon2(
  password: Buffer,
  encoded: string,
  limits: HashCostLimits,
): Promise<PasswordCheck> {
  const head = HEAD.exec(encoded);
  if (head === null) return failure('malformed', 'argon2: expected argon2$argon2{id,i,d}$...');
  const variant = head[1] as 'id' | 'i' | 'd';
  const fields = encoded.slice(head[0].length).split('$');
  if (fields.length === 3)
    return failure('unsupported', 'argon2: version 0x10 hashes (no v= field) are not supported');
  if (fields.length !== 4)
    return failure('malformed', 'argon2: expected v=, parameters, salt and hash fields');
  const [versionField, paramField, saltField, hashField] = fields as [string, string, string, string];
  if (versionField !== 'v=19') {
    return /^v=[0-9]+$/.test(versionField)
      ? failure('unsupported', `argon2: version ${versionField.slice(2)} is not supported (only 19)`)
      : failure('malformed', 'argon2: bad version field');
  }
  const params = parseParams(paramField);
  if (typeof params === 'string') return failure('malformed', `argon2: ${params}`);
  const salt = decodeBase64(saltField, 'forbidden');
  const expected = decodeBase64(hashField, 'forbidden');
  if (salt === undefined || salt.length < 8)
    return failure('malformed', 'argon2: salt is not base64 of at least 8 bytes');
  if (expected === undefined || expected.length < 4 || expected.length > 1024) {
    return failure('malformed', 'argon2: hash is not base64 of 4 to 1024 bytes');
  }
  if (params.memoryCost < 8 * params.parallelism)
    return failure('malformed', 'argon2: m must be at least 8·p');
  if (params.memoryCost > limits.maxArgon2MemoryKiB) {
    return failure(
      'too_costly',
      `argon2: m=${params.memoryCost} KiB exceeds the limit of ${limits.maxArgon2MemoryKiB}`,
    );
  }
  if (params.timeCost > limits.maxArgon2TimeCost) {
    return failure(
      'too_costly',
      `argon2: t=${params.timeCost} exceeds the limit of ${limits.maxArgon2TimeCost}`,
    );
  }
  if (params.parallelism > limits.maxArgon2Parallelism) {
    return failure(
      'too_costly',
      `argon2: p=${params.parallelism} exceeds the limit of ${limits.maxArgon2Parallelism}`,
    );
  }
  const actual = await runWasmHash({
    kind: 'argon2',
    variant,
    password,
    salt,
    iterations: params.timeCost,
    parallelism: params.parallelism,
    memorySize: params.memoryCost,
    hashLength: expected.length,
  });
  return equalBytes(actual, expected)
    ? { ok: true, algorithm: 'argon2' }
    : failure('mismatch', `argon2: password does not match`);
}

function parseParams(field: string): Argon2Params | string {
  const values = new Map<string, number>();
  for (const pair of field.split(',')) {
    const match = /^([mtp])=([0-9]+)$/.exec(pair);
    if (match === null) return `bad parameter '${pair.slice(0, 16)}' (expected m=, t=, p=)`;
    const [, name, text] = match as unknown as [string, string, string];
    const value = parsePositiveInt(text);
    if (value === undefined) return `${name} must be a positive integer`;
    if (values.has(name)) return `${name} given twice`;
    values.set(name, value);
  }
  const memoryCost = values.get('m');
  const timeCost = values.get('t');
  const parallelism = values.get('p');
  if (memoryCost === undefined || timeCost === undefined || parallelism === undefined)
    return 'm, t and p are all required';
  return { memoryCost, timeCost, parallelism };
}

/** Django-compatible argon2id hash; `salt` is Django-style text (its UTF-8 bytes are the salt). */
export async function encodeArgon2(password: Buffer, salt: string, params: Argon2Params): Promise<string> {
  const saltBytes = Buffer.from(salt, 'utf8');
  const hash = await runWasmHash({
    kind: 'argon2',
    variant: 'id',
    password,
    salt: saltBytes,
    iterations: params.timeCost,
    parallelism: params.parallelism,
    memorySize: params.memoryCost,
    hashLength: 16,
  });
  return `argon2$argon2id$v=19$m=${params.memoryCost},t=${params.timeCost},p=${params.parallelism}$${encodeBase64Unpadded(saltBytes)}$${encodeBase64Unpadded(hash)}`;
}
