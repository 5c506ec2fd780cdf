import { type FakeTsd, type FakeTsdOptions, startFakeTsd } from '@otsdb/testkit/fake-tsd';
import { afterEach } from 'vitest';
import { Client, type ClientOptions } from '../index.js';

/** Small backoff so fault tests run in milliseconds, not seconds. */
export const fastRetry = { initialDelayMs: 10, maxDelayMs: 50, multiplier: 2, jitter: 0 };

/** A fixed second for points whose timestamp does not matter. */
export const T0 = 1_700_000_000;

const clients: Client[] = [];
const tsds: FakeTsd[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 0 })));
  await Promise.all(tsds.splice(0).map((t) => t.close()));
});

/** A client closed after the test, with test-friendly defaults (fixed host tag, fast retry). */
export function client(options: ClientOptions): Client {
  const c = new Client({ hostTag: 'testhost', backoff: fastRetry, connectTimeoutMs: 2000, ...options });
  clients.push(c);
  return c;
}

export function track(c: Client): Client {
  clients.push(c);
  return c;
}

/** A fake TSD (testkit), closed after the test. */
export async function fakeTsd(options: Partial<FakeTsdOptions> = {}): Promise<FakeTsd> {
  const tsd = await startFakeTsd({ protocol: 'telnet', ...options });
  tsds.push(tsd);
  return tsd;
}

/** A fake TSD that is down (port known, nothing listening); `start()` brings it up. */
export async function downTsd(options: Partial<FakeTsdOptions> = {}): Promise<FakeTsd> {
  const tsd = await fakeTsd(options);
  await tsd.stop();
  return tsd;
}

export const at = (tsd: { port: number }) => `127.0.0.1:${tsd.port}`;

/** The value field of recorded telnet put lines. */
export const valuesOf = (lines: readonly string[]) => lines.map((l) => l.split(' ')[3]);
