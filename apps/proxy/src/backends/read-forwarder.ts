import { errorEnvelope } from '@otsdb/protocol';
import { Agent, request } from 'undici';
import type { ReadRequest, ReadResponse } from './backend.js';

export interface ReadForwarderOptions {
  /** `http(s)://tsd:4242`: the TSD's HTTP API. */
  baseUrl: string;
  timeoutMs: number;
  /** Larger responses are cut off (the client sees a truncated body and a reset). */
  maxResponseBytes: number;
  /** CA / client certificate for an https:// TSD. */
  tls?: object | undefined;
  /** Connections kept to the TSD. Default 16. */
  connections?: number;
}

export interface ReadForwarder {
  forward(request: ReadRequest): Promise<ReadResponse>;
  close(): Promise<void>;
}

// Only what a TSD needs to answer; everything else (cookies, credentials, proxy headers) stays here.
const PASSED_RESPONSE_HEADERS = ['content-type', 'content-encoding', 'cache-control', 'vary', 'etag'];
const JSON_TYPE = { 'content-type': 'application/json; charset=UTF-8' };

/**
 * Passes read requests (`/api/query`, `/api/suggest`...) to a TSD's HTTP API with undici and
 * streams the answer back. The request already carries only allow-listed headers: the caller's
 * credentials are never forwarded.
 */
export function createReadForwarder(options: ReadForwarderOptions): ReadForwarder {
  const base = new URL(options.baseUrl);
  const origin = base.origin;
  const prefix = base.pathname.replace(/\/+$/, '');
  const agent = new Agent({
    connections: options.connections ?? 16,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connect: connectOptions(options),
  });

  return {
    async forward(req: ReadRequest): Promise<ReadResponse> {
      let response: Awaited<ReturnType<typeof request>>;
      try {
        response = await request(origin + prefix + req.path + req.search, {
          method: req.method as 'GET',
          headers: req.headers,
          body: req.body === undefined ? null : Buffer.from(req.body),
          dispatcher: agent,
        });
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'error';
        return {
          status: 502,
          headers: JSON_TYPE,
          body: errorEnvelope({
            status: 502,
            message: `the TSD's HTTP API did not answer (${code})`,
            details: `read backend ${origin}`,
          }),
        };
      }
      const headers: Record<string, string> = {};
      for (const name of PASSED_RESPONSE_HEADERS) {
        const v = response.headers[name];
        if (typeof v === 'string') headers[name] = v;
      }
      const length = Number(response.headers['content-length']);
      if (Number.isFinite(length) && length > options.maxResponseBytes) {
        response.body.destroy();
        return tooLarge(options.maxResponseBytes);
      }
      return { status: response.statusCode, headers, body: capped(response.body, options.maxResponseBytes) };
    },
    async close() {
      await agent.close();
    },
  };
}

function tooLarge(max: number): ReadResponse {
  return {
    status: 502,
    headers: JSON_TYPE,
    body: errorEnvelope({
      status: 502,
      message: `the TSD's answer is larger than the proxy passes through (${max} bytes)`,
      details:
        'narrow the query (shorter time range, fewer series) or raise backend.forward.maxReadResponseBytes',
    }),
  };
}

async function* capped(body: AsyncIterable<Uint8Array> & { destroy(): void }, max: number) {
  let seen = 0;
  for await (const chunk of body) {
    seen += chunk.byteLength;
    if (seen > max) {
      body.destroy();
      throw new Error(`read response exceeded ${max} bytes`);
    }
    yield chunk;
  }
}

function connectOptions(options: ReadForwarderOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { timeout: Math.min(options.timeoutMs, 10_000) };
  for (const [k, v] of Object.entries(options.tls ?? {})) if (v !== undefined) out[k] = v;
  return out;
}
