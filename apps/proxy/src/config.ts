import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * The proxy's configuration, validated in steps (parse -> normalise -> cross-field rules) from
 * four layers: command line > environment > YAML/JSON file > defaults. Errors come back as
 * `path: message` lines. Secrets (the Django database password, the TLS key passphrase) come
 * from files or the environment; the command line only ever names the file.
 */

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `1500`, `"1500"`, `"30s"`, `"10m"` -> milliseconds, within [min, max] (and 0 when `zeroAllowed`: "off"). */
function duration(min: number, max: number, zeroAllowed = false) {
  return z.union([z.number(), z.string()]).transform((v, ctx) => {
    let ms: number;
    if (typeof v === 'number') ms = v;
    else {
      const m = DURATION.exec(v.trim());
      if (m === null) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a duration like 500ms, 30s, 10m, 6h; got ${JSON.stringify(v)}`,
        });
        return z.NEVER;
      }
      ms = Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
    }
    if (zeroAllowed && ms === 0) return 0;
    if (!Number.isFinite(ms) || ms < min || ms > max) {
      const range = `between ${min} ms and ${max} ms${zeroAllowed ? ' (or 0)' : ''}`;
      ctx.addIssue({ code: 'custom', message: `must be ${range}; got ${ms} ms` });
      return z.NEVER;
    }
    return Math.round(ms);
  });
}

const intFrom = (min: number, max: number) =>
  z.coerce
    .number({ error: (issue) => (issue.code === 'invalid_type' ? 'expected a number' : undefined) })
    .int('expected an integer')
    .min(min, `must be >= ${min}`)
    .max(max, `must be <= ${max}`);
const port = intFrom(0, 65535);
const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => (typeof v === 'boolean' ? v : v === 'true' || v === '1' || v === 'yes'));
/** A list from YAML, or a comma-separated string from the environment or the command line. */
const stringList = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
      : v,
  z.array(z.string().min(1)),
);
const tagMap = z.record(z.string(), z.string());
const scopes = z.array(z.enum(['write', 'read'])).min(1, 'at least one scope is required');

/** `false` turns a listener off; `true` or an object (without `enabled: false`) turns it on. */
function listener(defaults: { enabled: boolean; port: number }) {
  return z.preprocess(
    (v) => {
      if (typeof v === 'boolean') return { enabled: v };
      if (isPlain(v) && v.enabled === undefined) return { ...v, enabled: true };
      return v;
    },
    z
      .strictObject({
        enabled: bool.default(defaults.enabled),
        host: z.string().min(1).optional(),
        port: port.default(defaults.port),
      })
      .prefault({}),
  );
}

const tlsSchema = z
  .strictObject({
    /** PEM files. */
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    /** CA bundle for client certificates (mutual TLS). */
    ca: z.string().min(1).optional(),
    /** The key's passphrase: from a file or the environment (OTSDB_PROXY_TLS_PASSPHRASE). */
    passphrase: z.string().optional(),
    passphraseFile: z.string().min(1).optional(),
    /** Ask clients for a certificate and require one signed by `ca`. */
    requireClientCert: bool.default(false),
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
    /** TLS handshake deadline. */
    handshakeTimeoutMs: duration(100, 600_000).default(10_000),
  })
  .prefault({});

const forwardTlsSchema = z
  .strictObject({
    ca: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    passphrase: z.string().optional(),
    passphraseFile: z.string().min(1).optional(),
    servername: z.string().min(1).optional(),
    rejectUnauthorized: bool.default(true),
  })
  .prefault({});

const schema = z.strictObject({
  /** Default host of every listener. */
  host: z.string().min(1).default('127.0.0.1'),
  listeners: z
    .strictObject({
      telnet: listener({ enabled: true, port: 4242 }),
      telnetTls: listener({ enabled: false, port: 4243 }),
      http: listener({ enabled: true, port: 4244 }),
      https: listener({ enabled: false, port: 4245 }),
    })
    .prefault({}),
  tls: tlsSchema,
  auth: z
    .strictObject({
      mode: z.enum(['none', 'file', 'django', 'mock']).default('none'),
      /** Tag names that carry credentials on telnet lines; always stripped. */
      userTag: z.string().min(1).default('user'),
      passwordTag: z.string().min(1).default('password'),
      cacheTtlMs: duration(0, 86_400_000).default(60_000),
      maxStaleMs: duration(0, 7 * 86_400_000).default(600_000),
      /** Failed authentications per source IP: a token bucket; `false` turns the limit off. */
      failureLimit: z
        .union([
          z.literal(false),
          z.strictObject({
            /** Failures a source may have in a row. Default 10. */
            burst: intFrom(1, 1_000_000).optional(),
            /** Failures forgiven per second. Default 0.5. */
            refillPerSecond: z.coerce.number().positive().max(1_000_000).optional(),
          }),
        ])
        .default({}),
      file: z
        .strictObject({
          path: z.string().min(1).optional(),
          watch: bool.default(true),
        })
        .prefault({}),
      django: z
        .strictObject({
          /** `postgres://user@host:port/db` without the password (that comes from passwordFile/env). */
          url: z.string().min(1).optional(),
          password: z.string().optional(),
          passwordFile: z.string().min(1).optional(),
          table: z.string().min(1).default('auth_user'),
          scopes: scopes.default(['write']),
          metrics: stringList.optional(),
          forcedTags: tagMap.optional(),
          statementTimeoutMs: duration(10, 600_000).default(2000),
          maxConnections: intFrom(1, 1000).default(4),
        })
        .prefault({}),
      mock: z
        .strictObject({
          /** true: every credential is accepted (opentsdb-proxy's mock); false: every one refused. */
          allow: bool.default(true),
          scopes: scopes.default(['write', 'read']),
          metrics: stringList.optional(),
          forcedTags: tagMap.optional(),
        })
        .prefault({}),
      /**
       * Principals by the subject common name of a client certificate that verified against
       * `tls.ca` (TLS listeners): such a connection writes (and reads) without credentials;
       * credentials it does send still decide for themselves.
       */
      certificates: z
        .record(
          z.string().min(1),
          z.strictObject({
            scopes: scopes.default(['write']),
            metrics: stringList.optional(),
            forcedTags: tagMap.optional(),
          }),
        )
        .default({}),
    })
    .prefault({}),
  backend: z
    .strictObject({
      type: z.enum(['forward', 'mock', 'null', 'local']).default('forward'),
      forward: z
        .strictObject({
          /** `telnet://host:4242`, `tls://host:4243`, `http://host:4242`, `https://...`. */
          targets: stringList.default([]),
          /** failover: one TSD at a time; shard: by series; replicate: every point to every target. */
          mode: z.enum(['failover', 'shard', 'replicate']).default('failover'),
          tls: forwardTlsSchema,
          /** Points held per target client (queued + in flight). */
          maxQueue: intFrom(1000, 100_000_000).default(100_000),
          batchSize: intFrom(1, 1_000_000).optional(),
          concurrency: intFrom(1, 64).optional(),
          /** Connections per telnet target (a TSD reads each connection on one thread). */
          connections: intFrom(1, 64).default(4),
          /** Telnet targets: how millisecond timestamps are written (VictoriaMetrics needs seconds/fractional). */
          telnetTimestamps: z.enum(['as-is', 'seconds', 'fractional']).default('as-is'),
          gzip: bool.default(false),
          hostCooldownMs: duration(0, 3_600_000).default(30_000),
          /** Base URL of the TSD's HTTP API for reads (default: the first http(s) target's origin). */
          readUrl: z.string().min(1).optional(),
          readTimeoutMs: duration(100, 3_600_000).default(60_000),
          /** Largest read response passed through. */
          maxReadResponseBytes: intFrom(1024, 4 * 1024 * 1024 * 1024).default(256 * 1024 * 1024),
        })
        .prefault({}),
      mock: z
        .strictObject({
          /** Append accepted points to this file as put lines. */
          file: z.string().min(1).optional(),
          /** Points kept in memory at most (oldest dropped, counted). */
          maxRecords: intFrom(0, 100_000_000).default(1_000_000),
        })
        .prefault({}),
      local: z
        .strictObject({
          dataDir: z.string().min(1).optional(),
          retention: z.union([z.string().min(1), z.number().positive()]).default('15d'),
          fsync: z.enum(['always', 'batch', 'none']).default('batch'),
        })
        .prefault({}),
    })
    .prefault({}),
  limits: z
    .strictObject({
      maxConnections: intFrom(1, 10_000_000).default(10_000),
      /** Longest telnet line in bytes (OpenTSDB: 1024). */
      maxLineLength: intFrom(16, 16 * 1024 * 1024).default(1024),
      /** A connection that sends nothing this long is closed. 0 = never. */
      idleTimeoutMs: duration(100, 86_400_000, true).default(300_000),
      /** Largest HTTP request body, compressed and decompressed. */
      maxBodyBytes: intFrom(1024, 1024 * 1024 * 1024).default(16 * 1024 * 1024),
      /** Points per second per principal (per source IP without authentication); 0 = unlimited. */
      pointsPerSecond: z.coerce.number().min(0).max(1e9).default(0),
      /** Token bucket size; default one second's worth. */
      burst: z.coerce.number().min(0).max(1e10).optional(),
      /** HTTP put: how long to wait for the backend to acknowledge before answering 503. */
      ackTimeoutMs: duration(100, 3_600_000).default(30_000),
      /** Telnet: points handed to the backend and not yet written, per connection, before reading pauses. */
      maxPendingPointsPerConnection: intFrom(100, 100_000_000).default(50_000),
      /** HTTP: deadline for a whole request (headers and body). */
      requestTimeoutMs: duration(1000, 3_600_000).default(60_000),
    })
    .prefault({}),
  protocol: z
    .strictObject({
      maxTags: intFrom(1, 255).default(8),
      tagsOptional: bool.default(false),
      extraChars: z.string().max(64).default(''),
    })
    .prefault({}),
  selfMetrics: z
    .strictObject({
      /** Write the proxy's own counters into the backend this often; 0 = off. */
      intervalMs: duration(1000, 86_400_000, true).default(0),
      prefix: z.string().min(1).default('proxy'),
      tags: tagMap.default({ host: hostname() }),
    })
    .prefault({}),
  shutdownTimeoutMs: duration(100, 600_000).default(10_000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type ProxyConfigInput = z.input<typeof schema>;
type Parsed = z.output<typeof schema>;

export interface ListenerConfig {
  enabled: boolean;
  host: string;
  port: number;
}

/** The validated configuration `startProxy` runs on. */
export interface ProxyConfig extends Omit<Parsed, 'listeners'> {
  listeners: {
    telnet: ListenerConfig;
    telnetTls: ListenerConfig;
    http: ListenerConfig;
    https: ListenerConfig;
  };
}

export type ConfigResult =
  | { ok: true; config: ProxyConfig; warnings: string[] }
  | { ok: false; errors: string[] };

/** Thrown by `startProxy` for a configuration that does not validate; `errors` are `path: message`. */
export class ProxyConfigError extends Error {
  readonly code = 'invalid_config';
  readonly errors: readonly string[];
  constructor(errors: readonly string[]) {
    super(`invalid configuration:\n${errors.join('\n')}`);
    this.name = 'ProxyConfigError';
    this.errors = errors;
  }
}

/** Nested plain objects; later layers win key by key, arrays are replaced whole. */
export type Layer = Record<string, unknown>;

function isPlain(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function mergeLayers(...layers: readonly Layer[]): Layer {
  const out: Layer = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      const prev = out[k];
      out[k] = isPlain(prev) && isPlain(v) ? mergeLayers(prev, v) : v;
    }
  }
  return out;
}

export function setPath(layer: Layer, path: string, value: unknown): void {
  if (value === undefined) return;
  const keys = path.split('.');
  let cur = layer;
  for (const k of keys.slice(0, -1)) {
    if (!isPlain(cur[k])) cur[k] = {};
    cur = cur[k] as Layer;
  }
  cur[keys[keys.length - 1]!] = value;
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    let path = '';
    for (const key of issue.path) {
      if (typeof key === 'number') path += `[${key}]`;
      else path += path === '' ? String(key) : `.${String(key)}`;
    }
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      message = `unknown setting(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    }
    return `${path === '' ? '(config)' : path}: ${message}`;
  });
}

/**
 * Validates a configuration object (a parsed file, or what a program passes to `startProxy`).
 * Does not read secret files: see `loadConfig` / `resolveSecrets`.
 */
export interface ParseOptions {
  /** The caller brings its own backend (`startProxy(config, { backend })`): `backend` is not checked. */
  backendProvided?: boolean;
}

export function parseConfig(raw: unknown, options: ParseOptions = {}): ConfigResult {
  if (raw !== undefined && !isPlain(raw)) return { ok: false, errors: ['(config): expected an object'] };
  const r = schema.safeParse(raw ?? {});
  if (!r.success) return { ok: false, errors: formatIssues(r.error.issues) };
  const c = r.data;
  const withHost = (l: Parsed['listeners']['telnet']): ListenerConfig => ({
    enabled: l.enabled,
    port: l.port,
    host: l.host ?? c.host,
  });
  const config: ProxyConfig = {
    ...c,
    listeners: {
      telnet: withHost(c.listeners.telnet),
      telnetTls: withHost(c.listeners.telnetTls),
      http: withHost(c.listeners.http),
      https: withHost(c.listeners.https),
    },
  };
  return crossCheck(config, options);
}

function crossCheck(c: ProxyConfig, options: ParseOptions): ConfigResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const l = c.listeners;
  if (!l.telnet.enabled && !l.telnetTls.enabled && !l.http.enabled && !l.https.enabled) {
    errors.push('listeners: every listener is disabled; enable at least one');
  }
  if (l.telnetTls.enabled || l.https.enabled) {
    if (c.tls.cert === undefined)
      errors.push('tls.cert: a TLS listener is enabled; a certificate is required');
    if (c.tls.key === undefined) errors.push('tls.key: a TLS listener is enabled; a private key is required');
  }
  if (c.tls.requireClientCert && c.tls.ca === undefined) {
    errors.push('tls.ca: requireClientCert needs the CA that signs client certificates');
  }
  const enabled = (['telnet', 'telnetTls', 'http', 'https'] as const).filter((n) => l[n].enabled);
  for (let i = 0; i < enabled.length; i++) {
    for (let j = i + 1; j < enabled.length; j++) {
      const a = l[enabled[i]!];
      const b = l[enabled[j]!];
      if (a.port !== 0 && a.port === b.port && a.host === b.host) {
        errors.push(`listeners.${enabled[j]}.port: ${b.port} is already used by listeners.${enabled[i]}`);
      }
    }
  }
  if (c.auth.mode === 'file' && c.auth.file.path === undefined) {
    errors.push('auth.file.path: auth mode file needs the credentials file');
  }
  if (c.auth.mode === 'django' && c.auth.django.url === undefined) {
    errors.push('auth.django.url: auth mode django needs the database URL (postgres://user@host:port/db)');
  }
  if (c.auth.django.url !== undefined) {
    try {
      const u = new URL(c.auth.django.url);
      if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
        errors.push('auth.django.url: must be a postgres:// URL');
      } else if (u.password !== '') {
        errors.push(
          'auth.django.url: must not contain the password; use auth.django.passwordFile or OTSDB_PROXY_DJANGO_PASSWORD',
        );
      }
    } catch {
      errors.push('auth.django.url: not a valid URL');
    }
  }
  if (c.auth.userTag === c.auth.passwordTag) errors.push('auth.passwordTag: must differ from auth.userTag');
  if (Object.keys(c.auth.certificates).length > 0) {
    if (c.tls.ca === undefined) {
      errors.push('tls.ca: auth.certificates needs the CA that signs client certificates');
    }
    if (!l.telnetTls.enabled && !l.https.enabled) {
      errors.push('auth.certificates: client certificates need a TLS listener (telnetTls or https)');
    }
    if (c.auth.mode === 'none') {
      errors.push('auth.certificates: auth mode none lets everyone in already; use file, django or mock');
    }
  }
  if (c.auth.mode === 'none') {
    warnings.push('auth: mode none; anyone who can reach a listener can write (and read, over HTTP)');
  }
  if (c.auth.mode === 'mock') {
    warnings.push(`auth: mode mock (${c.auth.mock.allow ? 'allow-all' : 'deny-all'}); for tests only`);
  }
  if (c.backend.type === 'forward' && options.backendProvided !== true) {
    const f = c.backend.forward;
    if (f.targets.length === 0) {
      errors.push('backend.forward.targets: at least one target is required (e.g. telnet://tsd:4242)');
    }
    const kinds = new Set<string>();
    f.targets.forEach((t, i) => {
      const kind = targetKind(t);
      if (kind === undefined) {
        errors.push(
          `backend.forward.targets[${i}]: '${redactTarget(t)}' must be a telnet://, tls://, http:// or https:// URL with a host`,
        );
      } else kinds.add(kind);
    });
    if (f.mode === 'failover' && kinds.size > 1) {
      errors.push(
        'backend.forward.targets: failover needs targets of one kind (all telnet, tls, http or https)',
      );
    }
    if (f.readUrl !== undefined) {
      const k = targetKind(f.readUrl);
      if (k !== 'http' && k !== 'https') errors.push('backend.forward.readUrl: must be an http(s):// URL');
    }
  }
  if (
    c.backend.type === 'local' &&
    c.backend.local.dataDir === undefined &&
    options.backendProvided !== true
  ) {
    errors.push('backend.local.dataDir: the local backend needs a data directory');
  }
  const forced = [c.auth.django.forcedTags, c.auth.mock.forcedTags, c.selfMetrics.tags];
  for (const tags of forced) {
    if (tags === undefined) continue;
    for (const k of Object.keys(tags)) {
      if (k === c.auth.userTag || k === c.auth.passwordTag) {
        errors.push(`tags: '${k}' is the credentials tag and is always stripped; it cannot be forced`);
      }
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config: c, warnings };
}

/** `telnet` | `tls` | `http` | `https`, or undefined for anything else. */
export function targetKind(url: string): 'telnet' | 'tls' | 'http' | 'https' | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.hostname === '') return undefined;
  switch (u.protocol) {
    case 'telnet:':
    case 'tcp:':
      return 'telnet';
    case 'tls:':
    case 'telnets:':
      return 'tls';
    case 'http:':
      return 'http';
    case 'https:':
      return 'https';
    default:
      return undefined;
  }
}

/** A target URL fit for messages: credentials replaced. */
export function redactTarget(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '') return url;
    u.username = u.username === '' ? '' : '***';
    u.password = u.password === '' ? '' : '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** Environment variables the proxy reads, and the setting each one fills. */
export const ENV_SETTINGS: Readonly<Record<string, string>> = {
  OTSDB_PROXY_HOST: 'host',
  OTSDB_PROXY_TELNET_PORT: 'listeners.telnet.port',
  OTSDB_PROXY_TELNET_TLS_PORT: 'listeners.telnetTls.port',
  OTSDB_PROXY_HTTP_PORT: 'listeners.http.port',
  OTSDB_PROXY_HTTPS_PORT: 'listeners.https.port',
  OTSDB_PROXY_TLS_CERT: 'tls.cert',
  OTSDB_PROXY_TLS_KEY: 'tls.key',
  OTSDB_PROXY_TLS_CA: 'tls.ca',
  OTSDB_PROXY_TLS_PASSPHRASE: 'tls.passphrase',
  OTSDB_PROXY_TLS_PASSPHRASE_FILE: 'tls.passphraseFile',
  OTSDB_PROXY_AUTH: 'auth.mode',
  OTSDB_PROXY_AUTH_FILE: 'auth.file.path',
  OTSDB_PROXY_DJANGO_URL: 'auth.django.url',
  OTSDB_PROXY_DJANGO_PASSWORD: 'auth.django.password',
  OTSDB_PROXY_DJANGO_PASSWORD_FILE: 'auth.django.passwordFile',
  OTSDB_PROXY_BACKEND: 'backend.type',
  OTSDB_PROXY_FORWARD: 'backend.forward.targets',
  OTSDB_PROXY_FORWARD_MODE: 'backend.forward.mode',
  OTSDB_PROXY_READ_URL: 'backend.forward.readUrl',
  OTSDB_PROXY_DATA_DIR: 'backend.local.dataDir',
  OTSDB_PROXY_MAX_CONNECTIONS: 'limits.maxConnections',
  OTSDB_PROXY_RATE_LIMIT: 'limits.pointsPerSecond',
  OTSDB_PROXY_LOG_LEVEL: 'logLevel',
};

/** Where a port set by env or flag also switches the listener on. */
const PORT_ENABLES: Readonly<Record<string, string>> = {
  'listeners.telnet.port': 'listeners.telnet.enabled',
  'listeners.telnetTls.port': 'listeners.telnetTls.enabled',
  'listeners.http.port': 'listeners.http.enabled',
  'listeners.https.port': 'listeners.https.enabled',
};

/** A layer from `path -> value` pairs; a port also enables its listener (`off` disables it). */
export function layerFromSettings(settings: ReadonlyArray<readonly [string, unknown]>): Layer {
  const layer: Layer = {};
  for (const [path, value] of settings) {
    if (value === undefined || value === '') continue;
    const enables = PORT_ENABLES[path];
    if (enables !== undefined && (value === 'off' || value === 'false' || value === false)) {
      setPath(layer, enables, false);
      continue;
    }
    setPath(layer, path, value);
    if (enables !== undefined) setPath(layer, enables, true);
  }
  return layer;
}

export function envLayer(env: NodeJS.ProcessEnv): Layer {
  return layerFromSettings(Object.entries(ENV_SETTINGS).map(([name, path]) => [path, env[name]] as const));
}

type ReadText = (path: string) => Promise<string>;
const readText: ReadText = (path) => readFile(path, 'utf8');

/** Replaces `passwordFile` / `passphraseFile` settings by the secrets they point at (per layer). */
async function resolveSecretFiles(layer: Layer, errors: string[], read: ReadText): Promise<void> {
  const take = async (sectionPath: string, fileKey: string, valueKey: string) => {
    let section: unknown = layer;
    for (const k of sectionPath.split('.')) section = isPlain(section) ? section[k] : undefined;
    if (!isPlain(section) || section[fileKey] === undefined) return;
    const file = section[fileKey];
    delete section[fileKey];
    if (typeof file !== 'string' || file === '') {
      errors.push(`${sectionPath}.${fileKey}: expected a file path`);
      return;
    }
    try {
      // Only the first line: files written by `echo` end with a newline that is not the secret.
      section[valueKey] = (await read(file)).split(/\r?\n/)[0] ?? '';
    } catch (err) {
      errors.push(
        `${sectionPath}.${fileKey}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  };
  await take('auth.django', 'passwordFile', 'password');
  await take('tls', 'passphraseFile', 'passphrase');
  await take('backend.forward.tls', 'passphraseFile', 'passphrase');
}

export interface LoadConfigInput {
  /** Layer from the command line (see cli-options.ts). */
  cli?: Layer;
  env?: NodeJS.ProcessEnv;
  /** YAML or JSON config file; `OTSDB_PROXY_CONFIG` when not given. */
  file?: string | undefined;
  readFile?: ReadText;
}

/** Reads the file, merges the layers, reads secret files, validates. Never throws. */
export async function loadConfig(input: LoadConfigInput = {}): Promise<ConfigResult> {
  const env = input.env ?? {};
  const read = input.readFile ?? readText;
  const errors: string[] = [];
  let fileLayer: Layer = {};
  const file = input.file ?? env['OTSDB_PROXY_CONFIG'];
  if (file !== undefined && file !== '') {
    let text: string | undefined;
    try {
      text = await read(file);
    } catch (err) {
      errors.push(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (text !== undefined) {
      try {
        const parsed: unknown = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 }) ?? {};
        if (!isPlain(parsed)) errors.push(`${file}: expected a mapping at the top level`);
        else fileLayer = parsed;
      } catch (err) {
        // Only the first line: the parser goes on to quote the file, which may hold secrets.
        const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
        errors.push(`${file}: not valid YAML/JSON: ${first}`);
      }
    }
  }
  const layers = [fileLayer, envLayer(env), input.cli ?? {}];
  for (const layer of layers) await resolveSecretFiles(layer, errors, read);
  if (errors.length > 0) return { ok: false, errors };
  return parseConfig(mergeLayers(...layers));
}

/** For programs: reads the secret files a configuration object names, then validates it. */
export async function resolveConfig(
  raw: unknown,
  options: ParseOptions = {},
  read: ReadText = readText,
): Promise<ConfigResult> {
  if (raw !== undefined && !isPlain(raw)) return { ok: false, errors: ['(config): expected an object'] };
  const layer = structuredClone((raw ?? {}) as Layer);
  const errors: string[] = [];
  await resolveSecretFiles(layer, errors, read);
  if (errors.length > 0) return { ok: false, errors };
  return parseConfig(layer, options);
}
