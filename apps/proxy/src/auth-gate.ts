import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import {
  type AuthenticatorStats,
  type AuthLogger,
  type AuthResult,
  type CredentialStore,
  type Credentials,
  createAllowAllStore,
  createAuthenticator,
  createDenyAllStore,
  createDjangoStore,
  createPrincipal,
  type FileStore,
  openFileStore,
  type Principal,
  type ReloadResult,
} from '@otsdb/auth';
import type { ProxyConfig } from './config.js';

export type AuthMode = ProxyConfig['auth']['mode'];

/**
 * Who may write and read. `none` lets everyone through as one anonymous principal with every
 * scope (a pure TLS gateway: opentsdb-proxy's `forwarding`); the other modes check credentials
 * with @otsdb/auth's Authenticator (cache of verified credentials, per-source failure limit,
 * stale answers while a database is down).
 */
export interface AuthGate {
  readonly mode: AuthMode;
  /** Set in mode `none`: the principal every request runs as. */
  readonly anonymous: Principal | undefined;
  /** Never throws. `source`: the client's IP, for the failure limit. */
  authenticate(credentials: Credentials, source: string | undefined): Promise<AuthResult>;
  /**
   * The principal `auth.certificates` gives the client certificate of a TLS connection, when
   * it verified against the configured CA; undefined otherwise.
   */
  certificatePrincipal(socket: Socket): Principal | undefined;
  /** Re-reads the credentials file (mode `file`); undefined in other modes. */
  reload(): Promise<ReloadResult | undefined>;
  stats(): AuthenticatorStats | undefined;
  close(): Promise<void>;
}

const ANONYMOUS = createPrincipal({ name: 'anonymous', scopes: ['write', 'read'] });

export async function createAuthGate(config: ProxyConfig['auth'], logger: AuthLogger): Promise<AuthGate> {
  const byCommonName = new Map<string, Principal>();
  for (const [cn, spec] of Object.entries(config.certificates)) {
    byCommonName.set(
      cn,
      createPrincipal({
        name: `cert:${cn}`,
        scopes: spec.scopes,
        ...(spec.metrics === undefined ? {} : { metricPatterns: spec.metrics }),
        ...(spec.forcedTags === undefined ? {} : { forcedTags: spec.forcedTags }),
      }),
    );
  }
  const certificatePrincipal = (socket: Socket): Principal | undefined => {
    if (byCommonName.size === 0 || !(socket instanceof TLSSocket) || !socket.authorized) return undefined;
    const cn = socket.getPeerCertificate().subject?.CN;
    return typeof cn === 'string' ? byCommonName.get(cn) : undefined;
  };
  if (config.mode === 'none') {
    return {
      mode: 'none',
      anonymous: ANONYMOUS,
      certificatePrincipal: () => undefined,
      authenticate: async () => ({ ok: true, principal: ANONYMOUS, cache: 'hit' }),
      reload: async () => undefined,
      stats: () => undefined,
      close: async () => undefined,
    };
  }

  let store: CredentialStore;
  let fileStore: FileStore | undefined;
  switch (config.mode) {
    case 'mock': {
      const m = config.mock;
      store = m.allow
        ? createAllowAllStore({
            scopes: m.scopes,
            ...(m.metrics === undefined ? {} : { metricPatterns: m.metrics }),
            ...(m.forcedTags === undefined ? {} : { forcedTags: m.forcedTags }),
          })
        : createDenyAllStore('unknown');
      break;
    }
    case 'file': {
      fileStore = await openFileStore({ path: config.file.path!, watch: config.file.watch, logger });
      store = fileStore;
      break;
    }
    case 'django': {
      const d = config.django;
      const url = new URL(d.url!);
      if (d.password !== undefined) url.password = d.password;
      store = createDjangoStore({
        connectionString: url.toString(),
        table: d.table,
        scopes: d.scopes,
        ...(d.metrics === undefined ? {} : { metricPatterns: d.metrics }),
        ...(d.forcedTags === undefined ? {} : { forcedTags: d.forcedTags }),
        statementTimeoutMs: d.statementTimeoutMs,
        maxConnections: d.maxConnections,
        logger,
      });
      break;
    }
  }

  const authenticator = createAuthenticator(store, {
    cacheTtlMs: config.cacheTtlMs,
    maxStaleMs: config.maxStaleMs,
    rateLimit: config.failureLimit === false ? false : stripUndefined(config.failureLimit),
    logger,
  });
  return {
    mode: config.mode,
    anonymous: undefined,
    certificatePrincipal,
    authenticate: (credentials, source) => authenticator.authenticate(credentials, { source }),
    reload: async () => (fileStore === undefined ? undefined : fileStore.reload()),
    stats: () => authenticator.stats(),
    close: () => authenticator.close(),
  };
}

function stripUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}
