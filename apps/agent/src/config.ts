import { hostname } from 'node:os';
import { z } from 'zod';
import type { CollectorRunnerSettings } from './collector-runner.js';
import { BUILTIN_COLLECTOR_NAMES } from './collectors/index.js';
import type { LineSettings } from './line-pipeline.js';

/**
 * The agent's configuration in three steps (parse -> normalise -> cross-field rules). The
 * schema is what a config file and `startAgent()` accept; `resolveConfig` turns it into the
 * `AgentConfig` the components use. Durations are seconds (fractions allowed).
 */

const seconds = (what: string) => z.number({ error: `${what} must be a number of seconds` }).finite();
const positiveSeconds = (what: string) => seconds(what).gt(0, `${what} must be greater than 0`);
const port = z.number().int('must be an integer').min(1, 'must be 1..65535').max(65535, 'must be 1..65535');
const stringList = z.union([z.string(), z.array(z.string())]);

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const agentConfigSchema = z
  .object({
    collectorDir: z.string().min(1).optional(),
    allowedInactivityTime: positiveSeconds('allowedInactivityTime').default(600),
    removeInactiveCollectors: z.boolean().default(false),
    rescanInterval: positiveSeconds('rescanInterval').default(15),
    killGrace: positiveSeconds('killGrace').default(5),
    respawnBackoffMin: positiveSeconds('respawnBackoffMin').default(1),
    respawnBackoffMax: positiveSeconds('respawnBackoffMax').default(60),
    deadRetryMin: positiveSeconds('deadRetryMin').default(10),
    deadRetryMax: positiveSeconds('deadRetryMax').default(3600),
    builtin: z.boolean().default(true),
    disableBuiltin: stringList.default([]),
    builtinInterval: positiveSeconds('builtinInterval').optional(),
    procRoot: z.string().min(1).default('/proc'),
    sysRoot: z.string().min(1).default('/sys'),
    stdin: z.boolean().default(false),

    tags: z.union([z.record(z.string(), z.string()), z.array(z.string())]).default({}),
    namespacePrefix: z.string().default(''),
    maxTags: z.number().int('must be an integer').min(1).max(64).default(8),
    dedupInterval: seconds('dedupInterval').min(0, 'must be >= 0 (0 disables dedup)').default(300),
    evictInterval: positiveSeconds('evictInterval').default(6000),
    dedupOnlyZero: z.boolean().default(false),
    dedupMaxSeries: z
      .number()
      .int()
      .min(1)
      .max(2 ** 30)
      .default(1_000_000),

    host: z.string().min(1).default('localhost'),
    port: port.default(4242),
    hostsList: stringList.optional(),
    http: z.boolean().default(false),
    httpApiPath: z.string().min(1).default('/api/put'),
    batchSize: z.number().int().min(1).max(1_000_000).optional(),
    gzip: z.boolean().default(false),
    batchLinger: seconds('batchLinger').min(0).max(60).default(0.2),
    telnetTimestamps: z.enum(['as-is', 'seconds']).default('as-is'),
    dryRun: z.boolean().default(false),
    reconnectInterval: seconds('reconnectInterval').min(0).default(0),

    ssl: z.boolean().default(false),
    ca: z.string().min(1).optional(),
    clientCert: z.string().min(1).optional(),
    clientKey: z.string().min(1).optional(),
    tlsServerName: z.string().min(1).optional(),
    authFile: z.string().min(1).optional(),

    maxBufferPoints: z.number().int().min(1).default(100_000),
    dropPolicy: z.enum(['drop_newest', 'drop_oldest']).default('drop_newest'),
    maxBufferBytes: z
      .number()
      .int()
      .min(1024)
      .default(64 * 1024 * 1024),
    shutdownTimeout: positiveSeconds('shutdownTimeout').default(10),

    selfStats: z.boolean().default(true),
    statsInterval: positiveSeconds('statsInterval').default(60),
    statusPort: z.number().int().min(0).max(65535).optional(),
    statusHost: z.string().min(1).default('127.0.0.1'),
    monitoringInterface: z.string().min(1).optional(),
    monitoringPort: port.default(13280),

    logLevel: z.enum(LOG_LEVELS).optional(),
    verbose: z.boolean().default(false),
    logfile: z.string().min(1).optional(),
    logStdout: z.boolean().default(false),
    pidfile: z.string().min(1).optional(),
  })
  .strict();

/** What a config file holds and what `startAgent()` accepts (plus `credentials`). */
export type AgentConfigInput = z.input<typeof agentConfigSchema> & { credentials?: Credentials | undefined };

export interface Credentials {
  user: string;
  password: string;
}

export interface Endpoint {
  host: string;
  port: number;
}

export interface AgentConfig {
  collectorDir: string | undefined;
  stdin: boolean;
  runner: CollectorRunnerSettings;
  builtin: {
    enabled: boolean;
    disabled: string[];
    /** Overrides every built-in collector's own interval (tcollector's, 15 s for most). */
    intervalSeconds: number | undefined;
    procRoot: string;
    sysRoot: string;
  };
  lines: LineSettings;
  sending: {
    hosts: Endpoint[];
    http: boolean;
    httpApiPath: string;
    batchSize: number | undefined;
    batchLingerMs: number;
    gzip: boolean;
    telnetTimestamps: 'as-is' | 'seconds';
    dryRun: boolean;
    ssl: boolean;
    ca: string | undefined;
    clientCert: string | undefined;
    clientKey: string | undefined;
    tlsServerName: string | undefined;
    maxBufferPoints: number;
    maxBufferBytes: number;
    dropPolicy: 'drop_newest' | 'drop_oldest';
  };
  credentials: Credentials | undefined;
  /** Where credentials should be read from when `credentials` is not given directly. */
  authFile: string | undefined;
  shutdownTimeoutMs: number;
  selfStats: boolean;
  statsIntervalMs: number;
  status: { host: string; port: number } | undefined;
  logLevel: LogLevel;
  logfile: string | undefined;
  logStdout: boolean;
  pidfile: string | undefined;
}

export type ConfigResult =
  | { ok: true; config: AgentConfig; warnings: string[] }
  | { ok: false; errors: string[] };

/** OpenTSDB's name rule (`Tags.validateString`): letters, digits, `-`, `_`, `.`, `/`. */
const NAME = /^[-_./\p{L}\p{Nd}]+$/u;
export const DEFAULT_TSD_PORT = 4242;

export function formatIssues(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const path = prefix + issue.path.map(String).join('.');
    return `${path || '(config)'}: ${issue.message}`;
  });
}

/** Validates and normalises a configuration object (file contents merged with env and flags). */
export function resolveConfig(input: AgentConfigInput, localHostname: string = hostname()): ConfigResult {
  const { credentials, ...rest } = input;
  const parsed = agentConfigSchema.safeParse(rest);
  if (!parsed.success) return { ok: false, errors: formatIssues(parsed.error) };
  const c = parsed.data;
  const errors: string[] = [];
  const warnings: string[] = [];

  if (c.dedupInterval > 0 && c.evictInterval <= c.dedupInterval) {
    errors.push(
      `evictInterval: ${c.evictInterval} must be greater than dedupInterval (${c.dedupInterval}), as in tcollector`,
    );
  }
  if (c.respawnBackoffMax < c.respawnBackoffMin) {
    errors.push(
      `respawnBackoffMax: ${c.respawnBackoffMax} must be >= respawnBackoffMin (${c.respawnBackoffMin})`,
    );
  }
  if (c.deadRetryMax < c.deadRetryMin) {
    errors.push(`deadRetryMax: ${c.deadRetryMax} must be >= deadRetryMin (${c.deadRetryMin})`);
  }
  if ((c.clientCert === undefined) !== (c.clientKey === undefined)) {
    errors.push(
      `${c.clientCert === undefined ? 'clientCert' : 'clientKey'}: clientCert and clientKey go together`,
    );
  }
  if (!c.ssl && (c.ca !== undefined || c.clientCert !== undefined || c.tlsServerName !== undefined)) {
    errors.push('ssl: ca, clientCert, clientKey and tlsServerName need ssl to be enabled');
  }
  if (credentials !== undefined) {
    const problem = credentialsProblem(credentials);
    if (problem !== undefined) errors.push(`credentials: ${problem}`);
  }

  const tags = normaliseTags(c.tags, errors);
  if (!('host' in tags) && !c.stdin) tags['host'] = localHostname;
  if (Object.keys(tags).length > c.maxTags) {
    errors.push(`tags: ${Object.keys(tags).length} tags (host included) exceed maxTags (${c.maxTags})`);
  }

  let prefix = c.namespacePrefix;
  if (prefix !== '' && !prefix.endsWith('.')) prefix += '.';
  if (prefix !== '' && !NAME.test(prefix)) {
    errors.push(`namespacePrefix: "${c.namespacePrefix}" may only hold letters, digits and - _ . /`);
  }

  const hosts = resolveHosts(c.hostsList, c.host, c.port, errors);

  let httpApiPath = c.httpApiPath;
  if (!httpApiPath.startsWith('/')) httpApiPath = `/${httpApiPath}`;

  let status: { host: string; port: number } | undefined;
  if (c.statusPort !== undefined) status = { host: c.statusHost, port: c.statusPort };
  else if (c.monitoringInterface !== undefined)
    status = { host: c.monitoringInterface, port: c.monitoringPort };
  if (status !== undefined && !isLoopback(status.host)) {
    warnings.push(
      `status server listens on ${status.host}, not loopback: anyone who can reach it sees collector names`,
    );
  }

  if (c.stdin && c.collectorDir !== undefined) warnings.push('collectorDir: ignored with stdin');
  if (c.reconnectInterval > 0) {
    warnings.push(
      'reconnectInterval: ignored; connections are kept while they work and re-made on failure (use --hosts-list or a load balancer to spread load)',
    );
  }
  const disabled = (typeof c.disableBuiltin === 'string' ? [c.disableBuiltin] : c.disableBuiltin)
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const name of disabled) {
    if (!(BUILTIN_COLLECTOR_NAMES as readonly string[]).includes(name)) {
      errors.push(
        `disableBuiltin: no built-in collector named "${name}"; they are ${BUILTIN_COLLECTOR_NAMES.join(', ')}`,
      );
    }
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    warnings,
    config: {
      collectorDir: c.stdin ? undefined : c.collectorDir,
      stdin: c.stdin,
      runner: {
        allowedInactivityMs: c.allowedInactivityTime * 1000,
        removeInactiveCollectors: c.removeInactiveCollectors,
        rescanMs: c.rescanInterval * 1000,
        killGraceMs: c.killGrace * 1000,
        respawnBackoffMinMs: c.respawnBackoffMin * 1000,
        respawnBackoffMaxMs: c.respawnBackoffMax * 1000,
        deadRetryMinMs: c.deadRetryMin * 1000,
        deadRetryMaxMs: c.deadRetryMax * 1000,
      },
      builtin: {
        enabled: c.builtin && !c.stdin,
        disabled,
        intervalSeconds: c.builtinInterval,
        procRoot: c.procRoot,
        sysRoot: c.sysRoot,
      },
      lines: {
        tags,
        namespacePrefix: prefix,
        maxTags: c.maxTags,
        dedupInterval: c.dedupInterval,
        evictInterval: c.evictInterval,
        dedupOnlyZero: c.dedupOnlyZero,
        dedupMaxSeries: c.dedupMaxSeries,
      },
      sending: {
        hosts,
        http: c.http,
        httpApiPath,
        batchSize: c.batchSize,
        batchLingerMs: c.batchLinger * 1000,
        gzip: c.gzip,
        telnetTimestamps: c.telnetTimestamps,
        dryRun: c.dryRun,
        ssl: c.ssl,
        ca: c.ca,
        clientCert: c.clientCert,
        clientKey: c.clientKey,
        tlsServerName: c.tlsServerName,
        maxBufferPoints: c.maxBufferPoints,
        maxBufferBytes: c.maxBufferBytes,
        dropPolicy: c.dropPolicy,
      },
      credentials,
      authFile: c.authFile,
      shutdownTimeoutMs: c.shutdownTimeout * 1000,
      selfStats: c.selfStats,
      statsIntervalMs: c.statsInterval * 1000,
      status,
      logLevel: c.logLevel ?? (c.verbose ? 'debug' : 'info'),
      logfile: c.logfile,
      logStdout: c.logStdout,
      pidfile: c.pidfile,
    },
  };
}

function normaliseTags(raw: Record<string, string> | string[], errors: string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  const entries: [string, string][] = [];
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const eq = item.indexOf('=');
      if (eq <= 0) {
        errors.push(`tags: "${item}" is not key=value`);
        continue;
      }
      const key = item.slice(0, eq);
      if (entries.some(([k]) => k === key)) {
        errors.push(`tags: "${key}" is given twice`);
        continue;
      }
      entries.push([key, item.slice(eq + 1)]);
    }
  } else {
    entries.push(...Object.entries(raw));
  }
  for (const [key, value] of entries) {
    if (!NAME.test(key)) {
      errors.push(`tags.${key}: tag key "${key}" may only hold letters, digits and - _ . /`);
    } else if (!NAME.test(value)) {
      errors.push(`tags.${key}: tag value "${value}" may only hold letters, digits and - _ . /`);
    } else {
      tags[key] = value;
    }
  }
  return tags;
}

/**
 * tcollector's rule: with a hosts list, `--host`/`--port` are appended when either differs
 * from its default. Unlike tcollector the order is kept (first = preferred), not shuffled.
 */
function resolveHosts(
  list: string | string[] | undefined,
  host: string,
  port: number,
  errors: string[],
): Endpoint[] {
  if (list === undefined) return [{ host, port }];
  const items = (typeof list === 'string' ? [list] : list)
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const hosts: Endpoint[] = [];
  for (const item of items) {
    const parsed = parseHostPort(item);
    if (typeof parsed === 'string') errors.push(`hostsList: ${parsed}`);
    else hosts.push(parsed);
  }
  if (host !== 'localhost' || port !== DEFAULT_TSD_PORT) hosts.push({ host, port });
  if (hosts.length === 0 && errors.length === 0) errors.push('hostsList: no host:port given');
  return hosts;
}

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address. Returns an error message when invalid. */
export function parseHostPort(text: string): Endpoint | string {
  let host = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return `"${text}": missing "]"`;
    host = text.slice(1, close);
    const after = text.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return `"${text}": expected ":port" after "]"`;
      portText = after.slice(1);
    }
  } else {
    const colons = text.split(':').length - 1;
    if (colons === 1) {
      const at = text.indexOf(':');
      host = text.slice(0, at);
      portText = text.slice(at + 1);
    }
  }
  if (host === '') return `"${text}": empty host`;
  if (portText === undefined) return { host, port: DEFAULT_TSD_PORT };
  const portNumber = /^\d+$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(portNumber >= 1 && portNumber <= 65535)) return `"${text}": port must be 1..65535`;
  return { host, port: portNumber };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Why credentials cannot be used, if they cannot. They travel as tag values on telnet. */
export function credentialsProblem(credentials: Credentials): string | undefined {
  if (credentials.user === '') return 'user is empty';
  if (credentials.password === '') return 'password is empty';
  if (/[\s]/.test(credentials.user) || /[\s]/.test(credentials.password)) {
    return 'user and password may not contain whitespace';
  }
  return undefined;
}
