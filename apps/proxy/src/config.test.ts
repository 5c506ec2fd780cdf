import { describe, expect, it } from 'vitest';
import { envLayer, loadConfig, parseConfig, resolveConfig } from './config.js';

const forward = { backend: { forward: { targets: ['telnet://tsd:4242'] } } };

function files(map: Record<string, string>) {
  return async (path: string) => {
    const text = map[path];
    if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
    return text;
  };
}

describe('parseConfig', () => {
  it('fills defaults: loopback listeners, auth none, forward backend', () => {
    const r = parseConfig(forward);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c = r.config;
    expect(c.listeners.telnet).toEqual({ enabled: true, host: '127.0.0.1', port: 4242 });
    expect(c.listeners.http).toEqual({ enabled: true, host: '127.0.0.1', port: 4244 });
    expect(c.listeners.telnetTls.enabled).toBe(false);
    expect(c.listeners.https.enabled).toBe(false);
    expect(c.auth.mode).toBe('none');
    expect(c.auth.userTag).toBe('user');
    expect(c.limits).toMatchObject({
      maxConnections: 10_000,
      maxLineLength: 1024,
      idleTimeoutMs: 300_000,
      maxBodyBytes: 16 * 1024 * 1024,
      pointsPerSecond: 0,
      ackTimeoutMs: 30_000,
    });
    expect(c.protocol).toEqual({ maxTags: 8, tagsOptional: false, extraChars: '' });
    expect(r.warnings).toContain(
      'auth: mode none; anyone who can reach a listener can write (and read, over HTTP)',
    );
  });

  it('reports every problem as `path: message`', () => {
    const r = parseConfig({
      listeners: { telnet: { port: 70000 }, https: true },
      auth: { mode: 'file', django: { url: 'postgres://u:secret@db/x' } },
      limits: { idleTimeoutMs: 'soon' },
      backend: { type: 'forward', forward: { targets: ['ftp://x'] } },
      typo: 1,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      'listeners.telnet.port: must be <= 65535',
      'limits.idleTimeoutMs: expected a duration like 500ms, 30s, 10m, 6h; got "soon"',
      "(config): unknown setting(s) 'typo'",
    ]);
  });

  it('checks cross-field rules once the shape is right', () => {
    const r = parseConfig({
      listeners: { https: true, telnetTls: { enabled: true, port: 4242 } },
      auth: { mode: 'django', django: { url: 'postgres://u:secret@db/x' } },
      backend: { type: 'forward', forward: { targets: ['ftp://x', 'telnet://a:1'] } },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      'tls.cert: a TLS listener is enabled; a certificate is required',
      'tls.key: a TLS listener is enabled; a private key is required',
      'listeners.telnetTls.port: 4242 is already used by listeners.telnet',
      'auth.django.url: must not contain the password; use auth.django.passwordFile or OTSDB_PROXY_DJANGO_PASSWORD',
      "backend.forward.targets[0]: 'ftp://x' must be a telnet://, tls://, http:// or https:// URL with a host",
    ]);
  });

  it('refuses a forced credential tag and a failover over mixed protocols', () => {
    const r = parseConfig({
      auth: { mode: 'mock', mock: { forcedTags: { password: 'x' } } },
      backend: { forward: { targets: ['telnet://a:1', 'http://b:2'] } },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      'backend.forward.targets: failover needs targets of one kind (all telnet, tls, http or https)',
      "tags: 'password' is the credentials tag and is always stripped; it cannot be forced",
    ]);
  });

  it('takes `false` and `true` as listener switches and durations as text', () => {
    const r = parseConfig({
      ...forward,
      listeners: { telnet: false, http: { port: 0, host: '::1' } },
      limits: { idleTimeoutMs: '2m', ackTimeoutMs: 1500 },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.listeners.telnet.enabled).toBe(false);
    expect(r.config.listeners.http).toEqual({ enabled: true, host: '::1', port: 0 });
    expect(r.config.limits.idleTimeoutMs).toBe(120_000);
    expect(r.config.limits.ackTimeoutMs).toBe(1500);
  });
});

describe('loadConfig', () => {
  it('layers flags over environment over file over defaults', async () => {
    const r = await loadConfig({
      file: '/etc/proxy.yaml',
      readFile: files({
        '/etc/proxy.yaml': [
          'listeners:',
          '  telnet: { port: 5000 }',
          '  http: { port: 5001 }',
          'backend:',
          '  forward:',
          '    targets: [telnet://file:4242]',
          'limits: { maxConnections: 10 }',
        ].join('\n'),
      }),
      env: {
        OTSDB_PROXY_TELNET_PORT: '6000',
        OTSDB_PROXY_MAX_CONNECTIONS: '20',
        OTSDB_PROXY_FORWARD: 'telnet://env:1,telnet://env:2',
      },
      cli: { limits: { maxConnections: '30' } },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.listeners.telnet.port).toBe(6000);
    expect(r.config.listeners.http.port).toBe(5001);
    expect(r.config.limits.maxConnections).toBe(30);
    expect(r.config.backend.forward.targets).toEqual(['telnet://env:1', 'telnet://env:2']);
  });

  it('reads secrets from files and never from the URL', async () => {
    const r = await loadConfig({
      file: 'p.yaml',
      readFile: files({
        'p.yaml':
          'auth: { mode: django, django: { url: "postgres://app@db:5432/site", passwordFile: /run/pw } }\nbackend: { type: "null" }',
        '/run/pw': 's3cret\n',
      }),
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.auth.django.password).toBe('s3cret');
  });

  it('names the file that cannot be read, without its content', async () => {
    const r = await loadConfig({
      file: 'p.yaml',
      readFile: files({ 'p.yaml': 'auth: { django: { passwordFile: /nope } }\n' }),
    });
    expect(r).toEqual({ ok: false, errors: ['auth.django.passwordFile: cannot read /nope (ENOENT)'] });
    const bad = await loadConfig({ file: 'q.yaml', readFile: files({ 'q.yaml': 'a: [1,\n password: x' }) });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.errors[0]).toMatch(/^q\.yaml: not valid YAML\/JSON: /);
    expect(bad.errors.join('\n')).not.toContain('password: x');
    expect(await loadConfig({ file: 'missing.yaml', readFile: files({}) })).toEqual({
      ok: false,
      errors: ['missing.yaml: cannot read (ENOENT)'],
    });
  });

  it('maps a port variable to its listener, and "off" disables it', () => {
    expect(envLayer({ OTSDB_PROXY_HTTPS_PORT: '8443', OTSDB_PROXY_TELNET_PORT: 'off' })).toEqual({
      listeners: { https: { port: '8443', enabled: true }, telnet: { enabled: false } },
    });
  });
});

describe('resolveConfig', () => {
  it('reads a passphrase file for programs too', async () => {
    const r = await resolveConfig(
      { backend: { type: 'null' }, tls: { passphraseFile: '/k' } },
      {},
      files({ '/k': 'pass\n' }),
    );
    expect(r.ok && r.config.tls.passphrase).toBe('pass');
  });
});
