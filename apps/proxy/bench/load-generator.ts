/**
 * Load generator for bench/index.ts, run as a child process so it has its own event loop (and
 * core): opens several connections and writes pre-formatted put lines as fast as each socket
 * takes them, for a fixed time, then half-closes and waits until the server closed (it has read
 * everything). Reports over IPC: `{ started }`, then `{ done, lines, seconds }`.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface LoadOptions {
  host: string;
  port: number;
  /** PEM of the CA that signed the server certificate: TLS on. */
  ca?: string;
  connections: number;
  durationMs: number;
  /** Appended to every line (e.g. ` user=bench password=secret`). */
  suffix: string;
  /** First timestamp (seconds); lines count up from it. */
  startSeconds: number;
}

const LINES_PER_BUFFER = 20_000;

function buffers(o: LoadOptions, connection: number): { data: Buffer; lines: number } {
  let text = '';
  for (let i = 0; i < LINES_PER_BUFFER; i++) {
    const ts = o.startSeconds + (i % 3600);
    text += `put bench.proxy.load ${ts} ${(i * 7) % 1000}.5 host=web${(i + connection) % 100} cpu=${i % 8} dc=lga${o.suffix}\n`;
  }
  return { data: Buffer.from(text), lines: LINES_PER_BUFFER };
}

async function run(o: LoadOptions): Promise<{ lines: number; seconds: number }> {
  const sockets: Socket[] = await Promise.all(
    Array.from(
      { length: o.connections },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const s =
            o.ca === undefined
              ? netConnect({ host: o.host, port: o.port }, () => resolve(s))
              : tlsConnect({ host: o.host, port: o.port, ca: o.ca, servername: 'localhost' }, () =>
                  resolve(s),
                );
          s.once('error', reject);
        }),
    ),
  );
  process.send?.({ started: true });
  const start = performance.now();
  const deadline = start + o.durationMs;
  let total = 0;
  await Promise.all(
    sockets.map(
      (socket, c) =>
        new Promise<void>((resolve) => {
          const { data, lines } = buffers(o, c);
          socket.on('error', () => resolve());
          socket.on('close', () => resolve());
          socket.resume(); // replies (none expected) must not fill our receive buffer
          const pump = () => {
            while (performance.now() < deadline) {
              total += lines;
              if (!socket.write(data)) {
                socket.once('drain', pump);
                return;
              }
            }
            socket.end();
          };
          pump();
        }),
    ),
  );
  return { lines: total, seconds: (performance.now() - start) / 1000 };
}

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
run(options).then(
  (result) => {
    process.send?.({ done: true, ...result }, () => process.exit(0));
  },
  (error: unknown) => {
    process.send?.({ error: String(error) }, () => process.exit(1));
  },
);
