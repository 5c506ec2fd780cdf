import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type TlsOptions } from 'node:tls';
import type { ReloadResult } from '@otsdb/auth';
import { type DataPoint, telnetVersionReply } from '@otsdb/protocol';
import { type AuthGate, createAuthGate } from './auth-gate.js';
import type { Backend } from './backends/backend.js';
import { createBackend } from './backends/create-backend.js';
import { type ProxyConfig, ProxyConfigError, type ProxyConfigInput, resolveConfig } from './config.js';
import type { ProxyContext } from './context.js';
import { type HttpListener, startHttpListener } from './http-server.js';
import { ConnectionLimit } from './limits/connection-limit.js';
import { RateLimiter } from './limits/rate-limit.js';
import { type ProxyLogger, silentLogger } from './logger.js';
import { type ProxyStats, SelfMetrics } from './self-metrics.js';
import { startTelnetListener, type TelnetListener } from './telnet-server.js';
import { WriteRules } from './write-rules.js';

export interface StartProxyOptions {
  /** pino-compatible; silent by default. */
  logger?: ProxyLogger;
  /** Use this backend instead of building the one `config.backend` names (tests, embedding). */
  backend?: Backend;
}

export interface ProxyPorts {
  telnet?: number;
  telnetTls?: number;
  http?: number;
  https?: number;
}

export type TlsReloadResult = { ok: true } | { ok: false; error: string };

export interface ProxyHandle {
  /** The ports actually bound (useful with port 0). */
  readonly ports: ProxyPorts;
  readonly config: ProxyConfig;
  readonly backend: Backend;
  stats(): ProxyStats;
  /** Re-reads the credentials file (mode `file`; SIGHUP in the CLI). */
  reloadAuth(): Promise<ReloadResult | undefined>;
  /**
   * Reads the certificate, key and CA files again and serves them to new TLS connections (a
   * renewed certificate; SIGHUP in the CLI). Open connections keep theirs. A file that cannot be
   * read or a key that does not match leaves the old ones in place. Undefined without TLS listeners.
   */
  reloadTls(): Promise<TlsReloadResult | undefined>;
  /**
   * Graceful shutdown: stop listening, hand on what was read, wait for in-flight writes within
   * `timeoutMs` (default `shutdownTimeoutMs`), close the backend (flushing its queue in the time
   * left) and the credential store. Idempotent.
   */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

export const PROXY_VERSION = readVersion();

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Starts the proxy in this process: validates the configuration (throws `ProxyConfigError` with
 * `path: message` lines), builds the backend and the authentication, then opens the listeners.
 * Anything that fails on the way is closed again before the error is thrown.
 */
export async function startProxy(
  input: ProxyConfigInput | ProxyConfig,
  options: StartProxyOptions = {},
): Promise<ProxyHandle> {
  const resolved = await resolveConfig(input, { backendProvided: options.backend !== undefined });
  if (!resolved.ok) throw new ProxyConfigError(resolved.errors);
  const config = resolved.config;
  const logger = options.logger ?? silentLogger;
  for (const warning of resolved.warnings) logger.warn({}, warning);

  const tls = await serverTls(config);
  const backend = options.backend ?? (await createBackend(config, logger));
  let auth: AuthGate;
  try {
    auth = await createAuthGate(config.auth, logger.child({ component: 'auth' }));
  } catch (error) {
    await backend.close(0);
    throw error;
  }

  const connections = new ConnectionLimit(config.limits.maxConnections);
  const metrics = new SelfMetrics(connections);
  const limits = config.limits;
  const rateLimiter =
    limits.pointsPerSecond > 0
      ? new RateLimiter({ rate: limits.pointsPerSecond, burst: limits.burst })
      : undefined;
  let stopping = false;
  const stats = (): ProxyStats => metrics.snapshot(backend.stats(), auth.stats());
  const statsPoints = (): DataPoint[] =>
    metrics.points(
      stats(),
      config.selfMetrics.prefix,
      config.selfMetrics.tags,
      Math.floor(Date.now() / 1000),
    );
  const ctx: ProxyContext = {
    config,
    backend,
    auth,
    rules: new WriteRules({ user: config.auth.userTag, password: config.auth.passwordTag }, config.protocol),
    rateLimiter,
    metrics,
    connections,
    logger,
    versionReply: telnetVersionReply({ version: PROXY_VERSION, packageName: 'opentsdb-proxy' }),
    statsPoints,
    get stopping() {
      return stopping;
    },
  };

  const telnets: TelnetListener[] = [];
  const https: HttpListener[] = [];
  const ports: ProxyPorts = {};
  const l = config.listeners;
  try {
    if (l.telnet.enabled) {
      const t = await startTelnetListener(ctx, { host: l.telnet.host, port: l.telnet.port });
      telnets.push(t);
      ports.telnet = t.port;
    }
    if (l.telnetTls.enabled) {
      const t = await startTelnetListener(ctx, { host: l.telnetTls.host, port: l.telnetTls.port, tls });
      telnets.push(t);
      ports.telnetTls = t.port;
    }
    if (l.http.enabled) {
      const h = await startHttpListener(ctx, { host: l.http.host, port: l.http.port });
      https.push(h);
      ports.http = h.port;
    }
    if (l.https.enabled) {
      const h = await startHttpListener(ctx, { host: l.https.host, port: l.https.port, tls });
      https.push(h);
      ports.https = h.port;
    }
  } catch (error) {
    stopping = true;
    await Promise.all([...telnets, ...https].map((x) => x.drain(Date.now())));
    await backend.close(0);
    await auth.close();
    throw error;
  }
  logger.info({ ports, backend: backend.type, auth: auth.mode }, 'opentsdb-proxy listening');

  let selfMetricsTimer: NodeJS.Timeout | undefined;
  if (config.selfMetrics.intervalMs > 0) {
    selfMetricsTimer = setInterval(() => {
      void backend.write(statsPoints()).then((r) => {
        if (!r.ok) logger.warn({ status: r.status, code: r.code }, `self-metrics not written: ${r.message}`);
      });
    }, config.selfMetrics.intervalMs);
    selfMetricsTimer.unref();
  }

  let stopped: Promise<void> | undefined;
  const stop = async (timeoutMs: number) => {
    stopping = true;
    clearInterval(selfMetricsTimer);
    const deadline = Date.now() + timeoutMs;
    logger.info({ timeoutMs }, 'stopping: no new connections, draining');
    await Promise.all([...telnets, ...https].map((x) => x.stopAccepting().catch(() => undefined)));
    await Promise.all([...telnets, ...https].map((x) => x.drain(deadline)));
    await backend.close(Math.max(0, deadline - Date.now()));
    await auth.close();
    logger.info({ stats: stats().points }, 'stopped');
  };

  return {
    ports,
    config,
    backend,
    stats,
    reloadAuth: () => auth.reload(),
    async reloadTls(): Promise<TlsReloadResult | undefined> {
      const secure = [...telnets, ...https].filter((x) => x.setSecureContext !== undefined);
      if (secure.length === 0) return undefined;
      let next: TlsOptions;
      try {
        next = (await serverTls(config))!;
        // Parses the PEM files and checks that the key matches, before anything changes.
        createSecureContext(next);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        logger.error({ err: message }, 'TLS files rejected; keeping the certificate in use');
        return { ok: false, error: message };
      }
      for (const x of secure) x.setSecureContext!(next);
      logger.info({ cert: config.tls.cert }, 'TLS certificate reloaded');
      return { ok: true };
    },
    stop(stopOptions = {}) {
      stopped ??= stop(stopOptions.timeoutMs ?? config.shutdownTimeoutMs);
      return stopped;
    },
  };
}

/** Certificate, key and (for mutual TLS) CA, read from the configured files. */
async function serverTls(config: ProxyConfig): Promise<TlsOptions | undefined> {
  const l = config.listeners;
  if (!l.telnetTls.enabled && !l.https.enabled) return undefined;
  const t = config.tls;
  const options: TlsOptions = {
    cert: await readFile(t.cert!, 'utf8'),
    key: await readFile(t.key!, 'utf8'),
    minVersion: t.minVersion,
    handshakeTimeout: t.handshakeTimeoutMs,
  };
  if (t.passphrase !== undefined) options.passphrase = t.passphrase;
  if (t.ca !== undefined) options.ca = await readFile(t.ca, 'utf8');
  if (t.requireClientCert) {
    options.requestCert = true;
    options.rejectUnauthorized = true;
  } else if (Object.keys(config.auth.certificates).length > 0) {
    // Asked, not required: a client without one authenticates with credentials.
    options.requestCert = true;
    options.rejectUnauthorized = false;
  }
  return options;
}
