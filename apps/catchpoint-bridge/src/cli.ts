import { parseArgs } from 'node:util';
import { type Layer, parseListen } from './config.js';

/**
 * Command line. The NS1 bridge's flags keep their meaning (`-l` listen port, `-t`/`-p` the
 * TSD, `-k`/`-s` Catchpoint REST API key and secret, `-f` file mode instead of a TSD); the
 * rest is new. Secret values are never taken as flags except `-s`, kept for compatibility
 * with a warning (any user on the host can read a process's arguments).
 */
export const HELP = `catchpoint-bridge: Catchpoint Test Data Webhook -> OpenTSDB

Usage: catchpoint-bridge [options]
       catchpoint-bridge --replay <file|-> [--replay <file>...] [options]

Receiving
  -l, --listen <[host:]port>     listen address (default 0.0.0.0:8080)
      --path <path>              webhook path; the secret may follow as /<path>/<secret> (default /)
      --health-path <path>       unauthenticated health endpoint (default /health)
      --webhook-secret-file <f>  file with the shared secret(s), one per line
                                 (or env CATCHPOINT_BRIDGE_WEBHOOK_SECRET)
      --secret-header <name>     header that may carry the secret (default x-bridge-secret)
      --allow-unauthenticated    accept pushes without a shared secret (not recommended)
      --max-body <bytes>         larger pushes get 413 (default 1048576)

Mapping
      --mode <default|ns1>       metric set: full (default) or the NS1 bridge's names
      --max-tags <n>             OpenTSDB tsd.storage.max_tags (default 8)
      --node-tags <list>         node metadata tags, by priority
                                 (default asn,city,country,region,continent,isp,network_type)
      --unknown-value <text>     tag value for missing metadata (default unknown)

Sending
  -t, --tsdb-host <host>         OpenTSDB / VictoriaMetrics host (default localhost)
  -p, --tsdb-port <port>         its port (default 4242)
      --tsdb-protocol <p>        http (/api/put) or telnet (default http)
      --tsdb-tls                 TLS to the TSD (HTTPS, or telnet over TLS)
      --tsdb-url-file <f>        file with a TSD URL, credentials allowed
                                 (http(s)://user:pass@host:port/api/put, telnet://, tls://;
                                 or env CATCHPOINT_BRIDGE_TSDB_URL); replaces -t/-p/--tsdb-protocol
      --max-queue <n>            points the sender holds; pushes get 503 near it (default 100000)
      --tsdb-batch-size <n>      points per HTTP request / telnet write (default 500 http, 5000 telnet)
  -f, --file-mode                write put lines to a file instead of a TSD
      --output <file>            file for --file-mode; - is stdout (default -)
      --replay <file|->          map recorded pushes (JSON, JSON array or one per line)
                                 from files or stdin, send them, and exit; repeatable

Catchpoint REST API (node metadata)
  -k, --key <client id>          v1 API client id (or env CATCHPOINT_CLIENT_ID)
  -s, --secret <client secret>   v1 API client secret; prefer env CATCHPOINT_CLIENT_SECRET
                                 or --client-secret-file (arguments are visible to other users)
      --client-secret-file <f>   file with the v1 client secret
      --api-key-file <f>         file with a v2 API key (or env CATCHPOINT_API_KEY)
      --api <auto|v1|v2|none>    which API to use (default auto: v1 with -k, else v2 with a key)
      --api-base-url <url>       default https://io.catchpoint.com
      --node-cache <file>        last good node list (default ./catchpoint-nodes.json)
      --refresh-interval <dur>   node list refresh (default 6h)

Operations
  -c, --config <file>            JSON config file (or env CATCHPOINT_BRIDGE_CONFIG)
      --self-metrics-interval <dur>  catchpoint.bridge.* points; 0 turns them off (default 60s)
      --shutdown-timeout <dur>   drain deadline on SIGTERM/SIGINT (default 10s)
      --log-level <level>        fatal, error, warn, info, debug, trace, silent (default info)
      --print-config             print the effective configuration (secrets redacted) and exit
  -h, --help                     this text

Precedence: command line > environment > config file > defaults.
`;

export interface CliResult {
  layer: Layer;
  configFile: string | undefined;
  help: boolean;
  printConfig: boolean;
  warnings: string[];
}

export type CliParse = { ok: true; cli: CliResult } | { ok: false; errors: string[] };

export function parseCommandLine(argv: readonly string[]): CliParse {
  let values: Record<string, string | boolean | string[] | undefined>;
  let positionals: string[];
  try {
    const r = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        config: { type: 'string', short: 'c' },
        listen: { type: 'string', short: 'l' },
        path: { type: 'string' },
        'health-path': { type: 'string' },
        'webhook-secret-file': { type: 'string' },
        'secret-header': { type: 'string' },
        'allow-unauthenticated': { type: 'boolean' },
        'max-body': { type: 'string' },
        mode: { type: 'string' },
        'max-tags': { type: 'string' },
        'node-tags': { type: 'string' },
        'unknown-value': { type: 'string' },
        'tsdb-host': { type: 'string', short: 't' },
        'tsdb-port': { type: 'string', short: 'p' },
        'tsdb-protocol': { type: 'string' },
        'tsdb-tls': { type: 'boolean' },
        'tsdb-url-file': { type: 'string' },
        'max-queue': { type: 'string' },
        'tsdb-batch-size': { type: 'string' },
        'file-mode': { type: 'boolean', short: 'f' },
        output: { type: 'string' },
        replay: { type: 'string', multiple: true },
        key: { type: 'string', short: 'k' },
        secret: { type: 'string', short: 's' },
        'client-secret-file': { type: 'string' },
        'api-key-file': { type: 'string' },
        api: { type: 'string' },
        'api-base-url': { type: 'string' },
        'node-cache': { type: 'string' },
        'refresh-interval': { type: 'string' },
        'self-metrics-interval': { type: 'string' },
        'shutdown-timeout': { type: 'string' },
        'log-level': { type: 'string' },
        'print-config': { type: 'boolean' },
      },
    });
    values = r.values as typeof values;
    positionals = r.positionals;
  } catch (err) {
    // parseArgs messages name the flag; never echo argument values (one may be a secret).
    return { ok: false, errors: [`command line: ${(err as Error).message.split('\n')[0]}`] };
  }
  if (positionals.length > 0) {
    // Not echoed: a stray argument is often a value meant for a flag, possibly a secret.
    return {
      ok: false,
      errors: [`command line: unexpected argument #${argv.indexOf(positionals[0]!) + 1}; see --help`],
    };
  }

  const warnings: string[] = [];
  const layer: Layer = {};
  const put = (section: string | undefined, key: string, value: unknown) => {
    if (value === undefined) return;
    if (section === undefined) {
      layer[key] = value;
      return;
    }
    const s = (layer[section] ??= {}) as Layer;
    s[key] = value;
  };
  const str = (name: string) => values[name] as string | undefined;

  const listen = str('listen');
  if (listen !== undefined) {
    const l = parseListen(listen);
    put('listen', 'host', l.host);
    put('listen', 'port', l.port);
  }
  put('webhook', 'path', str('path'));
  put('webhook', 'healthPath', str('health-path'));
  put('webhook', 'secretFile', str('webhook-secret-file'));
  put('webhook', 'secretHeader', str('secret-header'));
  if (values['allow-unauthenticated'] === true) put('webhook', 'allowUnauthenticated', true);
  put('webhook', 'maxBodyBytes', str('max-body'));
  put('mapping', 'mode', str('mode'));
  put('mapping', 'maxTags', str('max-tags'));
  const nodeTags = str('node-tags');
  if (nodeTags !== undefined) {
    put(
      'mapping',
      'nodeTags',
      nodeTags
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== ''),
    );
  }
  put('mapping', 'unknownValue', str('unknown-value'));

  const tsd: Layer = {};
  if (str('tsdb-host') !== undefined) tsd['host'] = str('tsdb-host');
  if (str('tsdb-port') !== undefined) tsd['port'] = str('tsdb-port');
  if (str('tsdb-protocol') !== undefined) tsd['protocol'] = str('tsdb-protocol');
  if (values['tsdb-tls'] === true) tsd['tls'] = true;
  if (str('tsdb-url-file') !== undefined) tsd['urlFile'] = str('tsdb-url-file');
  if (str('max-queue') !== undefined) tsd['maxQueue'] = str('max-queue');
  if (str('tsdb-batch-size') !== undefined) tsd['batchSize'] = str('tsdb-batch-size');
  if (Object.keys(tsd).length > 0) put('output', 'tsd', tsd);
  if (values['file-mode'] === true) put('output', 'kind', 'file');
  put('output', 'file', str('output'));
  put(undefined, 'replay', values['replay']);

  put('catchpoint', 'clientId', str('key'));
  if (str('secret') !== undefined) {
    put('catchpoint', 'clientSecret', str('secret'));
    warnings.push(
      '-s/--secret: the client secret is visible to every user of this host in the process list; use CATCHPOINT_CLIENT_SECRET or --client-secret-file',
    );
  }
  put('catchpoint', 'clientSecretFile', str('client-secret-file'));
  put('catchpoint', 'apiKeyFile', str('api-key-file'));
  put('catchpoint', 'api', str('api'));
  put('catchpoint', 'baseUrl', str('api-base-url'));
  put('catchpoint', 'cacheFile', str('node-cache'));
  put('catchpoint', 'refreshIntervalMs', str('refresh-interval'));
  const smi = str('self-metrics-interval');
  if (smi !== undefined) put('selfMetrics', 'intervalMs', smi === '0' ? 0 : smi);
  put(undefined, 'shutdownTimeoutMs', str('shutdown-timeout'));
  put(undefined, 'logLevel', str('log-level'));

  return {
    ok: true,
    cli: {
      layer,
      configFile: str('config'),
      help: values['help'] === true,
      printConfig: values['print-config'] === true,
      warnings,
    },
  };
}
