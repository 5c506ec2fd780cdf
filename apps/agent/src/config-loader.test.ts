import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, parseCommandLine, readCredentialsFile, readEnvironment } from './config-loader.js';
import { envName, helpText, OPTIONS } from './options.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const loaded = await loadConfig({ argv, env, hostname: 'h1' });
  return loaded.result;
}

describe('parseCommandLine', () => {
  it('reads tcollector flags, short and long, repeatable tags', () => {
    const cli = parseCommandLine([
      '-c',
      '/col',
      '-H',
      'tsd',
      '-p',
      '4243',
      '-t',
      'a=1',
      '--tag=b=2',
      '-d',
      '--no-builtin',
    ]);
    expect(cli).toMatchObject({
      ok: true,
      values: {
        collectorDir: '/col',
        host: 'tsd',
        port: 4243,
        tags: ['a=1', 'b=2'],
        dryRun: true,
        builtin: false,
      },
    });
  });

  it('refuses passwords on the command line, with the reason', () => {
    const cli = parseCommandLine(['--http-password', 'secret']);
    expect(cli.ok).toBe(false);
    if (!cli.ok) {
      expect(cli.errors[0]).toMatch(/^--http-password: not supported: passwords on the command line/);
      expect(cli.errors.join()).not.toContain('secret');
    }
  });

  it('reports unknown options, missing values, bad numbers and stray arguments', () => {
    const cli = parseCommandLine(['--bogus', '--port', 'x', 'extra', '--dry-run=yes']);
    expect(cli.ok).toBe(false);
    if (!cli.ok) {
      expect(cli.errors).toEqual([
        '--bogus: unknown option (see --help)',
        '--port: "x" is not an integer',
        'unexpected argument "extra" (options start with -; see --help)',
        '--dry-run: takes no value (got "yes")',
      ]);
    }
    const missing = parseCommandLine(['--host']);
    expect(missing.ok ? [] : missing.errors).toEqual(['--host: needs a value (HOST)']);
  });

  it('recognises --help and --version', () => {
    expect(parseCommandLine(['-h'])).toMatchObject({ ok: true, help: true });
    expect(parseCommandLine(['--version'])).toMatchObject({ ok: true, version: true });
  });
});

describe('layers', () => {
  it('flags > env > file > defaults, tags merged per key', async () => {
    const file = join(dir, 'agent.yaml');
    await writeFile(file, 'port: 1111\nhost: from-file\nmaxTags: 6\ntags:\n  dc: file\n  rack: r1\n');
    const result = await load(['--config', file, '-p', '3333', '-t', 'dc=cli'], {
      OTSDB_AGENT_PORT: '2222',
      OTSDB_AGENT_HOST: 'from-env',
      OTSDB_AGENT_TAGS: 'team=env',
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.sending.hosts).toEqual([{ host: 'from-env', port: 3333 }]);
    expect(result.config.lines.maxTags).toBe(6);
    expect(result.config.lines.tags).toEqual({ dc: 'cli', rack: 'r1', team: 'env', host: 'h1' });
  });

  it('reads JSON config files too', async () => {
    const file = join(dir, 'agent.json');
    await writeFile(file, JSON.stringify({ dedupInterval: 0, statusPort: 9999 }));
    const result = await load(['--config', file]);
    expect(result.ok && result.config.lines.dedupInterval).toBe(0);
    expect(result.ok && result.config.status).toEqual({ host: '127.0.0.1', port: 9999 });
  });

  it('prints config file errors as path: message', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'port: nope\nunknownKey: 1\n');
    const result = await load(['--config', file]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.some((e) => e.startsWith('port: '))).toBe(true);
    expect(result.errors.some((e) => e.includes('unknownKey'))).toBe(true);
  });

  it('refuses credentials inside the config file', async () => {
    const file = join(dir, 'c.yaml');
    await writeFile(file, 'password: hunter2\n');
    const result = await load(['--config', file]);
    expect(result.ok ? '' : result.errors[0]).toMatch(/credentials do not belong in the config file/);
  });

  it('reports an unreadable config file', async () => {
    const result = await load(['--config', join(dir, 'missing.yaml')]);
    expect(result.ok ? '' : result.errors[0]).toMatch(/^config file .*missing\.yaml: ENOENT/);
  });

  it('reports bad environment values by variable name', async () => {
    const result = await load([], { OTSDB_AGENT_MAX_TAGS: 'many' });
    expect(result.ok ? [] : result.errors).toEqual(['OTSDB_AGENT_MAX_TAGS: "many" is not an integer']);
  });

  it('reads negated options from env by their key', () => {
    expect(readEnvironment({ OTSDB_AGENT_BUILTIN: 'false', OTSDB_AGENT_SELF_STATS: '0' }).values).toEqual({
      builtin: false,
      selfStats: false,
    });
  });
});

describe('credentials', () => {
  it('reads user:password files and JSON files, and warns about loose permissions', async () => {
    const plain = join(dir, 'auth');
    await writeFile(plain, '# gateway\nagent:s3cret\n');
    await chmod(plain, 0o600);
    expect(await readCredentialsFile(plain)).toEqual({ credentials: { user: 'agent', password: 's3cret' } });

    const json = join(dir, 'auth.json');
    await writeFile(json, JSON.stringify({ user: 'u', password: 'p:w' }));
    await chmod(json, 0o644);
    const read = await readCredentialsFile(json);
    expect(read.credentials).toEqual({ user: 'u', password: 'p:w' });
    expect(read.warning).toMatch(/readable by group or others \(mode 644\)/);
  });

  it('takes OTSDB_USER / OTSDB_PASSWORD from the environment', async () => {
    const result = await load([], { OTSDB_USER: 'u', OTSDB_PASSWORD: 'p' });
    expect(result.ok && result.config.credentials).toEqual({ user: 'u', password: 'p' });
    const half = await load([], { OTSDB_USER: 'u' });
    expect(half.ok ? [] : half.errors).toEqual(['OTSDB_USER and OTSDB_PASSWORD: set both or neither']);
  });

  it('prefers --auth-file over the environment', async () => {
    const file = join(dir, 'auth');
    await writeFile(file, 'fileuser:filepass\n', { mode: 0o600 });
    const result = await load(['--auth-file', file], { OTSDB_USER: 'envuser', OTSDB_PASSWORD: 'envpass' });
    expect(result.ok && result.config.credentials).toEqual({ user: 'fileuser', password: 'filepass' });
  });

  it('reports a bad auth file without echoing its content', async () => {
    const file = join(dir, 'auth');
    await writeFile(file, 'just-a-secret-token\n', { mode: 0o600 });
    const result = await load(['--auth-file', file]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatch(/authFile: .* must hold "user:password" or JSON/);
    expect(result.errors[0]).not.toContain('just-a-secret-token');
  });
});

describe('help', () => {
  it('documents every option and its environment variable scheme', () => {
    const text = helpText('1.2.3');
    for (const spec of OPTIONS) expect(text).toContain(`--${spec.flag}`);
    expect(text).toContain('OTSDB_AGENT_<KEY>');
    expect(envName('collectorDir')).toBe('OTSDB_AGENT_COLLECTOR_DIR');
  });
});
