/**
 * A TCP sink for bench/index.ts: reads and discards whatever arrives on each connection. As a
 * forward target it costs almost nothing, so the proxy's forwarding CPU can be read without a
 * TSD competing for the machine. Prints `listening <port>` once ready, exits on SIGTERM.
 */
import { createServer } from 'node:net';

const server = createServer((socket) => {
  socket.resume();
  socket.on('error', () => undefined);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address !== null ? address.port : 0}\n`);
});
process.on('SIGTERM', () => process.exit(0));
