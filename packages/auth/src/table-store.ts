import { createHash, randomBytes } from 'node:crypto';
import type { CredentialStore, VerifyResult } from './credential-store.js';
import { type CredentialsFile, type CredentialTable, compileCredentials } from './credentials-config.js';
import { AuthConfigError } from './errors.js';
import type { HashCostLimits, PasswordCheckFailure } from './hash-types.js';
import { checkPassword, hashPassword } from './password-hash.js';

export interface TableStoreOptions {
  /** Clock for token expiry. Default Date.now. */
  now?: () => number;
  limits?: Partial<HashCostLimits>;
  /**
   * Run one hash for unknown users too, so response time does not tell which user names exist.
   * Default true.
   */
  equalizeTiming?: boolean;
}

/** The lookup half shared by the static and the file store; `current()` may change between calls. */
export function createTableStore(
  current: () => CredentialTable,
  options: TableStoreOptions = {},
): Pick<CredentialStore, 'verifyUser' | 'verifyToken'> {
  const now = options.now ?? Date.now;
  const checkOptions = options.limits === undefined ? {} : { limits: options.limits };
  const equalize = options.equalizeTiming ?? true;
  let dummyHash: Promise<string> | undefined;

  return {
    async verifyUser(user, password) {
      const entry = current().users.get(user);
      if (entry === undefined) {
        if (equalize && typeof password === 'string' && password !== '') {
          dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
          await checkPassword(password, await dummyHash, checkOptions);
        }
        return { ok: false, reason: 'unknown' };
      }
      const check = await checkPassword(password, entry.encoded, checkOptions);
      if (!check.ok) return passwordFailure(check, user);
      if (!entry.active) return { ok: false, reason: 'inactive', detail: `user '${user}' is inactive` };
      return { ok: true, principal: entry.principal };
    },
    async verifyToken(token) {
      if (typeof token !== 'string' || token === '') return { ok: false, reason: 'unknown' };
      // The map is keyed by the token's SHA-256, never the token: lookup timing can only reveal
      // something about a digest, which does not help to find a token.
      const entry = current().tokens.get(createHash('sha256').update(token, 'utf8').digest('hex'));
      if (entry === undefined) return { ok: false, reason: 'unknown' };
      const name = entry.principal.name;
      if (!entry.active) return { ok: false, reason: 'inactive', detail: `token '${name}' is inactive` };
      if (entry.expiresAt !== undefined && now() >= entry.expiresAt) {
        return { ok: false, reason: 'inactive', detail: `token '${name}' expired` };
      }
      return { ok: true, principal: entry.principal };
    },
  };
}

/** How a failed password check maps onto store results (shared with the Django store). */
export function passwordFailure(check: PasswordCheckFailure, user: string): VerifyResult {
  if (check.reason === 'mismatch' || check.reason === 'invalid_password')
    return { ok: false, reason: 'bad_secret' };
  // A hasher that could not run (worker queue full) says nothing about the password.
  if (check.reason === 'error') return { ok: false, reason: 'unavailable', detail: check.message };
  return { ok: false, reason: 'bad_secret', detail: `user '${user}': ${check.message}` };
}

/**
 * A store over an in-memory credentials object with the file's schema: for tests and for apps
 * that build their users in code. Throws AuthConfigError when the object is invalid.
 */
export function createStaticStore(config: CredentialsFile, options: TableStoreOptions = {}): CredentialStore {
  const compiled = compileCredentials(config);
  if (!compiled.ok) {
    throw new AuthConfigError(
      'invalid_config',
      `invalid credentials:\n${compiled.errors.join('\n')}`,
      compiled.errors,
    );
  }
  const table = compiled.table;
  return { ...createTableStore(() => table, options), async close() {} };
}
