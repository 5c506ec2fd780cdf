import { createServer } from 'node:net';

/**
 * Asks the kernel for a currently free TCP port on `host` by binding port 0 and closing again.
 * Another process can take the port before the caller binds it, so callers that hand the port
 * to a program that cannot listen on 0 itself must retry on "address in use".
 * Code that can listen on port 0 directly should do that instead.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`could not read the bound address on ${host}`));
        return;
      }
      server.close((err) => (err ? reject(err) : resolve(address.port)));
    });
  });
}

/** `count` distinct free ports (see `freePort` for the race this cannot rule out). */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports = new Set<number>();
  // Bounded: the kernel hands out ephemeral ports in sequence, so repeats are rare.
  for (let attempt = 0; ports.size < count && attempt < count * 20; attempt += 1) {
    ports.add(await freePort(host));
  }
  if (ports.size < count) throw new Error(`could not find ${count} distinct free ports on ${host}`);
  return [...ports];
}
