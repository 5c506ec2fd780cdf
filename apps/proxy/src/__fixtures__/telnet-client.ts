import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';

/** A test's telnet connection: write lines, read the replies, half-close and wait. */
export interface TelnetSession {
  readonly socket: Socket;
  write(text: string): void;
  /** Complete reply lines received so far. */
  lines(): string[];
  /** Resolves once at least `n` reply lines arrived (bounded). */
  waitForLines(n: number, timeoutMs?: number): Promise<string[]>;
  /** Half-closes and resolves with every reply once the proxy closed its side. */
  end(timeoutMs?: number): Promise<string[]>;
  /** Resolves when the socket closed (for any reason). */
  readonly closed: Promise<void>;
  destroy(): void;
}

export async function openTelnet(
  port: number,
  options: { tls?: ConnectionOptions; host?: string } = {},
): Promise<TelnetSession> {
  const host = options.host ?? '127.0.0.1';
  const socket: Socket = await new Promise((resolve, reject) => {
    const s =
      options.tls === undefined
        ? netConnect({ port, host }, () => resolve(s))
        : tlsConnect({ port, host, ...options.tls }, () => resolve(s));
    s.once('error', reject);
  });
  socket.on('error', () => undefined);
  let text = '';
  const waiters: Array<() => void> = [];
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    text += d;
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  void closed.then(() => {
    for (const w of waiters.splice(0)) w();
  });
  const lines = () => {
    const all = text.split('\n');
    all.pop();
    return all;
  };
  const session: TelnetSession = {
    socket,
    write: (t) => {
      socket.write(t);
    },
    lines,
    async waitForLines(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (lines().length < n) {
        if (socket.destroyed && socket.readableEnded) break;
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`expected ${n} reply lines within ${timeoutMs} ms, got ${JSON.stringify(lines())}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return lines();
    },
    async end(timeoutMs = 10_000) {
      socket.end();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        closed,
        new Promise<void>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`the proxy did not close within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      return lines();
    },
    closed,
    destroy: () => socket.destroy(),
  };
  return session;
}
