import type { Tags } from '@otsdb/protocol';
import { createPrincipal, type Principal, type Scope } from './principal.js';

export type VerifyFailureReason = 'unknown' | 'bad_secret' | 'inactive' | 'unavailable';

export type VerifyResult = { ok: true; principal: Principal } | VerifyFailure;

export interface VerifyFailure {
  ok: false;
  reason: VerifyFailureReason;
  /** For operators' logs: what went wrong (a database error, an unusable hash); never a secret. */
  detail?: string;
}

/**
 * Where credentials are checked. `unknown`: no such user/token. `bad_secret`: wrong password.
 * `inactive`: right secret, but the account is disabled or the token expired (reported only
 * after the secret matched, so guessing learns nothing about account state). `unavailable`:
 * the store could not answer (database down); callers fail closed on it.
 */
export interface CredentialStore {
  verifyUser(user: string, password: string): Promise<VerifyResult>;
  verifyToken(token: string): Promise<VerifyResult>;
  close(): Promise<void>;
  /** Stores whose content changes (a reloaded file) notify here so caches can be dropped. */
  onChange?(listener: () => void): () => void;
}

export interface AllowAllOptions {
  /** Default `['write', 'read']`. */
  scopes?: Scope[];
  metricPatterns?: string[];
  forcedTags?: Tags;
}

/**
 * Accepts every credential (opentsdb-proxy's `mock` backend): the principal is named after the
 * user, or `token` for tokens. For tests and trusted networks only.
 */
export function createAllowAllStore(options: AllowAllOptions = {}): CredentialStore {
  const spec = {
    scopes: options.scopes ?? (['write', 'read'] as Scope[]),
    metricPatterns: options.metricPatterns,
    forcedTags: options.forcedTags,
  };
  // Validate once up front, so a bad option fails at construction, not per request.
  const tokenPrincipal = createPrincipal({ name: 'token', ...spec });
  return {
    async verifyUser(user) {
      return { ok: true, principal: user === '' ? tokenPrincipal : createPrincipal({ name: user, ...spec }) };
    },
    async verifyToken() {
      return { ok: true, principal: tokenPrincipal };
    },
    async close() {},
  };
}

/** Refuses every credential with `reason` (default `unknown`); `unavailable` simulates an outage. */
export function createDenyAllStore(reason: VerifyFailureReason = 'unknown'): CredentialStore {
  const result: VerifyResult = { ok: false, reason };
  return {
    async verifyUser() {
      return result;
    },
    async verifyToken() {
      return result;
    },
    async close() {},
  };
}

const FAILURE_RANK: Record<VerifyFailureReason, number> = {
  unknown: 0,
  bad_secret: 1,
  inactive: 2,
  unavailable: 3,
};

/**
 * Asks stores in order (e.g. a tokens file, then Django); the first success wins. Otherwise the
 * most telling failure is returned: `unavailable` over `inactive` over `bad_secret` over
 * `unknown`, so an outage of any store can still be served from a cache.
 */
export function chainStores(stores: readonly CredentialStore[]): CredentialStore {
  const run = async (ask: (store: CredentialStore) => Promise<VerifyResult>): Promise<VerifyResult> => {
    let worst: VerifyFailure = { ok: false, reason: 'unknown' };
    for (const store of stores) {
      const result = await ask(store);
      if (result.ok) return result;
      if (FAILURE_RANK[result.reason] > FAILURE_RANK[worst.reason]) worst = result;
    }
    return worst;
  };
  return {
    verifyUser: (user, password) => run((store) => store.verifyUser(user, password)),
    verifyToken: (token) => run((store) => store.verifyToken(token)),
    async close() {
      await Promise.allSettled(stores.map((store) => store.close()));
    },
    onChange(listener) {
      const unsubscribers = stores.map((store) => store.onChange?.(listener));
      return () => {
        for (const unsubscribe of unsubscribers) unsubscribe?.();
      };
    },
  };
}
