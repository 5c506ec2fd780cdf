/**
 * A bare Node.js TCP relay for bench/index.ts: every accepted connection is piped as it is to
 * one upstream connection, with no framing, checks or copies. It is what any proxy written on
 * Node's sockets pays at least, the reference the proxy's forwarding figure is read against.
 * Usage: relay.ts <host> <port>; prints `listening <port>` once ready, exits on SIGTERM.
 */
import { connect, createServer } from 'node:net';

const [host = '127.0.0.1', port = '0'] = process.argv.slice(2);
const server = createServer((client) => {
  const upstream = connect({ host, port: Number(port) });
  client.pipe(upstream);
  upstream.resume(); // replies (none expected) are dropped
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address !== null ? address.port : 0}\n`);
});
process.on('SIGTERM', () => process.exit(0));
