import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small read-only HTTP endpoint (tcollector's --monitoring-port, as JSON): `GET /` (or
 * `/status`) returns every collector's state and counters; `GET /health` answers 200 while the
 * agent runs and 503 once it is stopping. Loopback by default: collector names and paths are
 * nobody else's business.
 */

export interface StatusServerOptions {
  host: string;
  port: number;
  status(): unknown;
  healthy(): { ok: boolean; detail: Record<string, unknown> };
}

export class StatusServer {
  private server: Server | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: StatusServerOptions) {}

  async start(): Promise<AddressInfo> {
    const server = createServer((req, res) => this.handle(req, res));
    // A client keeping a socket open must not hold shutdown back.
    server.keepAliveTimeout = 1000;
    server.headersTimeout = 5000;
    server.requestTimeout = 5000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  address(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? undefined;
  }

  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    const server = this.server;
    if (server === undefined) return Promise.resolve();
    this.closing = new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return this.closing;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.reply(res, 405, { error: 'only GET and HEAD' }, { allow: 'GET, HEAD' }, req.method === 'HEAD');
      return;
    }
    const head = req.method === 'HEAD';
    try {
      if (path === '/' || path === '/status') {
        this.reply(res, 200, this.options.status(), {}, head);
      } else if (path === '/health') {
        const health = this.options.healthy();
        this.reply(
          res,
          health.ok ? 200 : 503,
          { status: health.ok ? 'ok' : 'stopping', ...health.detail },
          {},
          head,
        );
      } else {
        this.reply(res, 404, { error: `no such path: ${path}; try / or /health` }, {}, head);
      }
    } catch (err) {
      this.reply(res, 500, { error: (err as Error).message }, {}, head);
    }
  }

  private reply(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string>,
    head: boolean,
  ): void {
    const text = JSON.stringify(body, null, 2) + '\n';
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(head ? undefined : text);
  }
}
