/**
 * The agent's command-line options: one table that drives the argument parser, the environment
 * variables, and the `--help` text, so the three never disagree. Names follow tcollector's where
 * the option means the same thing.
 */

export type OptionKind = 'string' | 'int' | 'number' | 'boolean' | 'list' | 'tags';

export interface OptionSpec {
  /** Long flag without the dashes. */
  flag: string;
  short?: string;
  /** Key in the configuration object (and the config file). */
  key: string;
  kind: OptionKind;
  /** For boolean flags that turn something off (`--no-builtin` sets `builtin: false`). */
  negate?: boolean;
  metavar?: string;
  group: string;
  help: string;
  /** Not read from the environment (e.g. `--config` itself, `--help`). */
  noEnv?: boolean;
}

export const OPTION_GROUPS = [
  'Collectors',
  'Lines',
  'Sending',
  'TLS and credentials',
  'Buffering',
  'Monitoring',
  'Process',
] as const;

export const OPTIONS: readonly OptionSpec[] = [
  // Collectors
  {
    flag: 'collector-dir',
    short: 'c',
    key: 'collectorDir',
    kind: 'string',
    metavar: 'DIR',
    group: 'Collectors',
    help: 'Directory of collectors: subdirectory 0 holds long-running ones, N holds ones run every N s.',
  },
  {
    flag: 'allowed-inactivity-time',
    key: 'allowedInactivityTime',
    kind: 'number',
    metavar: 'SEC',
    group: 'Collectors',
    help: 'Restart a long-running collector that printed nothing for this long. Default 600.',
  },
  {
    flag: 'remove-inactive-collectors',
    key: 'removeInactiveCollectors',
    kind: 'boolean',
    group: 'Collectors',
    help: 'Stop (instead of restart) long-running collectors that went silent.',
  },
  {
    flag: 'rescan-interval',
    key: 'rescanInterval',
    kind: 'number',
    metavar: 'SEC',
    group: 'Collectors',
    help: 'Rescan the collector directory this often (changes are also watched). Default 15.',
  },
  {
    flag: 'kill-grace',
    key: 'killGrace',
    kind: 'number',
    metavar: 'SEC',
    group: 'Collectors',
    help: 'Time between SIGTERM and SIGKILL when stopping a collector. Default 5.',
  },
  {
    flag: 'respawn-backoff-min',
    key: 'respawnBackoffMin',
    kind: 'number',
    metavar: 'SEC',
    group: 'Collectors',
    help: 'First delay before a long-running collector that exited is started again; doubles per quick exit. Default 1.',
  },
  {
    flag: 'respawn-backoff-max',
    key: 'respawnBackoffMax',
    kind: 'number',
    metavar: 'SEC',
    group: 'Collectors',
    help: 'Cap of the delay before a long-running collector that exited is started again. Default 60.',
  },
  {
    flag: 'dead-retry-min',
    key: 'deadRetryMin',
    kind: 'number',
    metavar: 'SEC',
    group: 'Collectors',
    help: 'First delay before a collector that failed is retried; doubles per failure. Default 10.',
  },
  {
    flag: 'dead-retry-max',
    key: 'deadRetryMax',
    kind: 'number',
    metavar: 'SEC',
    group: 'Collectors',
    help: 'Cap of the delay before a collector that failed (non-zero exit) is retried. Default 3600.',
  },
  {
    flag: 'no-builtin',
    key: 'builtin',
    kind: 'boolean',
    negate: true,
    group: 'Collectors',
    help: 'Do not run the built-in /proc collectors.',
  },
  {
    flag: 'disable-builtin',
    key: 'disableBuiltin',
    kind: 'list',
    metavar: 'A,B',
    group: 'Collectors',
    help: 'Built-in collectors not to run (comma separated, repeatable).',
  },
  {
    flag: 'builtin-interval',
    key: 'builtinInterval',
    kind: 'number',
    metavar: 'SEC',
    group: 'Collectors',
    help: "How often the built-in collectors run. Default: each one's own (tcollector's), 15 s for most.",
  },
  {
    flag: 'proc-root',
    key: 'procRoot',
    kind: 'string',
    metavar: 'DIR',
    group: 'Collectors',
    help: 'Where the built-in collectors read /proc from (e.g. /host/proc in a container). Default /proc.',
  },
  {
    flag: 'sys-root',
    key: 'sysRoot',
    kind: 'string',
    metavar: 'DIR',
    group: 'Collectors',
    help: 'Where the built-in collectors read /sys from. Default /sys.',
  },
  {
    flag: 'stdin',
    short: 's',
    key: 'stdin',
    kind: 'boolean',
    group: 'Collectors',
    help: 'Read lines from standard input instead of running collectors; send everything and exit at EOF.',
  },
  // Lines
  {
    flag: 'tag',
    short: 't',
    key: 'tags',
    kind: 'tags',
    metavar: 'K=V',
    group: 'Lines',
    help: 'Tag added to every point unless the point has it (repeatable). host=<hostname> is added unless given.',
  },
  {
    flag: 'namespace-prefix',
    key: 'namespacePrefix',
    kind: 'string',
    metavar: 'PREFIX',
    group: 'Lines',
    help: 'Prefix for every metric name (a trailing dot is added).',
  },
  {
    flag: 'max-tags',
    key: 'maxTags',
    kind: 'int',
    metavar: 'N',
    group: 'Lines',
    help: 'Most tags a point may carry, added tags included (the TSD limit). Default 8.',
  },
  {
    flag: 'dedup-interval',
    key: 'dedupInterval',
    kind: 'number',
    metavar: 'SEC',
    group: 'Lines',
    help: 'Hold back repeated values for up to this long; 0 disables dedup. Default 300.',
  },
  {
    flag: 'evict-interval',
    key: 'evictInterval',
    kind: 'number',
    metavar: 'SEC',
    group: 'Lines',
    help: 'Forget series silent for this long (must exceed --dedup-interval). Default 6000.',
  },
  {
    flag: 'dedup-max-series',
    key: 'dedupMaxSeries',
    kind: 'int',
    metavar: 'N',
    group: 'Lines',
    help: 'Most series remembered for dedup per collector (least recently seen forgotten first). Default 1000000.',
  },
  {
    flag: 'dedup-only-zero',
    key: 'dedupOnlyZero',
    kind: 'boolean',
    group: 'Lines',
    help: 'Only hold back repeated zeros.',
  },
  // Sending
  {
    flag: 'host',
    short: 'H',
    key: 'host',
    kind: 'string',
    metavar: 'HOST',
    group: 'Sending',
    help: 'TSD host. Default localhost.',
  },
  {
    flag: 'port',
    short: 'p',
    key: 'port',
    kind: 'int',
    metavar: 'PORT',
    group: 'Sending',
    help: 'TSD port. Default 4242.',
  },
  {
    flag: 'hosts-list',
    short: 'L',
    key: 'hostsList',
    kind: 'list',
    metavar: 'H:P,...',
    group: 'Sending',
    help: 'TSDs to fail over between, in order of preference (host:port, [v6]:port).',
  },
  {
    flag: 'http',
    key: 'http',
    kind: 'boolean',
    group: 'Sending',
    help: 'Send with HTTP POST to the /api/put endpoint instead of telnet put lines.',
  },
  {
    flag: 'http-api-path',
    key: 'httpApiPath',
    kind: 'string',
    metavar: 'PATH',
    group: 'Sending',
    help: 'URL path for --http. Default /api/put.',
  },
  {
    flag: 'batch-size',
    key: 'batchSize',
    kind: 'int',
    metavar: 'N',
    group: 'Sending',
    help: 'Most points in one write (HTTP request or telnet burst).',
  },
  {
    flag: 'batch-linger',
    key: 'batchLinger',
    kind: 'number',
    metavar: 'SEC',
    group: 'Sending',
    help: 'Wait up to this long for a fuller batch before writing (fewer writes, a little latency). Default 0.2.',
  },
  {
    flag: 'gzip',
    key: 'gzip',
    kind: 'boolean',
    group: 'Sending',
    help: 'Compress HTTP request bodies.',
  },
  {
    flag: 'telnet-timestamps',
    key: 'telnetTimestamps',
    kind: 'string',
    metavar: 'MODE',
    group: 'Sending',
    help: 'as-is (default) or seconds: truncate ms timestamps on telnet (VictoriaMetrics drops 13-digit ones).',
  },
  {
    flag: 'reconnect-interval',
    key: 'reconnectInterval',
    kind: 'number',
    metavar: 'SEC',
    group: 'Sending',
    help: "tcollector's periodic reconnect; accepted for compatibility and ignored (see the README).",
  },
  {
    flag: 'dry-run',
    short: 'd',
    key: 'dryRun',
    kind: 'boolean',
    group: 'Sending',
    help: 'Print the lines that would be sent to standard output; no network.',
  },
  // TLS and credentials
  {
    flag: 'ssl',
    key: 'ssl',
    kind: 'boolean',
    group: 'TLS and credentials',
    help: 'Use TLS (telnet over TLS, or HTTPS with --http).',
  },
  {
    flag: 'ca',
    key: 'ca',
    kind: 'string',
    metavar: 'FILE',
    group: 'TLS and credentials',
    help: 'PEM file of CA certificates to trust instead of the system ones.',
  },
  {
    flag: 'client-cert',
    key: 'clientCert',
    kind: 'string',
    metavar: 'FILE',
    group: 'TLS and credentials',
    help: 'PEM client certificate for mutual TLS (with --client-key).',
  },
  {
    flag: 'client-key',
    key: 'clientKey',
    kind: 'string',
    metavar: 'FILE',
    group: 'TLS and credentials',
    help: 'PEM private key of --client-cert.',
  },
  {
    flag: 'tls-server-name',
    key: 'tlsServerName',
    kind: 'string',
    metavar: 'NAME',
    group: 'TLS and credentials',
    help: 'Name to verify the TSD certificate against (default: the host).',
  },
  {
    flag: 'auth-file',
    key: 'authFile',
    kind: 'string',
    metavar: 'FILE',
    group: 'TLS and credentials',
    help: 'File with gateway credentials: "user:password" or {"user":..,"password":..}. Env: OTSDB_USER, OTSDB_PASSWORD.',
  },
  // Buffering
  {
    flag: 'max-buffer-points',
    key: 'maxBufferPoints',
    kind: 'int',
    metavar: 'N',
    group: 'Buffering',
    help: 'Most points held while the TSD is away (queued and in flight). Default 100000.',
  },
  {
    flag: 'max-buffer-bytes',
    key: 'maxBufferBytes',
    kind: 'int',
    metavar: 'BYTES',
    group: 'Buffering',
    help: 'Most bytes of encoded points queued while the TSD is away. Default 67108864 (64 MiB).',
  },
  {
    flag: 'drop-policy',
    key: 'dropPolicy',
    kind: 'string',
    metavar: 'POLICY',
    group: 'Buffering',
    help: 'When the buffer is full: drop_newest (default, tcollector) keeps what is buffered; drop_oldest keeps the latest.',
  },
  {
    flag: 'shutdown-timeout',
    key: 'shutdownTimeout',
    kind: 'number',
    metavar: 'SEC',
    group: 'Buffering',
    help: 'On SIGTERM/SIGINT, time allowed to stop collectors and deliver what is buffered. Default 10.',
  },
  // Monitoring
  {
    flag: 'no-tcollector-stats',
    key: 'selfStats',
    kind: 'boolean',
    negate: true,
    group: 'Monitoring',
    help: "Do not send the agent's own tcollector.* metrics.",
  },
  {
    flag: 'stats-interval',
    key: 'statsInterval',
    kind: 'number',
    metavar: 'SEC',
    group: 'Monitoring',
    help: 'How often self-metrics are sent and repeated warnings are logged. Default 60.',
  },
  {
    flag: 'status-port',
    key: 'statusPort',
    kind: 'int',
    metavar: 'PORT',
    group: 'Monitoring',
    help: 'Serve collector status (JSON at /, /health) on this port. Off by default.',
  },
  {
    flag: 'status-host',
    key: 'statusHost',
    kind: 'string',
    metavar: 'ADDR',
    group: 'Monitoring',
    help: 'Address of the status server. Default 127.0.0.1.',
  },
  {
    flag: 'monitoring-interface',
    key: 'monitoringInterface',
    kind: 'string',
    metavar: 'ADDR',
    group: 'Monitoring',
    help: "tcollector's name: enables the status server on this address (port --monitoring-port).",
  },
  {
    flag: 'monitoring-port',
    key: 'monitoringPort',
    kind: 'int',
    metavar: 'PORT',
    group: 'Monitoring',
    help: "tcollector's name for the status port used with --monitoring-interface. Default 13280.",
  },
  // Process
  {
    flag: 'config',
    key: 'config',
    kind: 'string',
    metavar: 'FILE',
    group: 'Process',
    help: 'JSON or YAML config file (keys as in the README). Flags > env > file > defaults.',
    noEnv: true,
  },
  {
    flag: 'log-level',
    key: 'logLevel',
    kind: 'string',
    metavar: 'LEVEL',
    group: 'Process',
    help: 'trace, debug, info, warn, error or fatal. Default info.',
  },
  {
    flag: 'verbose',
    short: 'v',
    key: 'verbose',
    kind: 'boolean',
    group: 'Process',
    help: 'Same as --log-level debug.',
  },
  {
    flag: 'logfile',
    key: 'logfile',
    kind: 'string',
    metavar: 'FILE',
    group: 'Process',
    help: 'Append JSON logs to this file instead of standard error.',
  },
  {
    flag: 'log-stdout',
    key: 'logStdout',
    kind: 'boolean',
    group: 'Process',
    help: 'Write logs to standard output instead of standard error (tcollector compatibility).',
  },
  {
    flag: 'pidfile',
    short: 'P',
    key: 'pidfile',
    kind: 'string',
    metavar: 'FILE',
    group: 'Process',
    help: 'Write the process id to this file (removed on exit).',
  },
  {
    flag: 'help',
    short: 'h',
    key: 'help',
    kind: 'boolean',
    group: 'Process',
    help: 'Show this help.',
    noEnv: true,
  },
  {
    flag: 'version',
    key: 'version',
    kind: 'boolean',
    group: 'Process',
    help: 'Print the version.',
    noEnv: true,
  },
];

/**
 * tcollector options that are deliberately not accepted, with the reason shown to whoever still
 * passes them (a silent "unknown option" would leave them guessing).
 */
export const REFUSED_OPTIONS: Readonly<Record<string, string>> = {
  'http-password':
    'passwords on the command line are visible to every user (ps); use --auth-file or OTSDB_USER/OTSDB_PASSWORD',
  'http-username': 'give the user together with the password in --auth-file or OTSDB_USER/OTSDB_PASSWORD',
  daemonize: 'run the agent under a supervisor (systemd unit in contrib/otsdb-agent.service) instead',
  D: 'run the agent under a supervisor (systemd unit in contrib/otsdb-agent.service) instead',
};

/** `OTSDB_AGENT_` + the key in upper snake case, e.g. `collectorDir` -> `OTSDB_AGENT_COLLECTOR_DIR`. */
export function envName(key: string): string {
  return `OTSDB_AGENT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

export function helpText(version: string): string {
  const out: string[] = [
    `otsdb-agent ${version}: runs tcollector-compatible collectors and built-in /proc collectors,`,
    'and sends their points to OpenTSDB (or anything speaking its protocols).',
    '',
    'Usage: otsdb-agent [options]',
    '       otsdb-agent -c /etc/otsdb-agent/collectors -H tsd.example.com -t dc=ams1',
    '       some-exporter | otsdb-agent --stdin -H tsd.example.com',
  ];
  for (const group of OPTION_GROUPS) {
    out.push('', `${group}:`);
    for (const spec of OPTIONS) {
      if (spec.group !== group) continue;
      const name =
        (spec.short ? `-${spec.short}, ` : '    ') +
        `--${spec.flag}` +
        (spec.metavar ? ` ${spec.metavar}` : '');
      const pad = name.length < 32 ? ' '.repeat(32 - name.length) : '\n' + ' '.repeat(34);
      out.push(`  ${name}${pad}${spec.help}`);
    }
  }
  out.push(
    '',
    'Every option can also be set in the environment as OTSDB_AGENT_<KEY> (e.g. OTSDB_AGENT_PORT=4242,',
    'OTSDB_AGENT_TAGS=dc=ams1,rack=r4) or in the --config file under its camelCase key (e.g. maxTags).',
    'Credentials come only from --auth-file or OTSDB_USER / OTSDB_PASSWORD, never from the command line.',
    '',
  );
  return out.join('\n');
}
