import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Catchpoint's REST API, on 127.0.0.1 and an ephemeral port, for the
 * faults a test needs: the v1 token endpoint (client credentials, expiring tokens), v1 nodes
 * (bearer = base64 of the token), v2 nodes (bearer API key, paged), and injected failures.
 */
export interface FakeCatchpointOptions {
  clientId?: string;
  clientSecret?: string;
  apiKey?: string;
  /** Raw node objects, in v1 shape for v1 and v2 shape for v2. */
  v1Nodes?: unknown[];
  v2Nodes?: unknown[];
  /** Seconds, as sent in `expires_in`. Default 1800. */
  expiresIn?: number;
  /** When false, v2 answers carry no `hasMore` (paging by page size only). Default true. */
  v2HasMore?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

type Fault = { status: number; body?: string } | 'hang' | 'garbage' | 'reset';

export class FakeCatchpointApi {
  readonly requests: RecordedRequest[] = [];
  readonly options: Required<FakeCatchpointOptions>;
  #server: Server | undefined;
  #tokens = new Map<string, { expired: boolean }>();
  #issued = 0;
  #faults: Array<{ path: string; fault: Fault }> = [];
  #hanging: ServerResponse[] = [];
  baseUrl = '';

  constructor(options: FakeCatchpointOptions = {}) {
    this.options = {
      clientId: 'client-id-1',
      clientSecret: 'client-secret-1',
      apiKey: 'api-key-1',
      v1Nodes: [],
      v2Nodes: [],
      expiresIn: 1800,
      v2HasMore: true,
      ...options,
    };
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => this.#handle(req, res));
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#hanging = [];
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next request to a path starting with `path` fails as described (once per call). */
  failNext(path: string, fault: Fault): void {
    this.#faults.push({ path, fault });
  }

  /** Marks every token issued so far as expired: v1 nodes answers 401 for them. */
  expireTokens(): void {
    for (const t of this.#tokens.values()) t.expired = true;
  }

  get tokensIssued(): number {
    return this.#issued;
  }

  count(pathPrefix: string): number {
    return this.requests.filter((r) => r.path.startsWith(pathPrefix)).length;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      this.requests.push({
        method: req.method ?? '',
        path,
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body,
      });
      const i = this.#faults.findIndex((f) => path.startsWith(f.path));
      if (i !== -1) {
        const { fault } = this.#faults.splice(i, 1)[0]!;
        if (fault === 'hang') {
          this.#hanging.push(res);
          return;
        }
        if (fault === 'reset') {
          req.socket.destroy();
          return;
        }
        if (fault === 'garbage') {
          this.#send(res, 200, '<html>maintenance</html>', 'text/html');
          return;
        }
        this.#send(res, fault.status, fault.body ?? JSON.stringify({ Message: 'injected failure' }));
        return;
      }
      this.#route(req, res, path, body);
    });
  }

  #route(req: IncomingMessage, res: ServerResponse, path: string, body: string): void {
    if (req.method === 'POST' && path === '/ui/api/token') {
      this.#token(res, req, body);
      return;
    }
    if (req.method === 'GET' && path === '/ui/api/v1/nodes') {
      this.#v1Nodes(res, req);
      return;
    }
    if (req.method === 'GET' && path.startsWith('/api/v2/nodes/all')) {
      this.#v2Nodes(res, req, path);
      return;
    }
    this.#send(res, 404, JSON.stringify({ Message: 'not found' }));
  }

  #token(res: ServerResponse, req: IncomingMessage, body: string): void {
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      this.#send(res, 415, JSON.stringify({ error: 'unsupported_media_type' }));
      return;
    }
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') {
      this.#send(res, 400, JSON.stringify({ error: 'unsupported_grant_type' }));
      return;
    }
    if (
      form.get('client_id') !== this.options.clientId ||
      form.get('client_secret') !== this.options.clientSecret
    ) {
      this.#send(res, 400, JSON.stringify({ error: 'invalid_client' }));
      return;
    }
    this.#issued++;
    const token = `token-${this.#issued}`;
    this.#tokens.set(token, { expired: false });
    this.#send(
      res,
      200,
      JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: this.options.expiresIn }),
    );
  }

  #bearer(req: IncomingMessage): string | undefined {
    const h = req.headers.authorization;
    return h?.startsWith('Bearer ') ? h.slice(7) : undefined;
  }

  #v1Nodes(res: ServerResponse, req: IncomingMessage): void {
    const b = this.#bearer(req);
    const token = b === undefined ? undefined : Buffer.from(b, 'base64').toString('utf8');
    const state = token === undefined ? undefined : this.#tokens.get(token);
    if (state === undefined || state.expired) {
      this.#send(res, 401, JSON.stringify({ Message: 'Authorization has been denied for this request.' }));
      return;
    }
    this.#send(res, 200, JSON.stringify({ items: this.options.v1Nodes }));
  }

  #v2Nodes(res: ServerResponse, req: IncomingMessage, path: string): void {
    if (this.#bearer(req) !== this.options.apiKey) {
      this.#send(
        res,
        401,
        JSON.stringify({ completed: false, errors: [{ id: 401, message: 'invalid key' }] }),
      );
      return;
    }
    const q = new URL(path, 'http://x').searchParams;
    const page = Number(q.get('pageNumber') ?? '1');
    const size = Number(q.get('pageSize') ?? '100');
    const all = this.options.v2Nodes;
    const slice = all.slice((page - 1) * size, page * size);
    const data: Record<string, unknown> = { nodes: slice };
    if (this.options.v2HasMore) data['hasMore'] = page * size < all.length;
    this.#send(res, 200, JSON.stringify({ data, messages: [], errors: [], completed: true, traceId: 't' }));
  }

  #send(res: ServerResponse, status: number, body: string, type = 'application/json'): void {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }
}

/** v2-shaped copies of v1 node objects: camelCase, no continent, region or ISP. */
export function v2NodesFrom(v1: unknown[]): unknown[] {
  return v1.map((raw) => {
    const n = raw as Record<string, { name?: string; value?: string } | number | string>;
    const asn = n['asn'] as { value?: string } | undefined;
    return {
      id: n['id'],
      name: n['name'],
      networkType: n['network_type'],
      asn: asn?.value === undefined ? undefined : Number(asn.value.replace(/^AS/, '')),
      city: n['city'],
      country: n['country'],
      status: n['status'],
    };
  });
}
