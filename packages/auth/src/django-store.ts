import { randomBytes } from 'node:crypto';
import type { Tags } from '@otsdb/protocol';
import pg from 'pg';
import type { CredentialStore, VerifyResult } from './credential-store.js';
import { MAX_USER_LENGTH } from './credentials.js';
import { AuthConfigError } from './errors.js';
import type { HashCostLimits } from './hash-types.js';
import { type AuthLogger, silentLogger } from './logger.js';
import { checkPassword, hashPassword } from './password-hash.js';
import { compileMetricPatterns, createPrincipal, type MetricPatterns, type Scope } from './principal.js';
import { passwordFailure } from './table-store.js';

/** What the store needs from a pool; a `pg.Pool` fits. */
export interface Queryable {
  query(text: string, values: unknown[]): Promise<{ rows: unknown[] }>;
}

export interface DjangoStoreOptions {
  /** `postgres://user:pass@host:port/db`. Either this or `pool`. */
  connectionString?: string;
  /** An existing pool (not ended by close()). */
  pool?: Queryable;
  /** Django's user table, optionally schema-qualified. Default `auth_user`. */
  table?: string;
  /** Scopes every Django user gets. Default `['write']`. */
  scopes?: Scope[];
  /** Metric patterns every Django user is limited to. Default: none (all metrics). */
  metricPatterns?: string[];
  /** Tags forced on every Django user's points. */
  forcedTags?: Tags;
  /** Server-side statement_timeout and client-side query timeout. Default 2000 ms. */
  statementTimeoutMs?: number;
  /** Default 2000 ms. */
  connectionTimeoutMs?: number;
  /** Pool size. Default 4. */
  maxConnections?: number;
  /** Default 10 000 ms. */
  idleTimeoutMs?: number;
  limits?: Partial<HashCostLimits>;
  /** Hash once for unknown users too, as Django does, so timing does not reveal user names. Default true. */
  equalizeTiming?: boolean;
  /** PBKDF2 iterations of that timing hash; Django 3.2's default. */
  equalizeIterations?: number;
  logger?: AuthLogger;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Users from a Django database: `SELECT password, is_active FROM auth_user WHERE username = $1`,
 * the password checked with Django's hashers (pbkdf2_sha256/sha1, argon2, bcrypt_sha256, bcrypt,
 * scrypt). Django has no tokens: verifyToken answers `unknown`. Any database error (down,
 * timeout, missing table) is `unavailable`, never a rejection of the credential.
 */
export function createDjangoStore(options: DjangoStoreOptions): CredentialStore {
  const logger = options.logger ?? silentLogger;
  const table = quoteTable(options.table ?? 'auth_user');
  const sql = `SELECT password, is_active FROM ${table} WHERE username = $1`;
  const timeout = positive('statementTimeoutMs', options.statementTimeoutMs ?? 2000);

  const errors: string[] = [];
  let metricPatterns: MetricPatterns | undefined;
  if (options.metricPatterns !== undefined) {
    const compiled = compileMetricPatterns(options.metricPatterns);
    if (compiled.ok) metricPatterns = compiled.value;
    else errors.push(...compiled.errors.map((e) => `metricPatterns${e}`));
  }
  if (errors.length > 0)
    throw new AuthConfigError('invalid_option', `Django store: ${errors.join('; ')}`, errors);
  const grant = {
    scopes: options.scopes ?? (['write'] as Scope[]),
    metricPatterns,
    forcedTags: options.forcedTags,
  };
  // Validates scopes and forced tags now rather than on the first login.
  createPrincipal({ name: 'django', ...grant });

  let ownPool: pg.Pool | undefined;
  let pool: Queryable;
  if (options.pool !== undefined) {
    pool = options.pool;
  } else if (options.connectionString !== undefined) {
    ownPool = new pg.Pool({
      connectionString: options.connectionString,
      max: positive('maxConnections', options.maxConnections ?? 4),
      idleTimeoutMillis: positive('idleTimeoutMs', options.idleTimeoutMs ?? 10_000),
      connectionTimeoutMillis: positive('connectionTimeoutMs', options.connectionTimeoutMs ?? 2000),
      statement_timeout: timeout,
      query_timeout: timeout,
      application_name: 'otsdb-auth',
    });
    // An idle client losing its connection (database restart) emits 'error' on the pool;
    // unhandled, that would crash the process. The next query reconnects or reports unavailable.
    ownPool.on('error', (error) => logger.warn({ err: error.message }, 'Django database connection lost'));
    pool = ownPool;
  } else {
    throw new AuthConfigError('invalid_option', 'Django store: connectionString or pool is required');
  }

  const equalize = options.equalizeTiming ?? true;
  const equalizeIterations = options.equalizeIterations ?? 260_000;
  const checkOptions = options.limits === undefined ? {} : { limits: options.limits };
  let dummyHash: Promise<string> | undefined;
  const spendTime = async (password: string) => {
    if (!equalize || typeof password !== 'string' || password === '') return;
    dummyHash ??= hashPassword(randomBytes(16).toString('hex'), {
      algorithm: 'pbkdf2_sha256',
      iterations: equalizeIterations,
    });
    await checkPassword(password, await dummyHash, checkOptions);
  };

  return {
    async verifyUser(user: string, password: string): Promise<VerifyResult> {
      if (typeof user !== 'string' || user === '' || user.length > MAX_USER_LENGTH) {
        return { ok: false, reason: 'unknown' };
      }
      let rows: unknown[];
      try {
        rows = (await pool.query(sql, [user])).rows;
      } catch (error) {
        const err = error as { code?: string; message?: string };
        const detail =
          `Django database query failed: ${err.code ?? ''} ${err.message ?? String(error)}`.trim();
        logger.warn({ err: detail }, 'Django user lookup failed');
        return { ok: false, reason: 'unavailable', detail };
      }
      const row = rows[0] as { password?: unknown; is_active?: unknown } | undefined;
      if (row === undefined) {
        await spendTime(password);
        return { ok: false, reason: 'unknown' };
      }
      const encoded = typeof row.password === 'string' ? row.password : '';
      const check = await checkPassword(password, encoded, checkOptions);
      if (!check.ok) {
        const result = passwordFailure(check, user);
        if (!result.ok && result.detail !== undefined)
          logger.warn({ user, detail: result.detail }, 'Django password check');
        return result;
      }
      // Django's ModelBackend also checks is_active only after the password matched.
      if (row.is_active !== true)
        return { ok: false, reason: 'inactive', detail: `Django user '${user}' is inactive` };
      return { ok: true, principal: createPrincipal({ name: user, ...grant }) };
    },
    async verifyToken(): Promise<VerifyResult> {
      return { ok: false, reason: 'unknown' };
    },
    async close() {
      await ownPool?.end();
    },
  };
}

function quoteTable(name: string): string {
  const parts = name.split('.');
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new AuthConfigError('invalid_option', `Django store: table '${name}' must be [schema.]identifier`);
  }
  return parts.map((part) => `"${part}"`).join('.');
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new AuthConfigError('invalid_option', `Django store: ${name}=${value} must be a positive integer`);
  }
  return value;
}
