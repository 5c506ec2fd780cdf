import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ConnectionOptions } from 'node:tls';

export interface SimpleRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Whole-request deadline. Default 10 000 ms. */
  timeoutMs?: number;
  /** TLS options for https URLs (ca, cert, key, servername...). */
  tls?: ConnectionOptions;
}

export interface SimpleResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP(S) request on a fresh connection that is closed afterwards. Test helpers use this
 * instead of fetch: a pooled keep-alive connection left idle makes VictoriaMetrics 1.79.5 wait
 * 5 s on shutdown and then exit with a fatal error, and makes fake servers count connections
 * that no test opened on purpose.
 */
export function simpleRequest(
  url: string | URL,
  options: SimpleRequestOptions = {},
): Promise<SimpleResponse> {
  const target = typeof url === 'string' ? new URL(url) : url;
  const { method = 'GET', headers = {}, body, timeoutMs = 10_000 } = options;
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method,
        headers:
          body === undefined ? headers : { 'content-length': String(Buffer.byteLength(body)), ...headers },
        agent: false,
        ...(target.protocol === 'https:' ? (options.tls ?? {}) : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`${method} ${target.href} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}
