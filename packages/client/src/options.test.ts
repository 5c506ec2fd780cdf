import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ClientError } from './errors.js';
import { type ClientOptions, resolveOptions } from './options.js';

function problems(options: ClientOptions): string {
  try {
    resolveOptions(options);
  } catch (err) {
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).code).toBe('invalid_config');
    return (err as Error).message;
  }
  throw new Error('expected invalid_config');
}

describe('resolveOptions', () => {
  it('defaults: telnet on 4242, failover, host tag from os.hostname(), bounded queue', () => {
    const o = resolveOptions({ host: 'tsd' });
    expect(o).toMatchObject({
      protocol: 'telnet',
      endpoints: [{ host: 'tsd', port: 4242, label: 'tsd:4242' }],
      tls: undefined,
      hostPolicy: 'failover',
      hostCooldownMs: 30_000,
      hostTag: hostname(),
      maxQueue: 100_000,
      dropPolicy: 'drop_oldest',
      highWaterMark: 80_000,
      lowWaterMark: 40_000,
      mps: 0,
      batchSize: 5000,
      lingerMs: 0,
      concurrency: 2,
      telnetTimestamps: 'as-is',
      telnetReplayMs: 5000,
      maxLineLength: 1024,
      path: '/api/put',
      details: true,
      gzip: false,
    });
  });

  it('http defaults differ where the transport needs it', () => {
    const o = resolveOptions({ hosts: ['a:1', { host: 'b' }], protocol: 'http', port: 8080 });
    expect(o.endpoints.map((e) => e.label)).toEqual(['a:1', 'b:8080']);
    expect(o).toMatchObject({ batchSize: 500, lingerMs: 50, concurrency: 4 });
  });

  it('a URL sets protocol, TLS, path and credentials', () => {
    const o = resolveOptions({ url: 'https://bob:s3cret@tsd:8443/x/api/put' });
    expect(o).toMatchObject({
      protocol: 'http',
      tls: {},
      path: '/x/api/put',
      user: 'bob',
      password: 's3cret',
      secrets: ['s3cret'],
      endpoints: [{ label: 'tsd:8443' }],
    });
    expect(resolveOptions({ url: ['tls://a', 'tls://b:1'] })).toMatchObject({
      protocol: 'telnet',
      tls: {},
      endpoints: [{ label: 'a:4242' }, { label: 'b:1' }],
    });
  });

  it('hostTag: string overrides, false disables', () => {
    expect(resolveOptions({ host: 'x', hostTag: 'web1' }).hostTag).toBe('web1');
    expect(resolveOptions({ host: 'x', hostTag: false }).hostTag).toBeUndefined();
  });

  it.each<[ClientOptions, RegExp]>([
    [{}, /give `hosts`, `host` or `url`/],
    [{ host: 'a', url: 'http://b' }, /only one of/],
    [{ hosts: [] }, /non-empty array/],
    [{ hosts: ['a:0'] }, /hosts\[0\]: port must be/],
    [{ hosts: ['a', 'a:4242'] }, /listed twice/],
    [{ host: 'a', protocol: 'udp' as never }, /protocol: must be/],
    [{ url: 'https://a', protocol: 'telnet' }, /url scheme means "http"/],
    [{ url: ['http://a', 'https://b'] }, /share scheme/],
    [{ host: 'a', maxQueue: 0 }, /maxQueue: must be an integer >= 1/],
    [{ host: 'a', maxQueue: 10, highWaterMark: 11 }, /highWaterMark: must be <= maxQueue/],
    [{ host: 'a', dropPolicy: 'block' as never }, /dropPolicy/],
    [{ host: 'a', mps: -1 }, /mps/],
    [{ host: 'a', backoff: { jitter: 3 } }, /backoff: jitter/],
    [{ host: 'a', path: 'api/put' }, /path: must start with/],
    [{ host: 'a', hostTag: 'has space' }, /hostTag/],
    [{ host: 'a', password: 'p' }, /password: is set but `user` is not/],
    [{ host: 'a', user: 'u', password: 'p w' }, /password: cannot be a telnet tag value/],
    [{ host: 'a', token: 't' }, /token: is only used with the http protocol/],
    [{ host: 'a', protocol: 'http', user: 'u', password: 'p', token: 't' }, /Authorization/],
    [{ host: 'a', tokenHeader: 'bad header' }, /tokenHeader/],
    [{ host: 'a', telnetTimestamps: 'ms' as never }, /telnetTimestamps/],
    [{ host: 'a', bogus: 1 } as never, /bogus: unknown option/],
    [{ host: 'a', logger: {} as never }, /logger/],
  ])('refuses %o', (options, message) => {
    expect(problems(options)).toMatch(message);
  });

  it('lists every problem at once and never echoes a password', () => {
    const message = problems({
      url: 'https://u:hunter2@a',
      maxQueue: -1,
      user: 'x y',
      password: 'hunter2 x',
    });
    expect(message).toMatch(/maxQueue/);
    expect(message).not.toContain('hunter2');
  });
});
