import { describe, expect, it } from 'vitest';
import { type AgentConfigInput, parseHostPort, resolveConfig } from './config.js';

function ok(input: AgentConfigInput) {
  const result = resolveConfig(input, 'web-1');
  if (!result.ok) throw new Error(`unexpected errors: ${result.errors.join('; ')}`);
  return result;
}

function errors(input: AgentConfigInput): string[] {
  const result = resolveConfig(input, 'web-1');
  if (result.ok) throw new Error('expected errors');
  return result.errors;
}

describe('resolveConfig', () => {
  it('applies tcollector defaults', () => {
    const { config } = ok({});
    expect(config.sending.hosts).toEqual([{ host: 'localhost', port: 4242 }]);
    expect(config.lines).toMatchObject({
      tags: { host: 'web-1' },
      maxTags: 8,
      dedupInterval: 300,
      evictInterval: 6000,
      namespacePrefix: '',
    });
    expect(config.runner.allowedInactivityMs).toBe(600_000);
    expect(config.runner.killGraceMs).toBe(5000);
    expect(config.sending.httpApiPath).toBe('/api/put');
    expect(config.sending.maxBufferPoints).toBe(100_000);
    expect(config.status).toBeUndefined();
    expect(config.selfStats).toBe(true);
    expect(config.builtin.enabled).toBe(true);
    expect(config.logLevel).toBe('info');
  });

  it('keeps a host tag given explicitly and accepts tags as a list or a map', () => {
    expect(ok({ tags: ['host=db-2', 'dc=ams1'] }).config.lines.tags).toEqual({ host: 'db-2', dc: 'ams1' });
    expect(ok({ tags: { dc: 'ams1' } }).config.lines.tags).toEqual({ dc: 'ams1', host: 'web-1' });
  });

  it('does not add host= in stdin mode (tcollector: relayed lines carry their own)', () => {
    const { config } = ok({ stdin: true, collectorDir: '/x' });
    expect(config.lines.tags).toEqual({});
    expect(config.collectorDir).toBeUndefined();
    expect(config.builtin.enabled).toBe(false);
  });

  it('rejects bad tags with the offending value', () => {
    expect(errors({ tags: ['dc'] })).toEqual(['tags: "dc" is not key=value']);
    expect(errors({ tags: ['dc=a', 'dc=b'] })).toEqual(['tags: "dc" is given twice']);
    expect(errors({ tags: { 'd c': 'x' } })[0]).toMatch(/^tags\.d c: tag key "d c"/);
    expect(errors({ tags: { dc: 'a b' } })[0]).toMatch(/tag value "a b"/);
  });

  it('counts default tags against max-tags', () => {
    expect(errors({ maxTags: 2, tags: { a: '1', b: '2' } })[0]).toMatch(
      /^tags: 3 tags \(host included\) exceed maxTags \(2\)/,
    );
  });

  it('normalises the namespace prefix with a trailing dot, as tcollector', () => {
    expect(ok({ namespacePrefix: 'prod' }).config.lines.namespacePrefix).toBe('prod.');
    expect(ok({ namespacePrefix: 'prod.' }).config.lines.namespacePrefix).toBe('prod.');
    expect(errors({ namespacePrefix: 'a b' })[0]).toMatch(/^namespacePrefix:/);
  });

  it('enforces evict > dedup unless dedup is off', () => {
    expect(errors({ dedupInterval: 600, evictInterval: 600 })[0]).toMatch(
      /^evictInterval: 600 must be greater/,
    );
    expect(ok({ dedupInterval: 0, evictInterval: 1 }).config.lines.dedupInterval).toBe(0);
  });

  it('reports schema errors as path: message', () => {
    const list = errors({ port: 70000, maxTags: 1.5, dedupInterval: -1 } as AgentConfigInput);
    expect(list.some((e) => e.startsWith('port: '))).toBe(true);
    expect(list.some((e) => e.startsWith('maxTags: '))).toBe(true);
    expect(list.some((e) => e.startsWith('dedupInterval: '))).toBe(true);
    expect(errors({ nope: 1 } as AgentConfigInput)[0]).toMatch(/nope/);
  });

  it('builds the hosts list like tcollector (host/port appended when not default), keeping order', () => {
    expect(ok({ hostsList: 'a:1,b,[::1]:3' }).config.sending.hosts).toEqual([
      { host: 'a', port: 1 },
      { host: 'b', port: 4242 },
      { host: '::1', port: 3 },
    ]);
    expect(ok({ hostsList: ['a:1'], host: 'c' }).config.sending.hosts).toEqual([
      { host: 'a', port: 1 },
      { host: 'c', port: 4242 },
    ]);
    expect(ok({ host: 'tsd', port: 4243 }).config.sending.hosts).toEqual([{ host: 'tsd', port: 4243 }]);
    expect(errors({ hostsList: 'a:0' })[0]).toBe('hostsList: "a:0": port must be 1..65535');
  });

  it('requires TLS for TLS files and client cert and key together', () => {
    expect(errors({ ca: '/ca.pem' })).toEqual([
      'ssl: ca, clientCert, clientKey and tlsServerName need ssl to be enabled',
    ]);
    expect(errors({ ssl: true, clientCert: '/c.pem' })[0]).toMatch(
      /^clientKey: clientCert and clientKey go together/,
    );
    expect(ok({ ssl: true, clientCert: '/c', clientKey: '/k' }).config.sending.clientKey).toBe('/k');
  });

  it('enables the status server with --status-port or tcollector --monitoring-interface', () => {
    expect(ok({ statusPort: 8080 }).config.status).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(ok({ monitoringInterface: '127.0.0.2' }).config.status).toEqual({
      host: '127.0.0.2',
      port: 13280,
    });
    const open = ok({ statusPort: 1, statusHost: '0.0.0.0' });
    expect(open.warnings[0]).toMatch(/not loopback/);
  });

  it('maps verbose to debug unless a level is given', () => {
    expect(ok({ verbose: true }).config.logLevel).toBe('debug');
    expect(ok({ verbose: true, logLevel: 'warn' }).config.logLevel).toBe('warn');
  });

  it('splits disabled built-ins given as a list or comma separated', () => {
    expect(ok({ disableBuiltin: ['iostat,ifstat', 'dfstat'] }).config.builtin.disabled).toEqual([
      'iostat',
      'ifstat',
      'dfstat',
    ]);
    expect(errors({ disableBuiltin: 'iostat,bogus' })[0]).toMatch(
      /^disableBuiltin: no built-in collector named "bogus"; they are procstats, /,
    );
  });

  it('checks credentials are usable as telnet tag values', () => {
    expect(errors({ credentials: { user: 'a', password: 'b c' } })).toEqual([
      'credentials: user and password may not contain whitespace',
    ]);
    expect(ok({ credentials: { user: 'a', password: 'b' } }).config.credentials).toEqual({
      user: 'a',
      password: 'b',
    });
  });
});

describe('parseHostPort', () => {
  it.each([
    ['tsd', { host: 'tsd', port: 4242 }],
    ['tsd:4243', { host: 'tsd', port: 4243 }],
    ['[::1]:5', { host: '::1', port: 5 }],
    ['[::1]', { host: '::1', port: 4242 }],
    ['::1', { host: '::1', port: 4242 }],
    ['tsd:x', '"tsd:x": port must be 1..65535'],
    [':1', '":1": empty host'],
    ['[::1', '"[::1": missing "]"'],
  ])('%s', (text, expected) => {
    expect(parseHostPort(text)).toEqual(expected);
  });
});
