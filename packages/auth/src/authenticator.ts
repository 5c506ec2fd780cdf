import { createHmac, randomBytes } from 'node:crypto';
import type {
  CredentialStore,
  VerifyFailure,
  VerifyFailureReason,
  VerifyResult,
} from './credential-store.js';
import type { Credentials } from './credentials.js';
import { AuthConfigError } from './errors.js';
import {
  DEFAULT_FAILURE_LIMIT,
  FailureLimiter,
  type FailureLimitOptions,
  normalizeSource,
} from './failure-limiter.js';
import { type AuthLogger, silentLogger } from './logger.js';
import type { Principal } from './principal.js';

export interface AuthenticatorOptions {
  /** A verified credential is trusted without asking the store for this long. Default 60 000 ms. */
  cacheTtlMs?: number;
  /**
   * While the store is `unavailable` (database down), a credential verified earlier keeps
   * working this long past its TTL. Unknown credentials fail closed. Default 600 000 ms.
   */
  maxStaleMs?: number;
  /** Cached credentials at most (least recently used dropped first). Default 10 000. */
  maxCacheEntries?: number;
  /** Per-source failure limit; `false` disables it. */
  rateLimit?: Partial<FailureLimitOptions> | false;
  /** Store verifications running at once (each is a deliberately slow hash). Default 8. */
  maxConcurrentVerifications?: number;
  /** Verifications waiting for a slot; beyond, `busy`. Default 256. */
  maxQueuedVerifications?: number;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
  logger?: AuthLogger;
}

export interface AuthenticateOptions {
  /** Who is asking (remote IP, or a /64 for IPv6): failures are rate-limited per source. None: not limited. */
  source?: string | undefined;
}

export type AuthFailureReason = 'missing' | 'invalid' | VerifyFailureReason | 'rate_limited' | 'busy';

export type AuthResult = AuthSuccess | AuthFailure;

export interface AuthSuccess {
  ok: true;
  principal: Principal;
  /** `hit`: from cache; `stale`: from cache past its TTL because the store is unavailable. */
  cache: 'miss' | 'hit' | 'stale';
}

export interface AuthFailure {
  ok: false;
  reason: AuthFailureReason;
  /** Fit for the client: never contains the secret, and does not say whether a user exists. */
  message: string;
  /** With `rate_limited`: when the source may try again (for Retry-After). */
  retryAfterMs?: number;
}

export interface AuthenticatorStats {
  cacheHits: number;
  staleHits: number;
  cacheMisses: number;
  /** Store calls actually made. */
  verifications: number;
  /** Requests that joined a verification of the same credential already under way. */
  coalesced: number;
  successes: number;
  /** Rejected credentials: invalid, unknown, bad_secret, inactive. */
  failures: number;
  rateLimited: number;
  busy: number;
  /** Fail-closed answers because the store was unavailable and nothing usable was cached. */
  unavailable: number;
  cacheSize: number;
  cacheEvictions: number;
  inFlight: number;
  rateLimitSources: number;
  rateLimitEvictions: number;
}

export interface Authenticator {
  /** Never throws. */
  authenticate(credentials: Credentials, options?: AuthenticateOptions): Promise<AuthResult>;
  stats(): AuthenticatorStats;
  /** Forgets every cached credential (done automatically when the store reports a change). */
  clearCache(): void;
  /** Stops listening to the store and closes it. */
  close(): Promise<void>;
}

interface CacheEntry {
  principal: Principal;
  verifiedAt: number;
}

type Outcome = VerifyResult | { ok: false; reason: 'busy' };

const MESSAGES: Record<AuthFailureReason, string> = {
  missing: 'credentials required',
  invalid: 'malformed credentials',
  unknown: 'invalid credentials',
  bad_secret: 'invalid credentials',
  inactive: 'account disabled or token expired',
  unavailable: 'credential store unavailable; try again later',
  rate_limited: 'too many failed attempts; try again later',
  busy: 'too many authentications in progress; try again later',
};

const FAILURE_RANK: Record<VerifyFailureReason, number> = {
  unknown: 0,
  bad_secret: 1,
  inactive: 2,
  unavailable: 3,
};

/**
 * Wraps a store with what makes deliberately slow hashes usable on a hot path: a cache of
 * verified credentials keyed by HMAC (never the secret), coalescing of concurrent checks of
 * one credential, a concurrency cap on store calls, per-source failure limits, and serving
 * known principals from the cache while the store is down.
 *
 * Basic credentials are tried as a token first (the password of `https://metrics:TOKEN@host`),
 * then as user + password; the cheaper lookup goes first.
 */
export function createAuthenticator(
  store: CredentialStore,
  options: AuthenticatorOptions = {},
): Authenticator {
  const ttl = nonNegative('cacheTtlMs', options.cacheTtlMs ?? 60_000);
  const maxStale = nonNegative('maxStaleMs', options.maxStaleMs ?? 600_000);
  const maxEntries = atLeastOne('maxCacheEntries', options.maxCacheEntries ?? 10_000);
  const maxConcurrent = atLeastOne('maxConcurrentVerifications', options.maxConcurrentVerifications ?? 8);
  const maxQueued = nonNegative('maxQueuedVerifications', options.maxQueuedVerifications ?? 256);
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const limiter =
    options.rateLimit === false
      ? undefined
      : new FailureLimiter(validateLimit({ ...DEFAULT_FAILURE_LIMIT, ...options.rateLimit }), now);

  // Per process: cache keys cannot be precomputed or compared across processes.
  const hmacKey = randomBytes(32);
  const cache = new Map<string, CacheEntry>();
  const inFlight = new Map<string, Promise<Outcome>>();
  const waiters: Array<() => void> = [];
  let running = 0;
  let generation = 0;
  const counters = {
    cacheHits: 0,
    staleHits: 0,
    cacheMisses: 0,
    verifications: 0,
    coalesced: 0,
    successes: 0,
    failures: 0,
    rateLimited: 0,
    busy: 0,
    unavailable: 0,
    cacheEvictions: 0,
  };

  const clearCache = () => {
    cache.clear();
    generation++;
  };
  const unsubscribe = store.onChange?.(clearCache);

  const keyOf = (credentials: Credentials): string => {
    if (credentials.kind === 'token') return `t\0${mac(credentials.token)}`;
    if (credentials.kind === 'basic') return `b\0${credentials.user}\0${mac(credentials.password)}`;
    return '';
  };
  const mac = (secret: string) => createHmac('sha256', hmacKey).update(secret, 'utf8').digest('base64');

  const acquire = (): Promise<boolean> | boolean => {
    if (running < maxConcurrent) {
      running++;
      return true;
    }
    if (waiters.length >= maxQueued) return false;
    return new Promise((resolve) => waiters.push(() => resolve(true)));
  };
  const release = () => {
    const next = waiters.shift();
    if (next) next();
    else running--;
  };

  const askStore = async (credentials: Credentials): Promise<VerifyResult> => {
    if (credentials.kind === 'token') return store.verifyToken(credentials.token);
    if (credentials.kind !== 'basic') return { ok: false, reason: 'unknown' };
    const asToken = await store.verifyToken(credentials.password);
    if (asToken.ok || credentials.user === '') return asToken;
    const asUser = await store.verifyUser(credentials.user, credentials.password);
    if (asUser.ok) return asUser;
    return FAILURE_RANK[(asToken as VerifyFailure).reason] > FAILURE_RANK[asUser.reason] ? asToken : asUser;
  };

  const verify = async (key: string, credentials: Credentials): Promise<Outcome> => {
    const slot = acquire();
    if (!(slot === true || (await slot))) return { ok: false, reason: 'busy' };
    const startedIn = generation;
    try {
      counters.verifications++;
      let result: VerifyResult;
      try {
        result = await askStore(credentials);
      } catch (error) {
        // A store must answer with values; if one throws anyway, treat it as down, not as "no".
        logger.error(
          { err: error instanceof Error ? error.message : String(error) },
          'credential store threw',
        );
        result = { ok: false, reason: 'unavailable', detail: 'store threw' };
      }
      if (result.ok) {
        if (startedIn === generation) remember(key, result.principal);
      } else if (result.reason !== 'unavailable') {
        cache.delete(key);
      }
      if (!result.ok && result.detail !== undefined) {
        logger.debug({ reason: result.reason, detail: result.detail }, 'credential rejected by store');
      }
      return result;
    } finally {
      release();
    }
  };

  const remember = (key: string, principal: Principal) => {
    cache.delete(key);
    cache.set(key, { principal, verifiedAt: now() });
    while (cache.size > maxEntries) {
      const oldest = cache.keys().next();
      if (oldest.done) break;
      cache.delete(oldest.value);
      counters.cacheEvictions++;
    }
  };

  const fail = (reason: AuthFailureReason, message = MESSAGES[reason]): AuthFailure => ({
    ok: false,
    reason,
    message,
  });

  const authenticate = async (
    credentials: Credentials,
    options: AuthenticateOptions = {},
  ): Promise<AuthResult> => {
    const source =
      typeof options.source === 'string' && options.source !== ''
        ? normalizeSource(options.source)
        : undefined;
    if (credentials === null || typeof credentials !== 'object' || credentials.kind === 'none')
      return fail('missing');
    if (limiter !== undefined && source !== undefined) {
      const retryAfterMs = limiter.retryAfterMs(source);
      if (retryAfterMs > 0) {
        counters.rateLimited++;
        return { ...fail('rate_limited'), retryAfterMs };
      }
    }
    const rejected = (reason: AuthFailureReason, message?: string): AuthFailure => {
      counters.failures++;
      if (limiter !== undefined && source !== undefined) limiter.recordFailure(source);
      return fail(reason, message);
    };
    if (credentials.kind === 'invalid') return rejected('invalid', credentials.reason);
    if (credentials.kind !== 'basic' && credentials.kind !== 'token') return rejected('invalid');

    const key = keyOf(credentials);
    const cached = cache.get(key);
    if (cached !== undefined && now() - cached.verifiedAt < ttl) {
      counters.cacheHits++;
      cache.delete(key);
      cache.set(key, cached);
      return { ok: true, principal: cached.principal, cache: 'hit' };
    }
    counters.cacheMisses++;

    let pending = inFlight.get(key);
    if (pending === undefined) {
      pending = verify(key, credentials).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    } else {
      counters.coalesced++;
    }
    const outcome = await pending;
    if (outcome.ok) {
      counters.successes++;
      return { ok: true, principal: outcome.principal, cache: 'miss' };
    }
    if (outcome.reason === 'unavailable' || outcome.reason === 'busy') {
      const stale = cache.get(key);
      if (stale !== undefined && now() - stale.verifiedAt <= ttl + maxStale) {
        counters.staleHits++;
        return { ok: true, principal: stale.principal, cache: 'stale' };
      }
      if (outcome.reason === 'busy') counters.busy++;
      else counters.unavailable++;
      return fail(outcome.reason);
    }
    return rejected(outcome.reason);
  };

  return {
    async authenticate(credentials, options) {
      try {
        return await authenticate(credentials, options);
      } catch (error) {
        logger.error(
          { err: error instanceof Error ? error.message : String(error) },
          'authentication failed unexpectedly',
        );
        counters.unavailable++;
        return fail('unavailable');
      }
    },
    stats() {
      return {
        ...counters,
        cacheSize: cache.size,
        inFlight: inFlight.size,
        rateLimitSources: limiter?.size ?? 0,
        rateLimitEvictions: limiter?.evictions ?? 0,
      };
    },
    clearCache,
    async close() {
      unsubscribe?.();
      clearCache();
      await store.close();
    },
  };
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw new AuthConfigError('invalid_option', `${name}=${value} must be >= 0`);
  return value;
}

function atLeastOne(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new AuthConfigError('invalid_option', `${name}=${value} must be an integer >= 1`);
  }
  return value;
}

function validateLimit(options: FailureLimitOptions): FailureLimitOptions {
  atLeastOne('rateLimit.burst', options.burst);
  atLeastOne('rateLimit.maxSources', options.maxSources);
  if (!(options.refillPerSecond > 0) || !Number.isFinite(options.refillPerSecond)) {
    throw new AuthConfigError(
      'invalid_option',
      `rateLimit.refillPerSecond=${options.refillPerSecond} must be > 0`,
    );
  }
  return options;
}
