import type { Endpoint } from './host-pool.js';

export const DEFAULT_PORT = 4242;

/** A TSD address given as an object. */
export interface HostSpec {
  host: string;
  port?: number;
}

export type EndpointResult = { ok: true; endpoint: Endpoint } | { ok: false; error: string };

/**
 * Reads `host`, `host:port`, `[v6]`, `[v6]:port`, a bare IPv6 address, or `{ host, port }`.
 * The error names the offending value and what is allowed.
 */
export function parseEndpoint(spec: string | HostSpec, defaultPort: number = DEFAULT_PORT): EndpointResult {
  let host: string;
  let port: number | undefined;
  if (typeof spec === 'string') {
    const text = spec.trim();
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
    if (bracketed) {
      host = bracketed[1]!;
      port = bracketed[2] === undefined ? undefined : Number(bracketed[2]);
    } else if ((text.match(/:/g) ?? []).length > 1) {
      host = text; // bare IPv6 address, no port possible without brackets
    } else {
      const colon = text.lastIndexOf(':');
      if (colon >= 0) {
        const portText = text.slice(colon + 1);
        if (!/^\d+$/.test(portText))
          return { ok: false, error: `invalid port in host "${spec}": "${portText}"` };
        host = text.slice(0, colon);
        port = Number(portText);
      } else {
        host = text;
      }
    }
  } else if (spec !== null && typeof spec === 'object' && typeof spec.host === 'string') {
    host = spec.host.trim();
    port = spec.port;
  } else {
    return { ok: false, error: `a host must be "host:port" or { host, port }, got ${describe(spec)}` };
  }
  if (host === '' || /[\s/@?#]/.test(host)) {
    return { ok: false, error: `invalid host name ${JSON.stringify(host)} in ${describe(spec)}` };
  }
  const finalPort = port ?? defaultPort;
  if (!Number.isInteger(finalPort) || finalPort < 1 || finalPort > 65535) {
    return {
      ok: false,
      error: `port must be an integer from 1 to 65535, got ${String(port)} in ${describe(spec)}`,
    };
  }
  return { ok: true, endpoint: makeEndpoint(host, finalPort) };
}

export function makeEndpoint(host: string, port: number): Endpoint {
  const label = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return { host, port, label };
}

/** What a URL option contributes: transport, TLS, endpoint, path and credentials. */
export interface UrlParts {
  protocol: 'telnet' | 'http';
  tls: boolean;
  endpoint: Endpoint;
  /** Path plus query string, for HTTP; undefined when the URL had none. */
  path: string | undefined;
  user: string | undefined;
  password: string | undefined;
}

const SCHEMES: Record<string, { protocol: 'telnet' | 'http'; tls: boolean; port: number }> = {
  'http:': { protocol: 'http', tls: false, port: 80 },
  'https:': { protocol: 'http', tls: true, port: 443 },
  'telnet:': { protocol: 'telnet', tls: false, port: DEFAULT_PORT },
  'tcp:': { protocol: 'telnet', tls: false, port: DEFAULT_PORT },
  'tls:': { protocol: 'telnet', tls: true, port: DEFAULT_PORT },
  'telnets:': { protocol: 'telnet', tls: true, port: DEFAULT_PORT },
};

/**
 * `https://user:pass@tsd:4242/api/put`, `telnet://tsd:4242`, `tls://tsd:4243`. A URL without a
 * port uses its scheme's port (80/443 for HTTP, 4242 for telnet). Errors never echo the password.
 */
export function parseUrl(text: string): { ok: true; parts: UrlParts } | { ok: false; error: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, error: `url is not a valid URL: ${JSON.stringify(withoutUserInfo(text))}` };
  }
  const scheme = SCHEMES[url.protocol];
  if (!scheme) {
    return {
      ok: false,
      error: `url scheme "${url.protocol}" is not supported; use http, https, telnet, tcp, tls or telnets`,
    };
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') return { ok: false, error: 'url has no host' };
  const port = url.port === '' ? scheme.port : Number(url.port);
  const pathAndQuery = url.pathname + url.search;
  return {
    ok: true,
    parts: {
      protocol: scheme.protocol,
      tls: scheme.tls,
      endpoint: makeEndpoint(host, port),
      path: pathAndQuery === '/' || pathAndQuery === '' ? undefined : pathAndQuery,
      user: url.username === '' ? undefined : decodeURIComponent(url.username),
      password: url.password === '' ? undefined : decodeURIComponent(url.password),
    },
  };
}

function withoutUserInfo(text: string): string {
  return text.replace(/\/\/[^/@]*@/, '//');
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
