// Per-request cost of authentication once a credential is cached (the hot path of the proxy),
// next to the cost of one real verification. Run with `pnpm bench`.
import os from 'node:os';
import {
  applyForcedTags,
  authorizeWrite,
  type Credentials,
  createAuthenticator,
  createStaticStore,
  credentialsFromHeaders,
  extractTagCredentials,
  hashPassword,
  hashToken,
} from '../src/index.js';

const ITERATIONS = 200_000;
const TRIALS = 5;

async function timeAsync(label: string, fn: () => Promise<unknown>, iterations = ITERATIONS): Promise<void> {
  const perOp: number[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await fn();
    perOp.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  perOp.sort((a, b) => a - b);
  const median = perOp[Math.floor(TRIALS / 2)] ?? 0;
  console.log(
    `${label.padEnd(48)} ${median.toFixed(0).padStart(8)} ns/op  (${(1e9 / median).toFixed(0)} ops/s)`,
  );
}

function timeSync(label: string, fn: () => unknown): Promise<void> {
  return timeAsync(label, async () => fn(), ITERATIONS);
}

async function main(): Promise<void> {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  console.log(`@otsdb/auth bench — ${cpu}, ${os.cpus().length} cores, node ${process.version}`);

  const token = 'bench-token-0123456789abcdef';
  const store = createStaticStore({
    users: {
      alice: {
        password: await hashPassword('alice-password'),
        metrics: ['sys.*', 'app.*'],
        forcedTags: { tenant: 'alice' },
      },
    },
    tokens: [{ name: 'ingest', sha256: hashToken(token) }],
  });
  const auth = createAuthenticator(store, { cacheTtlMs: 3_600_000 });
  const basic: Credentials = { kind: 'basic', user: 'alice', password: 'alice-password' };
  const bearer: Credentials = { kind: 'token', token };

  const first = await auth.authenticate(basic);
  if (!first.ok) throw new Error('bench setup: alice did not authenticate');
  await auth.authenticate(bearer);
  const principal = first.principal;

  await timeAsync(
    'one scrypt verification (cache miss, default N)',
    async () => {
      auth.clearCache();
      await auth.authenticate(basic);
    },
    20,
  );
  await timeAsync('authenticate basic, cache hit', () => auth.authenticate(basic, { source: '192.0.2.1' }));
  await timeAsync('authenticate bearer, cache hit', () => auth.authenticate(bearer, { source: '192.0.2.1' }));
  const headers = {
    authorization: `Basic ${Buffer.from('alice:alice-password').toString('base64')}`,
    host: 'x',
  };
  await timeSync('credentialsFromHeaders (Basic)', () => credentialsFromHeaders(headers));
  const tags = { host: 'web01', dc: 'lga', user: 'alice', password: 'alice-password' };
  await timeSync('extractTagCredentials (4 tags)', () => extractTagCredentials(tags));
  const point = { metric: 'app.web.requests' };
  await timeSync('authorizeWrite (2 patterns)', () => authorizeWrite(principal, point));
  await timeSync('applyForcedTags (1 forced, 2 tags)', () =>
    applyForcedTags(principal, { host: 'web01', dc: 'lga' }),
  );
  await auth.close();
}

await main();
