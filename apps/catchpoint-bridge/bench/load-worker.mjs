// Load generator for the webhook benchmark, in its own thread so it does not share an event
// loop with the bridge. Plain JavaScript: workers do not inherit the TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import { Pool } from 'undici';

const { url, path, bodies, connections, inFlight, durationMs } = workerData;
const pool = new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 10_000 });
const statuses = {};
let sent = 0;
const deadline = Date.now() + durationMs;

async function lane(offset) {
  let i = offset;
  while (Date.now() < deadline) {
    const body = bodies[i++ % bodies.length];
    const res = await pool.request({
      path,
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    await res.body.dump();
    statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
    sent++;
  }
}

const started = Date.now();
await Promise.all(Array.from({ length: inFlight }, (_, k) => lane(k)));
const elapsedMs = Date.now() - started;
await pool.close();
parentPort.postMessage({ sent, statuses, elapsedMs });
