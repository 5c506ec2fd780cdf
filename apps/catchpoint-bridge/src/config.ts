import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { z } from 'zod';
import { ALL_NODE_TAGS, NODE_TAGS, type NodeTag, V2_NODE_TAGS } from './mapping-options.js';
import { sanitizeTagValue } from './opentsdb-names.js';

/**
 * Configuration, validated in steps (parse -> normalise -> cross-field rules), from four
 * layers: command line > environment > JSON file > defaults. Errors come back as
 * `path: message` lines, never as exceptions. Secrets (the webhook's shared secret, the
 * Catchpoint client secret or API key) come from the environment or from files; they are
 * kept out of everything the bridge logs or prints.
 */

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `1500`, `"1500"`, `"30s"`, `"10m"`, `"6h"` -> milliseconds. */
function duration(min: number, max: number) {
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
    if (!Number.isFinite(ms) || ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `must be between ${min} ms and ${max} ms; got ${ms} ms` });
      return z.NEVER;
    }
    return Math.round(ms);
  });
}

const intFrom = (min: number, max: number) =>
  z.coerce.number({ error: 'expected a number' }).int('expected an integer').min(min).max(max);
const port = intFrom(0, 65535);
const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => (typeof v === 'boolean' ? v : v === 'true' || v === '1' || v === 'yes'));

const nodeTag = z.enum(Object.keys(NODE_TAGS) as [NodeTag, ...NodeTag[]]);

const schema = z.object({
  listen: z
    .object({
      host: z.string().min(1).default('0.0.0.0'),
      port: port.default(8080),
    })
    .prefault({}),
  webhook: z
    .object({
      path: z.string().startsWith('/', 'must start with /').default('/'),
      healthPath: z.string().startsWith('/', 'must start with /').default('/health'),
      secrets: z
        .array(z.string().min(16, 'a shared secret needs at least 16 characters').max(1024))
        .default([]),
      secretHeader: z
        .string()
        .regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name')
        .default('x-bridge-secret'),
      allowUnauthenticated: bool.default(false),
      maxBodyBytes: intFrom(1024, 64 * 1024 * 1024).default(1024 * 1024),
      requestTimeoutMs: duration(1000, 600_000).default(30_000),
      maxConnections: intFrom(1, 1_000_000).default(1024),
      retryAfterSeconds: intFrom(1, 3600).default(60),
    })
    .prefault({}),
  mapping: z
    .object({
      mode: z.enum(['default', 'ns1']).default('default'),
      maxTags: intFrom(1, 255).default(8),
      nodeTags: z.array(nodeTag).optional(),
      unknownValue: z.string().min(1).max(64).default('unknown'),
      extraChars: z.string().max(64).default(''),
      maxPointsPerPush: intFrom(1, 100_000).default(500),
    })
    .prefault({}),
  output: z
    .object({
      kind: z.enum(['tsd', 'file', 'null']).default('tsd'),
      file: z.string().min(1).default('-'),
      tsd: z
        .object({
          host: z.string().min(1).default('localhost'),
          port: port.default(4242),
          protocol: z.enum(['http', 'telnet']).default('http'),
          tls: bool.default(false),
          /** HTTP put path. */
          path: z.string().startsWith('/', 'must start with /').default('/api/put'),
          /**
           * Instead of host/port/protocol: `http(s)://user:pass@host:port/api/put`,
           * `telnet://host:port`, `tls://host:port`. May hold credentials: env or file only.
           */
          url: z.string().min(1).optional(),
          /** Points the sender holds at most; pushes get 503 when it is nearly full. */
          maxQueue: intFrom(1000, 10_000_000).default(100_000),
          /**
           * Points per HTTP request / telnet write. Default @otsdb/client's: 500 over HTTP,
           * 5000 over telnet. VictoriaMetrics takes larger HTTP batches for less CPU; OpenTSDB
           * needs `tsd.http.request.enable_chunked` and a `max_chunk` above the body size.
           */
          batchSize: intFrom(1, 100_000).optional(),
          /** Telnet only: how millisecond timestamps are written (see @otsdb/client). */
          telnetTimestamps: z.enum(['as-is', 'seconds', 'fractional']).default('as-is'),
        })
        .prefault({}),
    })
    .prefault({}),
  catchpoint: z
    .object({
      api: z.enum(['auto', 'v1', 'v2', 'none']).default('auto'),
      baseUrl: z
        .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
        .default('https://io.catchpoint.com'),
      clientId: z.string().min(1).optional(),
      clientSecret: z.string().min(1).optional(),
      apiKey: z.string().min(1).optional(),
      refreshIntervalMs: duration(60_000, 7 * 86_400_000).default(6 * 3_600_000),
      jitter: z.coerce.number().min(0).max(0.5).default(0.1),
      unknownRefreshMinIntervalMs: duration(1000, 86_400_000).default(10 * 60_000),
      timeoutMs: duration(1000, 300_000).default(30_000),
      pageSize: intFrom(1, 10_000).default(500),
      cacheFile: z.string().default('catchpoint-nodes.json'),
    })
    .prefault({}),
  selfMetrics: z
    .object({
      /** 0 turns them off. */
      intervalMs: z.union([z.literal(0), duration(1000, 86_400_000)]).default(60_000),
      host: z.string().min(1).default(hostname()),
    })
    .prefault({}),
  shutdownTimeoutMs: duration(100, 600_000).default(10_000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  replay: z.array(z.string().min(1)).default([]),
});

export type BridgeConfigInput = z.input<typeof schema>;
type Parsed = z.output<typeof schema>;

export interface BridgeConfig extends Omit<Parsed, 'catchpoint' | 'mapping'> {
  catchpoint: Omit<Parsed['catchpoint'], 'api'> & { api: 'v1' | 'v2' | 'none' };
  mapping: Omit<Parsed['mapping'], 'nodeTags'> & { nodeTags: NodeTag[] };
}

export type ConfigResult =
  | { ok: true; config: BridgeConfig; warnings: string[] }
  | { ok: false; errors: string[] };

/** Nested plain objects; later layers win key by key, arrays are replaced whole. */
export type Layer = Record<string, unknown>;

function isPlain(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function mergeLayers(...layers: Layer[]): Layer {
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

function set(layer: Layer, path: string, value: unknown): void {
  if (value === undefined) return;
  const keys = path.split('.');
  let cur = layer;
  for (const k of keys.slice(0, -1)) {
    if (!isPlain(cur[k])) cur[k] = {};
    cur = cur[k] as Layer;
  }
  cur[keys[keys.length - 1]!] = value;
}

/** `8080`, `127.0.0.1:8080`, `[::1]:8080` -> {host?, port}. */
export function parseListen(value: string): { host?: string; port: string } {
  const v = value.trim();
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(v);
  if (bracket) return { host: bracket[1]!, port: bracket[2]! };
  const colon = v.lastIndexOf(':');
  if (colon > 0 && v.indexOf(':') === colon) return { host: v.slice(0, colon), port: v.slice(colon + 1) };
  return { port: v };
}

/** Environment variables the bridge reads, and the setting each one fills. */
export const ENV_SETTINGS: Record<string, string> = {
  CATCHPOINT_BRIDGE_PATH: 'webhook.path',
  CATCHPOINT_BRIDGE_SECRET_HEADER: 'webhook.secretHeader',
  CATCHPOINT_BRIDGE_ALLOW_UNAUTHENTICATED: 'webhook.allowUnauthenticated',
  CATCHPOINT_BRIDGE_MAX_BODY_BYTES: 'webhook.maxBodyBytes',
  CATCHPOINT_BRIDGE_MODE: 'mapping.mode',
  CATCHPOINT_BRIDGE_MAX_TAGS: 'mapping.maxTags',
  CATCHPOINT_BRIDGE_OUTPUT: 'output.kind',
  CATCHPOINT_BRIDGE_OUTPUT_FILE: 'output.file',
  CATCHPOINT_BRIDGE_TSDB_HOST: 'output.tsd.host',
  CATCHPOINT_BRIDGE_TSDB_PORT: 'output.tsd.port',
  CATCHPOINT_BRIDGE_TSDB_PROTOCOL: 'output.tsd.protocol',
  CATCHPOINT_BRIDGE_TSDB_TLS: 'output.tsd.tls',
  CATCHPOINT_BRIDGE_TSDB_URL: 'output.tsd.url',
  CATCHPOINT_BRIDGE_MAX_QUEUE: 'output.tsd.maxQueue',
  CATCHPOINT_BRIDGE_TSDB_BATCH_SIZE: 'output.tsd.batchSize',
  CATCHPOINT_BRIDGE_NODE_CACHE: 'catchpoint.cacheFile',
  CATCHPOINT_BRIDGE_LOG_LEVEL: 'logLevel',
  CATCHPOINT_API: 'catchpoint.api',
  CATCHPOINT_API_BASE_URL: 'catchpoint.baseUrl',
  CATCHPOINT_CLIENT_ID: 'catchpoint.clientId',
  CATCHPOINT_CLIENT_SECRET: 'catchpoint.clientSecret',
  CATCHPOINT_API_KEY: 'catchpoint.apiKey',
};

/** Files holding secrets, by environment variable, and the setting each fills. */
const ENV_SECRET_FILES: Record<string, string> = {
  CATCHPOINT_BRIDGE_WEBHOOK_SECRET_FILE: 'webhook.secretFile',
  CATCHPOINT_CLIENT_SECRET_FILE: 'catchpoint.clientSecretFile',
  CATCHPOINT_API_KEY_FILE: 'catchpoint.apiKeyFile',
  CATCHPOINT_BRIDGE_TSDB_URL_FILE: 'output.tsd.urlFile',
};

export function envLayer(env: NodeJS.ProcessEnv): Layer {
  const layer: Layer = {};
  for (const [name, path] of Object.entries(ENV_SETTINGS)) {
    const v = env[name];
    if (v !== undefined && v !== '') set(layer, path, v);
  }
  for (const [name, path] of Object.entries(ENV_SECRET_FILES)) {
    const v = env[name];
    if (v !== undefined && v !== '') set(layer, path, v);
  }
  const listen = env['CATCHPOINT_BRIDGE_LISTEN'];
  if (listen) {
    const l = parseListen(listen);
    set(layer, 'listen.host', l.host);
    set(layer, 'listen.port', l.port);
  }
  const secret = env['CATCHPOINT_BRIDGE_WEBHOOK_SECRET'];
  if (secret) set(layer, 'webhook.secrets', [secret]);
  return layer;
}

type ReadText = (path: string) => Promise<string>;
const readText: ReadText = (path) => readFile(path, 'utf8');

/**
 * Replaces `*File` settings by the secrets they point at. The webhook secret file may hold
 * several secrets, one per line (rotation); blank lines and `#` comments are ignored.
 */
async function resolveSecretFiles(layer: Layer, errors: string[], read: ReadText): Promise<void> {
  const take = async (section: string, fileKey: string, onText: (text: string) => void) => {
    const s = layer[section];
    if (!isPlain(s) || s[fileKey] === undefined) return;
    const file = s[fileKey];
    delete s[fileKey];
    if (typeof file !== 'string' || file === '') {
      errors.push(`${section}.${fileKey}: expected a file path`);
      return;
    }
    try {
      onText(await read(file));
    } catch (err) {
      errors.push(
        `${section}.${fileKey}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  };
  await take('webhook', 'secretFile', (text) => {
    const secrets = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    (layer['webhook'] as Layer)['secrets'] = secrets;
  });
  await take('catchpoint', 'clientSecretFile', (text) => {
    (layer['catchpoint'] as Layer)['clientSecret'] = text.trim();
  });
  await take('catchpoint', 'apiKeyFile', (text) => {
    (layer['catchpoint'] as Layer)['apiKey'] = text.trim();
  });
  const output = layer['output'];
  if (isPlain(output) && isPlain(output['tsd']) && output['tsd']['urlFile'] !== undefined) {
    const tsd = output['tsd'];
    const file = tsd['urlFile'];
    delete tsd['urlFile'];
    if (typeof file !== 'string' || file === '') errors.push('output.tsd.urlFile: expected a file path');
    else {
      try {
        tsd['url'] = (await read(file)).trim();
      } catch (err) {
        errors.push(
          `output.tsd.urlFile: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
    }
  }
}

export interface LoadConfigInput {
  /** Layer from the command line (see cli.ts). */
  cli?: Layer;
  env?: NodeJS.ProcessEnv;
  /** JSON config file; `CATCHPOINT_BRIDGE_CONFIG` when not given. */
  file?: string | undefined;
  readFile?: ReadText;
}

export async function loadConfig(input: LoadConfigInput = {}): Promise<ConfigResult> {
  const env = input.env ?? {};
  const read = input.readFile ?? readText;
  const errors: string[] = [];
  const warnings: string[] = [];

  let fileLayer: Layer = {};
  const file = input.file ?? env['CATCHPOINT_BRIDGE_CONFIG'];
  if (file !== undefined && file !== '') {
    try {
      const parsed: unknown = JSON.parse(await read(file));
      if (!isPlain(parsed)) errors.push(`${file}: expected a JSON object`);
      else fileLayer = parsed;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      errors.push(e.code ? `${file}: cannot read (${e.code})` : `${file}: not valid JSON (${e.message})`);
    }
  }

  // Each layer resolves its own secret files, so a file named on the command line beats an
  // inline secret from the config file, and vice versa.
  const layers = [fileLayer, envLayer(env), input.cli ?? {}];
  for (const layer of layers) await resolveSecretFiles(layer, errors, read);
  if (errors.length > 0) return { ok: false, errors };

  const merged = mergeLayers(...layers);
  const r = schema.safeParse(merged);
  if (!r.success) {
    return {
      ok: false,
      errors: r.error.issues.map((i) => `${i.path.map(String).join('.') || '(config)'}: ${i.message}`),
    };
  }
  return crossCheck(r.data, warnings);
}

function crossCheck(c: Parsed, warnings: string[]): ConfigResult {
  const errors: string[] = [];
  if (c.webhook.secrets.length === 0 && !c.webhook.allowUnauthenticated && c.replay.length === 0) {
    errors.push(
      'webhook.secrets: a shared secret is required (CATCHPOINT_BRIDGE_WEBHOOK_SECRET or --webhook-secret-file); ' +
        'pass --allow-unauthenticated to accept pushes from anyone',
    );
  }
  if (c.webhook.allowUnauthenticated && c.webhook.secrets.length === 0) {
    warnings.push(
      'webhook: accepting pushes without a shared secret; anyone who can reach the port can write points',
    );
  }
  if (c.webhook.path === c.webhook.healthPath) {
    errors.push('webhook.healthPath: must differ from webhook.path');
  }

  let api: 'v1' | 'v2' | 'none';
  const hasV1 = c.catchpoint.clientId !== undefined && c.catchpoint.clientSecret !== undefined;
  const hasV2 = c.catchpoint.apiKey !== undefined;
  if (c.catchpoint.api === 'auto') api = hasV1 ? 'v1' : hasV2 ? 'v2' : 'none';
  else api = c.catchpoint.api;
  if (api === 'v1' && !hasV1) {
    errors.push(
      'catchpoint.clientSecret: the v1 API needs a client id (-k, CATCHPOINT_CLIENT_ID) and a client secret (CATCHPOINT_CLIENT_SECRET or --client-secret-file)',
    );
  }
  if (api === 'v2' && !hasV2) {
    errors.push('catchpoint.apiKey: the v2 API needs an API key (CATCHPOINT_API_KEY or --api-key-file)');
  }
  if (c.catchpoint.clientId !== undefined && c.catchpoint.clientSecret === undefined && api !== 'v2') {
    warnings.push(
      'catchpoint: a client id without a client secret; node metadata will come from the cache only',
    );
  }
  if (api === 'none') {
    warnings.push(
      'catchpoint: no REST API credentials; node metadata comes from the cache file only (else `unknown`)',
    );
  }

  if (c.output.tsd.maxQueue < 4 * (c.mapping.maxPointsPerPush + 64)) {
    errors.push(
      `output.tsd.maxQueue: must hold at least four pushes of mapping.maxPointsPerPush (${c.mapping.maxPointsPerPush}) points`,
    );
  }
  if (c.output.tsd.batchSize !== undefined && c.output.tsd.batchSize > c.output.tsd.maxQueue) {
    errors.push(`output.tsd.batchSize: must be at most output.tsd.maxQueue (${c.output.tsd.maxQueue})`);
  }
  if (sanitizeTagValue(c.mapping.unknownValue, c.mapping.extraChars) !== c.mapping.unknownValue) {
    errors.push(
      `mapping.unknownValue: ${JSON.stringify(c.mapping.unknownValue)} is not a valid OpenTSDB tag value`,
    );
  }
  const nodeTags = c.mapping.nodeTags ?? (api === 'v2' ? V2_NODE_TAGS : ALL_NODE_TAGS);
  if (new Set(nodeTags).size !== nodeTags.length) errors.push('mapping.nodeTags: a tag is listed twice');
  if (c.mapping.mode === 'ns1' && c.mapping.maxTags < 3) {
    warnings.push('mapping.maxTags: the ns1 metric set uses 3 tags; points will lose their status tag');
  }
  if (c.mapping.mode === 'default' && c.mapping.maxTags < 3) {
    warnings.push('mapping.maxTags: below 3, points lose test_id or node_id (tags are dropped last first)');
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    config: {
      ...c,
      catchpoint: { ...c.catchpoint, api },
      mapping: { ...c.mapping, nodeTags: [...nodeTags] },
    },
    warnings,
  };
}

/** `scheme://user:pass@host` -> `scheme://[redacted]@host`; anything unparsable is hidden whole. */
function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '' && u.search === '') return url;
    return `${u.protocol}//${u.username || u.password ? '[redacted]@' : ''}${u.host}${u.pathname}${u.search ? '?[redacted]' : ''}`;
  } catch {
    return '[redacted]';
  }
}

/** The configuration with every secret replaced by `[redacted]`, for `--print-config` and logs. */
export function redactConfig(config: BridgeConfig): unknown {
  return {
    ...config,
    output: { ...config.output, tsd: { ...config.output.tsd, url: redactUrl(config.output.tsd.url) } },
    webhook: { ...config.webhook, secrets: config.webhook.secrets.map(() => '[redacted]') },
    catchpoint: {
      ...config.catchpoint,
      clientSecret: config.catchpoint.clientSecret === undefined ? undefined : '[redacted]',
      apiKey: config.catchpoint.apiKey === undefined ? undefined : '[redacted]',
    },
  };
}
