import { parseArgs } from 'node:util';
import { type Layer, layerFromSettings } from './config.js';

/** Flags that fill a setting; secrets have only `*-file` flags (argv is visible to every user). */
const FLAG_SETTINGS: ReadonlyArray<readonly [flag: string, path: string, help: string]> = [
  ['host', 'host', 'default listen address of every listener (default 127.0.0.1)'],
  ['telnet-port', 'listeners.telnet.port', 'telnet put listener port, or "off" (default 4242)'],
  ['telnet-tls-port', 'listeners.telnetTls.port', 'telnet over TLS listener port (off by default)'],
  ['http-port', 'listeners.http.port', 'HTTP API port, or "off" (default 4244)'],
  ['https-port', 'listeners.https.port', 'HTTPS API port (off by default)'],
  ['tls-cert', 'tls.cert', 'server certificate (PEM) for the TLS listeners'],
  ['tls-key', 'tls.key', 'server private key (PEM)'],
  ['tls-ca', 'tls.ca', 'CA bundle that signs client certificates'],
  ['tls-passphrase-file', 'tls.passphraseFile', 'file holding the private key passphrase'],
  ['auth', 'auth.mode', 'none | file | django | mock (default none)'],
  ['auth-file', 'auth.file.path', 'credentials file (YAML/JSON) for --auth file'],
  ['django-url', 'auth.django.url', 'postgres://user@host:port/db of the Django database (no password)'],
  ['django-password-file', 'auth.django.passwordFile', 'file holding the Django database password'],
  ['backend', 'backend.type', 'forward | local | mock | null (default forward)'],
  ['forward', 'backend.forward.targets', 'TSD URL(s), comma separated: telnet://h:4242, tls://, http(s)://'],
  ['forward-mode', 'backend.forward.mode', 'failover | shard | replicate (default failover)'],
  ['read-url', 'backend.forward.readUrl', 'http(s):// base URL of the TSD API for reads'],
  ['data-dir', 'backend.local.dataDir', 'data directory of the local backend'],
  ['mock-file', 'backend.mock.file', 'mock backend: append points to this file'],
  ['max-connections', 'limits.maxConnections', 'open connections at most (default 10000)'],
  ['max-line-length', 'limits.maxLineLength', 'longest telnet line in bytes (default 1024)'],
  ['idle-timeout', 'limits.idleTimeoutMs', 'close connections silent this long (default 5m; 0 = never)'],
  ['max-body', 'limits.maxBodyBytes', 'largest HTTP body in bytes, also decompressed (default 16 MiB)'],
  ['rate-limit', 'limits.pointsPerSecond', 'points/s per principal (default 0 = unlimited)'],
  [
    'self-metrics-interval',
    'selfMetrics.intervalMs',
    'write proxy.* metrics to the backend this often (0 = off)',
  ],
  ['shutdown-timeout', 'shutdownTimeoutMs', 'time allowed to drain on SIGTERM (default 10s)'],
  ['log-level', 'logLevel', 'fatal | error | warn | info | debug | trace | silent (default info)'],
];

export type CliResult =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; configFile: string | undefined; layer: Layer; checkOnly: boolean }
  | { kind: 'error'; message: string };

export function parseCli(argv: readonly string[]): CliResult {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    config: { type: 'string', short: 'c' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
    'check-config': { type: 'boolean' },
  };
  for (const [flag] of FLAG_SETTINGS) options[flag] = { type: 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, allowPositionals: false, strict: true }));
  } catch (error) {
    return { kind: 'error', message: (error as Error).message };
  }
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };
  const layer = layerFromSettings(FLAG_SETTINGS.map(([flag, path]) => [path, values[flag]] as const));
  return {
    kind: 'run',
    configFile: typeof values.config === 'string' ? values.config : undefined,
    layer,
    checkOnly: values['check-config'] === true,
  };
}

export function helpText(): string {
  const width = Math.max(...FLAG_SETTINGS.map(([f]) => f.length)) + 4;
  const flags = FLAG_SETTINGS.map(([flag, , help]) => `  --${flag.padEnd(width)} ${help}`).join('\n');
  return `opentsdb-proxy: a TLS and authentication gateway for OpenTSDB (telnet put and HTTP API)

Usage: opentsdb-proxy [--config proxy.yaml] [options]

  -c, --config <file>${' '.repeat(Math.max(1, width - 16))} YAML or JSON configuration (also OTSDB_PROXY_CONFIG)
      --check-config${' '.repeat(Math.max(1, width - 11))} validate the configuration and exit
  -h, --help${' '.repeat(Math.max(1, width - 3))} this text
      --version${' '.repeat(Math.max(1, width - 6))} print the version

Options (each also a config file setting; precedence: flags > environment > file > defaults):
${flags}

Secrets are never taken from the command line: the Django database password comes from
auth.django.passwordFile / --django-password-file or OTSDB_PROXY_DJANGO_PASSWORD(_FILE), the
TLS key passphrase from tls.passphraseFile or OTSDB_PROXY_TLS_PASSPHRASE(_FILE).

Environment: OTSDB_PROXY_CONFIG, OTSDB_PROXY_HOST, OTSDB_PROXY_TELNET_PORT, OTSDB_PROXY_HTTP_PORT,
OTSDB_PROXY_TELNET_TLS_PORT, OTSDB_PROXY_HTTPS_PORT, OTSDB_PROXY_TLS_CERT, OTSDB_PROXY_TLS_KEY,
OTSDB_PROXY_TLS_CA, OTSDB_PROXY_AUTH, OTSDB_PROXY_AUTH_FILE, OTSDB_PROXY_DJANGO_URL,
OTSDB_PROXY_BACKEND, OTSDB_PROXY_FORWARD, OTSDB_PROXY_FORWARD_MODE, OTSDB_PROXY_READ_URL,
OTSDB_PROXY_DATA_DIR, OTSDB_PROXY_MAX_CONNECTIONS, OTSDB_PROXY_RATE_LIMIT, OTSDB_PROXY_LOG_LEVEL.

Signals: SIGTERM/SIGINT stop gracefully (drain within --shutdown-timeout); SIGHUP reloads the
credentials file (--auth file) and the TLS certificate, key and CA (new connections get them).

Example:
  opentsdb-proxy --auth file --auth-file /etc/otsdb/credentials.yaml \\
    --telnet-tls-port 4243 --tls-cert /etc/otsdb/proxy.pem --tls-key /etc/otsdb/proxy.key \\
    --forward telnet://tsd1:4242,telnet://tsd2:4242
`;
}
