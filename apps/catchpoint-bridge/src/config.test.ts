import { describe, expect, it } from 'vitest';
import { HELP, parseCommandLine } from './cli.js';
import { loadConfig, mergeLayers, parseListen, redactConfig } from './config.js';
import { clientOptions } from './sinks.js';

const SECRET = 'webhook-secret-0123456789';

/** Config files and secret files, from memory. */
function files(map: Record<string, string>): (path: string) => Promise<string> {
  return async (path: string) => {
    const v = map[path];
    if (v === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return v;
  };
}

async function load(argv: string[], env: Record<string, string> = {}, fileMap: Record<string, string> = {}) {
  const cli = parseCommandLine(argv);
  if (!cli.ok) throw new Error(cli.errors.join('\n'));
  return loadConfig({ cli: cli.cli.layer, env, file: cli.cli.configFile, readFile: files(fileMap) });
}

describe('configuration defaults', () => {
  it('listens on 8080, maps in default mode with 8 tags, sends to localhost:4242 over HTTP', async () => {
    const r = await load([], { CATCHPOINT_BRIDGE_WEBHOOK_SECRET: SECRET });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config).toMatchObject({
      listen: { host: '0.0.0.0', port: 8080 },
      webhook: {
        path: '/',
        healthPath: '/health',
        secrets: [SECRET],
        maxBodyBytes: 1048576,
        secretHeader: 'x-bridge-secret',
      },
      mapping: {
        mode: 'default',
        maxTags: 8,
        unknownValue: 'unknown',
        nodeTags: ['asn', 'city', 'country', 'region', 'continent', 'isp', 'network_type'],
      },
      output: { kind: 'tsd', tsd: { host: 'localhost', port: 4242, protocol: 'http' } },
      catchpoint: { api: 'none', baseUrl: 'https://io.catchpoint.com', refreshIntervalMs: 21_600_000 },
      shutdownTimeoutMs: 10_000,
      logLevel: 'info',
    });
    expect(r.warnings.some((w) => w.includes('no REST API credentials'))).toBe(true);
  });

  it('refuses to start without a shared secret unless told to', async () => {
    const r = await load([]);
    expect(r).toEqual({
      ok: false,
      errors: [expect.stringMatching(/^webhook\.secrets: a shared secret is required/)],
    });
    const open = await load(['--allow-unauthenticated']);
    expect(open.ok).toBe(true);
    if (open.ok) expect(open.warnings.some((w) => w.includes('without a shared secret'))).toBe(true);
  });
});

describe('the NS1 bridge flags keep their meaning', () => {
  it('-l port, -t host, -p port, -k key, -s secret, -f file mode', async () => {
    const r = await load(
      ['-l', '9090', '-t', 'tsd.example', '-p', '4243', '-k', 'my-key', '-s', 'my-secret', '-f'],
      {
        CATCHPOINT_BRIDGE_WEBHOOK_SECRET: SECRET,
      },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.listen.port).toBe(9090);
    expect(r.config.output).toMatchObject({
      kind: 'file',
      file: '-',
      tsd: { host: 'tsd.example', port: 4243 },
    });
    expect(r.config.catchpoint).toMatchObject({ api: 'v1', clientId: 'my-key', clientSecret: 'my-secret' });
  });

  it('warns that -s puts the secret in the process list', () => {
    const cli = parseCommandLine(['-s', 'x']);
    expect(cli.ok && cli.cli.warnings[0]).toContain('process list');
  });
});

describe('precedence: command line > environment > file > defaults', () => {
  const file = JSON.stringify({
    listen: { port: 7000 },
    mapping: { mode: 'ns1', maxTags: 6 },
    output: { tsd: { host: 'from-file', port: 1111 } },
    webhook: { path: '/from-file' },
  });

  it('takes each setting from the highest layer that has it', async () => {
    const r = await load(
      ['-c', '/etc/bridge.json', '-p', '3333'],
      {
        CATCHPOINT_BRIDGE_TSDB_PORT: '2222',
        CATCHPOINT_BRIDGE_TSDB_HOST: 'from-env',
        CATCHPOINT_BRIDGE_WEBHOOK_SECRET: SECRET,
      },
      { '/etc/bridge.json': file },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.output.tsd).toMatchObject({ host: 'from-env', port: 3333 });
    expect(r.config.listen.port).toBe(7000);
    expect(r.config.mapping).toMatchObject({ mode: 'ns1', maxTags: 6 });
    expect(r.config.webhook.path).toBe('/from-file');
  });

  it('reads the file named by CATCHPOINT_BRIDGE_CONFIG', async () => {
    const r = await load(
      [],
      { CATCHPOINT_BRIDGE_CONFIG: '/c.json', CATCHPOINT_BRIDGE_WEBHOOK_SECRET: SECRET },
      { '/c.json': file },
    );
    expect(r.ok && r.config.listen.port).toBe(7000);
  });

  it('merges nested objects and replaces arrays', () => {
    expect(mergeLayers({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] } }, { a: { d: undefined } })).toEqual({
      a: { b: 1, c: [3] },
    });
  });
});

describe('secrets from files and the environment', () => {
  it('reads several webhook secrets from a file, one per line, for rotation', async () => {
    const r = await load(
      ['--webhook-secret-file', '/run/secrets/webhook'],
      {},
      {
        '/run/secrets/webhook': `# current\n${SECRET}\n\nprevious-secret-abcdefgh\n`,
      },
    );
    expect(r.ok && r.config.webhook.secrets).toEqual([SECRET, 'previous-secret-abcdefgh']);
  });

  it('reads the v1 client secret and the v2 API key from files', async () => {
    const v1 = await load(
      ['-k', 'id', '--client-secret-file', '/s'],
      { CATCHPOINT_BRIDGE_WEBHOOK_SECRET: SECRET },
      {
        '/s': 'the-client-secret\n',
      },
    );
    expect(v1.ok && v1.config.catchpoint).toMatchObject({ api: 'v1', clientSecret: 'the-client-secret' });
    const v2 = await load(
      [],
      { CATCHPOINT_API_KEY_FILE: '/k', CATCHPOINT_BRIDGE_WEBHOOK_SECRET: SECRET },
      { '/k': 'key-123\n' },
    );
    expect(v2.ok && v2.config.catchpoint).toMatchObject({ api: 'v2', apiKey: 'key-123' });
    // v2 has no continent, region or ISP: those tags are left out by default.
    expect(v2.ok && v2.config.mapping.nodeTags).toEqual(['asn', 'city', 'country', 'network_type']);
  });

  it('names an unreadable secret file without printing its content', async () => {
    const r = await load(['--webhook-secret-file', '/missing']);
    expect(r).toEqual({ ok: false, errors: ['webhook.secretFile: cannot read /missing (ENOENT)'] });
  });

  it('redacts every secret when printing the configuration', async () => {
    const r = await load(['-k', 'id', '-s', 'client-secret-value'], {
      CATCHPOINT_BRIDGE_WEBHOOK_SECRET: SECRET,
      CATCHPOINT_API_KEY: 'k',
    });
    if (!r.ok) throw new Error(r.errors.join());
    const text = JSON.stringify(redactConfig(r.config));
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('client-secret-value');
    expect(text).toContain('[redacted]');
  });
});

describe('errors are path: message lines', () => {
  it.each([
    [['--max-tags', 'many'], 'mapping.maxTags: expected a number'],
    [['--max-tags', '0'], 'mapping.maxTags: '],
    [['--mode', 'graphite'], 'mapping.mode: '],
    [['-p', '70000'], 'output.tsd.port: '],
    [['-l', 'nowhere:port'], 'listen.port: expected a number'],
    [['--refresh-interval', 'soon'], 'catchpoint.refreshIntervalMs: expected a duration'],
    [['--refresh-interval', '1s'], 'catchpoint.refreshIntervalMs: must be between'],
    [['--path', 'no-slash'], 'webhook.path: must start with /'],
    [['--api', 'v1'], 'catchpoint.clientSecret: the v1 API needs'],
    [['--api', 'v2'], 'catchpoint.apiKey: the v2 API needs'],
    [['--api-base-url', 'ftp://x'], 'catchpoint.baseUrl: '],
    [['--unknown-value', 'not known'], 'mapping.unknownValue: "not known" is not a valid OpenTSDB tag value'],
    [['--node-tags', 'city,planet'], 'mapping.nodeTags.1: '],
    [['--node-tags', 'city,city'], 'mapping.nodeTags: a tag is listed twice'],
    [['--health-path', '/'], 'webhook.healthPath: must differ from webhook.path'],
    [['--tsdb-batch-size', '0'], 'output.tsd.batchSize: '],
    [
      ['--tsdb-batch-size', '5000', '--max-queue', '4000'],
      'output.tsd.batchSize: must be at most output.tsd.maxQueue (4000)',
    ],
  ])('%j -> %s', async (argv, message) => {
    const r = await load(argv, { CATCHPOINT_BRIDGE_WEBHOOK_SECRET: SECRET });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.some((e) => e.startsWith(message))).toBe(true);
  });

  it('a short webhook secret is refused', async () => {
    const r = await load([], { CATCHPOINT_BRIDGE_WEBHOOK_SECRET: 'short' });
    expect(r).toEqual({
      ok: false,
      errors: ['webhook.secrets.0: a shared secret needs at least 16 characters'],
    });
  });

  it('a config file that is not JSON', async () => {
    const r = await load(['-c', '/x.json'], {}, { '/x.json': '{listen:' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatch(/^\/x\.json: not valid JSON/);
  });

  it('unknown flags and stray arguments, without echoing values', () => {
    expect(parseCommandLine(['--bogus'])).toEqual({
      ok: false,
      errors: [expect.stringContaining('--bogus')],
    });
    const stray = parseCommandLine(['-f', 'secret-looking-value']);
    expect(stray.ok).toBe(false);
    if (!stray.ok) expect(stray.errors.join()).not.toContain('secret-looking-value');
  });
});

describe('command line details', () => {
  it('parses listen addresses', () => {
    expect(parseListen('8080')).toEqual({ port: '8080' });
    expect(parseListen('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: '8080' });
    expect(parseListen('[::1]:8080')).toEqual({ host: '::1', port: '8080' });
  });

  it('durations, replay sources, self-metrics off', async () => {
    const r = await load(
      [
        '--refresh-interval',
        '90m',
        '--shutdown-timeout',
        '2.5s',
        '--replay',
        'a.json',
        '--replay',
        '-',
        '--self-metrics-interval',
        '0',
      ],
      {},
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.catchpoint.refreshIntervalMs).toBe(5_400_000);
    expect(r.config.shutdownTimeoutMs).toBe(2500);
    expect(r.config.replay).toEqual(['a.json', '-']);
    expect(r.config.selfMetrics.intervalMs).toBe(0);
  });

  it('passes a batch size to the client only when one is set (else the client default: 500 over HTTP)', async () => {
    const unset = await load([], { CATCHPOINT_BRIDGE_WEBHOOK_SECRET: SECRET });
    expect(unset.ok && 'batchSize' in clientOptions(unset.config)).toBe(false);
    const flag = await load(['--tsdb-batch-size', '2000'], { CATCHPOINT_BRIDGE_WEBHOOK_SECRET: SECRET });
    expect(flag.ok && clientOptions(flag.config).batchSize).toBe(2000);
    const env = await load([], {
      CATCHPOINT_BRIDGE_WEBHOOK_SECRET: SECRET,
      CATCHPOINT_BRIDGE_TSDB_BATCH_SIZE: '50',
    });
    expect(env.ok && clientOptions(env.config).batchSize).toBe(50);
  });

  it('has a help text that lists every flag it parses', () => {
    for (const flag of [
      '-l',
      '-t',
      '-p',
      '-k',
      '-s',
      '-f',
      '--replay',
      '--mode',
      '--max-tags',
      '--webhook-secret-file',
      '--tsdb-batch-size',
    ]) {
      expect(HELP).toContain(flag);
    }
    expect(parseCommandLine(['-h'])).toMatchObject({ ok: true, cli: { help: true } });
  });
});
