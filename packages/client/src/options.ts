import { hostname } from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import type { ProtocolOptions } from '@otsdb/protocol';
import { type BackoffOptions, checkBackoff, DEFAULT_BACKOFF } from './backoff.js';
import { DEFAULT_PORT, type HostSpec, parseEndpoint, parseUrl } from './endpoints.js';
import { ClientError } from './errors.js';
import type { Endpoint, HostPolicy } from './host-pool.js';
import { type Logger, silentLogger } from './logger.js';

export type Protocol = 'telnet' | 'http';
export type DropPolicy = 'drop_oldest' | 'drop_newest' | 'reject';
export type TelnetTimestamps = 'as-is' | 'seconds' | 'fractional';

/** TLS settings for telnet-over-TLS and HTTPS; the usual node:tls fields. */
export type TlsOptions = Pick<
  ConnectionOptions,
  | 'ca'
  | 'cert'
  | 'key'
  | 'pfx'
  | 'passphrase'
  | 'servername'
  | 'rejectUnauthorized'
  | 'minVersion'
  | 'ciphers'
>;

export interface ClientOptions {
  /** TSDs as `host`, `host:port`, `[v6]:port` or `{ host, port }`. Default port 4242. */
  hosts?: ReadonlyArray<string | HostSpec>;
  /** potsdb style single host; same as `hosts: [host]`. */
  host?: string;
  /** Port for `host` and for `hosts` entries without one. Default 4242. */
  port?: number;
  /**
   * One URL, or several that differ only in host and port: `http(s)://user:pass@host:port/path`,
   * `telnet://host:port` (or `tcp://`), `tls://host:port` (or `telnets://`). Sets protocol, TLS,
   * path and credentials. A URL without a port uses 80/443 for HTTP and 4242 for telnet.
   */
  url?: string | readonly string[];
  /** Default `telnet`, or what `url` says. */
  protocol?: Protocol;
  /** `true` for TLS with system CAs, or TLS settings (CA, client cert/key for mutual TLS...). */
  tls?: boolean | TlsOptions;
  /** Default `failover`. */
  hostPolicy?: HostPolicy;
  /** How long a failed host is avoided before it is tried again. Default 30 000 ms. */
  hostCooldownMs?: number;

  /** `true` (default): tag `host=<os.hostname()>`; a string: that value; `false`: no host tag. */
  hostTag?: boolean | string;
  /** Gateway credentials: tags `user=` `password=` on each telnet line; Basic auth on HTTP. */
  user?: string;
  password?: string;
  /** HTTP token: sent as `Authorization: Bearer <token>`, or in `tokenHeader` as is. */
  token?: string;
  /** Header carrying `token` instead of Authorization, e.g. `X-Warp10-Token`. */
  tokenHeader?: string;
  /** Extra HTTP headers. */
  headers?: Readonly<Record<string, string>>;

  /** Points held at most (queued, in flight, awaiting retry). Default 100 000. */
  maxQueue?: number;
  /** Bytes of encoded points the queue may hold (a second bound, for large points). Default 64 MiB. */
  maxQueueBytes?: number;
  /** What happens to a point when the queue is full. Default `drop_oldest`. */
  dropPolicy?: DropPolicy;
  /** `writable` turns false at this many held points, `drain` fires at half of it. Default 80% of maxQueue. */
  highWaterMark?: number;
  /** Rate limit in points per second; 0 = unlimited (default). */
  mps?: number;

  /** Points per write (telnet) or per request (HTTP). Default 5000 telnet, 500 HTTP. */
  batchSize?: number;
  /** Wait up to this long for a batch to fill before sending a partial one. Default 0 telnet, 50 HTTP. */
  lingerMs?: number;
  /** Batches in flight at once. Default 2 telnet (per connection pipelining), 4 HTTP. */
  concurrency?: number;
  /** TCP connect + TLS handshake deadline. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Telnet: a write the TSD does not take within this long means a stalled peer. Default 30 000 ms. */
  writeTimeoutMs?: number;
  /** HTTP: deadline for one request's response. Default 30 000 ms. */
  requestTimeoutMs?: number;
  /** TCP keepalive initial delay (dead peer detection). Default 10 000 ms. */
  keepAliveMs?: number;
  /** Reconnect / retry backoff. Default 100 ms doubling to 30 s, jitter 0.5. */
  backoff?: Partial<BackoffOptions>;

  /** HTTP put path (query allowed). Default `/api/put`. */
  path?: string;
  /** HTTP: ask for `?details` to learn which points failed. Default true. */
  details?: boolean;
  /** HTTP: gzip request bodies. Default false. */
  gzip?: boolean;

  /**
   * Telnet: how millisecond timestamps are written.
   * - `as-is` (default): 13 digits. OpenTSDB and InfluxDB take them; VictoriaMetrics' telnet
   *   listener silently drops them (it reads every telnet timestamp as seconds).
   * - `fractional`: `sec.mmm`. OpenTSDB reads it as the same millisecond; VictoriaMetrics keeps
   *   the point at the whole second. InfluxDB refuses it.
   * - `seconds`: whole seconds, milliseconds cut off. Every TSD takes it.
   * Timestamps already in seconds are always written unchanged.
   */
  telnetTimestamps?: TelnetTimestamps;
  /**
   * Telnet has no acknowledgements: points written within this window before a connection dies
   * are written again after reconnecting (at-least-once; duplicates possible). 0 disables.
   * Default 5000 ms.
   */
  telnetReplayMs?: number;
  /**
   * Telnet: longest line (bytes, without newline, credentials included) a TSD takes. OpenTSDB's
   * telnet framer allows 1024 and drops the connection on a longer one, so longer points are
   * refused at `send()` as `line_too_long`. 0 = no limit. Default 1024.
   */
  maxLineLength?: number;

  /** Validation rules (max tags, tag-less points for VictoriaMetrics, extra characters). */
  protocolOptions?: ProtocolOptions;
  /** pino-compatible logger; silent by default. */
  logger?: Logger;
  /** Recurring conditions (drops, TSD error replies) are logged at most once per interval. Default 10 000 ms. */
  logIntervalMs?: number;
}

export interface CreateClientOptions extends ClientOptions {
  /** Connect to every host once before returning; reject naming the host and cause. Default false. */
  checkHost?: boolean;
}

/** Options after defaults and checks: what the client and transports run on. */
export interface ResolvedOptions {
  protocol: Protocol;
  endpoints: Endpoint[];
  tls: TlsOptions | undefined;
  hostPolicy: HostPolicy;
  hostCooldownMs: number;
  hostTag: string | undefined;
  user: string | undefined;
  password: string | undefined;
  token: string | undefined;
  tokenHeader: string | undefined;
  headers: Record<string, string>;
  maxQueue: number;
  maxQueueBytes: number;
  dropPolicy: DropPolicy;
  highWaterMark: number;
  lowWaterMark: number;
  mps: number;
  batchSize: number;
  lingerMs: number;
  concurrency: number;
  connectTimeoutMs: number;
  writeTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveMs: number;
  backoff: BackoffOptions;
  path: string;
  details: boolean;
  gzip: boolean;
  telnetTimestamps: TelnetTimestamps;
  telnetReplayMs: number;
  maxLineLength: number;
  protocolOptions: ProtocolOptions;
  logger: Logger;
  logIntervalMs: number;
  /** Values that must never appear in a log line. */
  secrets: string[];
}

const OPTION_NAMES = new Set<string>([
  'hosts',
  'host',
  'port',
  'url',
  'protocol',
  'tls',
  'hostPolicy',
  'hostCooldownMs',
  'hostTag',
  'user',
  'password',
  'token',
  'tokenHeader',
  'headers',
  'maxQueue',
  'maxQueueBytes',
  'dropPolicy',
  'highWaterMark',
  'mps',
  'batchSize',
  'lingerMs',
  'concurrency',
  'connectTimeoutMs',
  'writeTimeoutMs',
  'requestTimeoutMs',
  'keepAliveMs',
  'backoff',
  'path',
  'details',
  'gzip',
  'telnetTimestamps',
  'telnetReplayMs',
  'maxLineLength',
  'protocolOptions',
  'logger',
  'logIntervalMs',
  'checkHost',
]);

/**
 * Applies defaults and checks every option, collecting all problems at once. Throws one
 * `ClientError('invalid_config')` listing them as `option: problem`; never echoes a secret.
 */
export function resolveOptions(input: ClientOptions): ResolvedOptions {
  const errors: string[] = [];
  const problem = (path: string, message: string) => errors.push(`${path}: ${message}`);
  if (input === null || typeof input !== 'object') {
    throw new ClientError('invalid_config', 'options must be an object');
  }
  for (const key of Object.keys(input)) {
    if (!OPTION_NAMES.has(key)) problem(key, 'unknown option');
  }

  // Where: url, hosts, host/port. Exactly one source of addresses.
  const sources = [input.url !== undefined, input.hosts !== undefined, input.host !== undefined].filter(
    Boolean,
  );
  if (sources.length === 0) problem('hosts', 'give `hosts`, `host` or `url`');
  if (sources.length > 1) problem('hosts', 'give only one of `hosts`, `host` and `url`');

  let protocol: Protocol | undefined = input.protocol;
  if (protocol !== undefined && protocol !== 'telnet' && protocol !== 'http') {
    problem('protocol', `must be "telnet" or "http", got ${JSON.stringify(protocol)}`);
    protocol = undefined;
  }
  let urlTls = false;
  let path = input.path;
  let user = input.user;
  let password = input.password;
  const endpoints: Endpoint[] = [];
  const defaultPort = input.port ?? DEFAULT_PORT;
  if (input.port !== undefined && !(Number.isInteger(input.port) && input.port >= 1 && input.port <= 65535)) {
    problem('port', `must be an integer from 1 to 65535, got ${String(input.port)}`);
  }

  if (input.url !== undefined) {
    const urls = typeof input.url === 'string' ? [input.url] : [...input.url];
    if (urls.length === 0) problem('url', 'must not be empty');
    let first: { protocol: Protocol; tls: boolean; path: string | undefined } | undefined;
    urls.forEach((text, i) => {
      const where = typeof input.url === 'string' ? 'url' : `url[${i}]`;
      if (typeof text !== 'string') {
        problem(where, 'must be a string');
        return;
      }
      const parsed = parseUrl(text);
      if (!parsed.ok) {
        problem(where, parsed.error);
        return;
      }
      const parts = parsed.parts;
      if (first === undefined) {
        first = { protocol: parts.protocol, tls: parts.tls, path: parts.path };
        if (protocol !== undefined && protocol !== parts.protocol) {
          problem('protocol', `is "${protocol}" but the url scheme means "${parts.protocol}"`);
        }
        protocol = parts.protocol;
        urlTls = parts.tls;
        if (path === undefined) path = parts.path;
        if (user === undefined) user = parts.user;
        if (password === undefined) password = parts.password;
      } else if (first.protocol !== parts.protocol || first.tls !== parts.tls || first.path !== parts.path) {
        problem(where, 'all urls must share scheme and path; only host and port may differ');
      }
      endpoints.push(parts.endpoint);
    });
  } else if (input.hosts !== undefined) {
    if (!Array.isArray(input.hosts) || input.hosts.length === 0) {
      problem('hosts', 'must be a non-empty array');
    } else {
      input.hosts.forEach((spec, i) => {
        const parsed = parseEndpoint(spec, defaultPort);
        if (parsed.ok) endpoints.push(parsed.endpoint);
        else problem(`hosts[${i}]`, parsed.error);
      });
    }
  } else if (input.host !== undefined) {
    const parsed = parseEndpoint(
      typeof input.host === 'string' ? { host: input.host } : input.host,
      defaultPort,
    );
    if (parsed.ok) endpoints.push(parsed.endpoint);
    else problem('host', parsed.error);
  }
  const seen = new Set<string>();
  for (const endpoint of endpoints) {
    if (seen.has(endpoint.label)) problem('hosts', `${endpoint.label} is listed twice`);
    seen.add(endpoint.label);
  }
  const finalProtocol: Protocol = protocol ?? 'telnet';
  const isHttp = finalProtocol === 'http';

  let tls: TlsOptions | undefined;
  if (input.tls === undefined) tls = urlTls ? {} : undefined;
  else if (input.tls === true) tls = {};
  else if (input.tls === false) {
    if (urlTls) problem('tls', 'is false but the url scheme requires TLS');
    tls = undefined;
  } else if (typeof input.tls === 'object' && input.tls !== null) tls = { ...input.tls };
  else problem('tls', 'must be a boolean or an object of TLS settings');

  const hostPolicy = input.hostPolicy ?? 'failover';
  if (hostPolicy !== 'failover' && hostPolicy !== 'spread') {
    problem('hostPolicy', `must be "failover" or "spread", got ${JSON.stringify(hostPolicy)}`);
  }

  let hostTag: string | undefined;
  if (input.hostTag === undefined || input.hostTag === true) hostTag = hostname();
  else if (input.hostTag === false) hostTag = undefined;
  else if (typeof input.hostTag === 'string' && input.hostTag !== '') hostTag = input.hostTag;
  else problem('hostTag', 'must be true, false or a non-empty string');
  if (hostTag !== undefined && !isTagText(hostTag)) {
    problem('hostTag', `${JSON.stringify(hostTag)} cannot be a tag value (no spaces or "=")`);
  }

  if (user !== undefined && (typeof user !== 'string' || user === ''))
    problem('user', 'must be a non-empty string');
  if (password !== undefined && typeof password !== 'string') problem('password', 'must be a string');
  if (password !== undefined && user === undefined) problem('password', 'is set but `user` is not');
  if (!isHttp && user !== undefined) {
    // Telnet carries them as tags, so they must survive a put line (the value is never echoed).
    if (typeof user === 'string' && !isTagText(user))
      problem('user', 'cannot be a telnet tag value (spaces or "=")');
    if (typeof password === 'string' && password !== '' && !isTagText(password)) {
      problem('password', 'cannot be a telnet tag value (spaces or "=")');
    }
    if (password === '') problem('password', 'must not be empty on telnet');
  }
  if (input.token !== undefined && (typeof input.token !== 'string' || input.token === '')) {
    problem('token', 'must be a non-empty string');
  }
  if (input.token !== undefined && !isHttp) problem('token', 'is only used with the http protocol');
  const tokenInAuthorization =
    input.tokenHeader === undefined || input.tokenHeader.toLowerCase() === 'authorization';
  if (input.token !== undefined && user !== undefined && isHttp && tokenInAuthorization) {
    problem('token', 'and user/password both want the Authorization header; set tokenHeader or drop one');
  }
  if (input.tokenHeader !== undefined && !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(String(input.tokenHeader))) {
    problem('tokenHeader', `${JSON.stringify(input.tokenHeader)} is not a valid header name`);
  }
  const headers: Record<string, string> = {};
  if (input.headers !== undefined) {
    if (typeof input.headers !== 'object' || input.headers === null) problem('headers', 'must be an object');
    else for (const [k, v] of Object.entries(input.headers)) headers[k.toLowerCase()] = String(v);
  }

  const maxQueue = integer('maxQueue', input.maxQueue, 100_000, 1);
  const maxQueueBytes = integer('maxQueueBytes', input.maxQueueBytes, 64 * 1024 * 1024, 1024);
  const dropPolicy = input.dropPolicy ?? 'drop_oldest';
  if (!['drop_oldest', 'drop_newest', 'reject'].includes(dropPolicy)) {
    problem(
      'dropPolicy',
      `must be "drop_oldest", "drop_newest" or "reject", got ${JSON.stringify(dropPolicy)}`,
    );
  }
  const highWaterMark = integer(
    'highWaterMark',
    input.highWaterMark,
    Math.max(1, Math.floor(maxQueue * 0.8)),
    1,
  );
  if (highWaterMark > maxQueue)
    problem('highWaterMark', `must be <= maxQueue (${maxQueue}), got ${highWaterMark}`);
  const mps = number('mps', input.mps, 0, 0);
  const batchSize = integer('batchSize', input.batchSize, isHttp ? 500 : 5000, 1);
  const lingerMs = number('lingerMs', input.lingerMs, isHttp ? 50 : 0, 0);
  const concurrency = integer('concurrency', input.concurrency, isHttp ? 4 : 2, 1);
  const connectTimeoutMs = number('connectTimeoutMs', input.connectTimeoutMs, 10_000, 1);
  const writeTimeoutMs = number('writeTimeoutMs', input.writeTimeoutMs, 30_000, 1);
  const requestTimeoutMs = number('requestTimeoutMs', input.requestTimeoutMs, 30_000, 1);
  const keepAliveMs = number('keepAliveMs', input.keepAliveMs, 10_000, 0);
  const hostCooldownMs = number('hostCooldownMs', input.hostCooldownMs, 30_000, 0);
  const telnetReplayMs = number('telnetReplayMs', input.telnetReplayMs, 5000, 0);
  const maxLineLength = integer('maxLineLength', input.maxLineLength, 1024, 0);
  const logIntervalMs = number('logIntervalMs', input.logIntervalMs, 10_000, 0);

  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...(input.backoff ?? {}) };
  const backoffProblem = checkBackoff(backoff);
  if (backoffProblem) problem('backoff', backoffProblem);

  if (path === undefined) path = '/api/put';
  if (typeof path !== 'string' || !path.startsWith('/'))
    problem('path', `must start with "/", got ${JSON.stringify(path)}`);
  const telnetTimestamps = input.telnetTimestamps ?? 'as-is';
  if (!['as-is', 'seconds', 'fractional'].includes(telnetTimestamps)) {
    problem(
      'telnetTimestamps',
      `must be "as-is", "seconds" or "fractional", got ${JSON.stringify(telnetTimestamps)}`,
    );
  }
  const logger = input.logger ?? silentLogger;
  if (typeof logger.warn !== 'function' || typeof logger.child !== 'function') {
    problem('logger', 'must have debug, info, warn, error and child functions (pino-compatible)');
  }

  if (errors.length > 0) {
    throw new ClientError('invalid_config', `invalid client options: ${errors.join('; ')}`);
  }

  const secrets = [password, input.token].filter((s): s is string => typeof s === 'string' && s.length > 0);
  return {
    protocol: finalProtocol,
    endpoints,
    tls,
    hostPolicy,
    hostCooldownMs,
    hostTag,
    user,
    password,
    token: input.token,
    tokenHeader: input.tokenHeader?.toLowerCase(),
    headers,
    maxQueue,
    maxQueueBytes,
    dropPolicy,
    highWaterMark,
    lowWaterMark: Math.floor(highWaterMark / 2),
    mps,
    batchSize,
    lingerMs,
    concurrency,
    connectTimeoutMs,
    writeTimeoutMs,
    requestTimeoutMs,
    keepAliveMs,
    backoff,
    path: path as string,
    details: input.details ?? true,
    gzip: input.gzip ?? false,
    telnetTimestamps,
    telnetReplayMs,
    maxLineLength,
    protocolOptions: { ...(input.protocolOptions ?? {}) },
    logger: logger.child({ component: 'otsdb-client' }),
    logIntervalMs,
    secrets,
  };

  function integer(name: string, value: number | undefined, fallback: number, min: number): number {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || value < min) {
      problem(name, `must be an integer >= ${min}, got ${String(value)}`);
      return fallback;
    }
    return value;
  }

  function number(name: string, value: number | undefined, fallback: number, min: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      problem(name, `must be a number >= ${min}, got ${String(value)}`);
      return fallback;
    }
    return value;
  }
}

/** Survives a telnet put line as a tag value: no whitespace, no `=`, not empty. */
function isTagText(value: string): boolean {
  return value !== '' && !/[\s=]/.test(value);
}
