import { describe, expect, it } from 'vitest';
import { parseEndpoint, parseUrl } from './endpoints.js';

describe('parseEndpoint', () => {
  it.each([
    ['tsd', 'tsd', 4242, 'tsd:4242'],
    ['tsd:4243', 'tsd', 4243, 'tsd:4243'],
    ['10.0.0.1:1', '10.0.0.1', 1, '10.0.0.1:1'],
    ['[::1]:4242', '::1', 4242, '[::1]:4242'],
    ['[::1]', '::1', 4242, '[::1]:4242'],
    ['::1', '::1', 4242, '[::1]:4242'],
    [{ host: 'tsd', port: 80 }, 'tsd', 80, 'tsd:80'],
    [{ host: 'tsd' }, 'tsd', 4242, 'tsd:4242'],
  ] as const)('%o', (spec, host, port, label) => {
    expect(parseEndpoint(spec)).toEqual({ ok: true, endpoint: { host, port, label } });
  });

  it.each([
    ['tsd:', /invalid port/],
    ['tsd:abc', /invalid port/],
    ['tsd:70000', /1 to 65535/],
    ['', /invalid host/],
    ['a b:1', /invalid host/],
    [{ host: 'x', port: 0 }, /1 to 65535/],
    [42, /host:port/],
  ])('refuses %o', (spec, message) => {
    const result = parseEndpoint(spec as never);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });
});

describe('parseUrl', () => {
  it('reads protocol, TLS, port, path and credentials', () => {
    expect(parseUrl('https://u%40x:p%3Ass@tsd.example:8443/otsdb/api/put?token=1')).toEqual({
      ok: true,
      parts: {
        protocol: 'http',
        tls: true,
        endpoint: { host: 'tsd.example', port: 8443, label: 'tsd.example:8443' },
        path: '/otsdb/api/put?token=1',
        user: 'u@x',
        password: 'p:ss',
      },
    });
  });

  it.each([
    ['http://tsd', 'http', false, 80],
    ['https://tsd', 'http', true, 443],
    ['telnet://tsd', 'telnet', false, 4242],
    ['tcp://tsd:1', 'telnet', false, 1],
    ['tls://[::1]:4243', 'telnet', true, 4243],
    ['telnets://tsd', 'telnet', true, 4242],
  ])('%s', (url, protocol, tls, port) => {
    const result = parseUrl(url);
    expect(result).toMatchObject({ ok: true, parts: { protocol, tls, endpoint: { port } } });
  });

  it('never echoes the password in an error', () => {
    const result = parseUrl('ftp://user:hunter2@tsd');
    expect(result.ok).toBe(false);
    const bad = parseUrl('http://user:hunter2@[bad');
    expect(JSON.stringify([result, bad])).not.toContain('hunter2');
  });
});
