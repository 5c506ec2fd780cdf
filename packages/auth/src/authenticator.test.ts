import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AuthenticatorOptions, createAuthenticator } from './authenticator.js';
import type { CredentialStore, VerifyResult } from './credential-store.js';
import type { BasicCredentials, Credentials, TokenCredentials } from './credentials.js';
import { createPrincipal, type Principal } from './principal.js';

/** A store whose answers, availability and timing the test controls, counting its calls. */
class FakeStore implements CredentialStore {
  users = new Map<string, { password: string; principal: Principal; active: boolean }>();
  tokens = new Map<string, Principal>();
  down = false;
  throws = false;
  userCalls = 0;
  tokenCalls = 0;
  closed = false;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;
  #listeners = new Set<() => void>();

  addUser(name: string, password: string, active = true): Principal {
    const principal = createPrincipal({ name, scopes: ['write'] });
    this.users.set(name, { password, principal, active });
    return principal;
  }

  addToken(token: string, name: string): Principal {
    const principal = createPrincipal({ name, scopes: ['read'] });
    this.tokens.set(token, principal);
    return principal;
  }

  /** Holds every verification until release(). */
  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  release(): void {
    this.#open?.();
    this.#gate = undefined;
  }

  change(): void {
    for (const listener of this.#listeners) listener();
  }

  async #answer(fn: () => VerifyResult): Promise<VerifyResult> {
    if (this.#gate) await this.#gate;
    if (this.throws) throw new Error('store bug');
    if (this.down) return { ok: false, reason: 'unavailable', detail: 'connection refused' };
    return fn();
  }

  verifyUser(user: string, password: string): Promise<VerifyResult> {
    this.userCalls++;
    return this.#answer(() => {
      const entry = this.users.get(user);
      if (entry === undefined) return { ok: false, reason: 'unknown' };
      if (entry.password !== password) return { ok: false, reason: 'bad_secret' };
      if (!entry.active) return { ok: false, reason: 'inactive' };
      return { ok: true, principal: entry.principal };
    });
  }

  verifyToken(token: string): Promise<VerifyResult> {
    this.tokenCalls++;
    return this.#answer(() => {
      const principal = this.tokens.get(token);
      return principal ? { ok: true, principal } : { ok: false, reason: 'unknown' };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}

const basic = (user: string, password: string): BasicCredentials => ({ kind: 'basic', user, password });
const token = (value: string): TokenCredentials => ({ kind: 'token', token: value });

function setup(options: AuthenticatorOptions = {}) {
  const clock = { now: 1_000_000 };
  const store = new FakeStore();
  const auth = createAuthenticator(store, { now: () => clock.now, ...options });
  return { clock, store, auth };
}

/** Lets queued microtasks and promise chains run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('cache', () => {
  it('answers from the cache within the TTL and asks the store again after it', async () => {
    const { clock, store, auth } = setup({ cacheTtlMs: 60_000 });
    const alice = store.addUser('alice', 'pw');

    expect(await auth.authenticate(basic('alice', 'pw'))).toEqual({
      ok: true,
      principal: alice,
      cache: 'miss',
    });
    expect(await auth.authenticate(basic('alice', 'pw'))).toEqual({
      ok: true,
      principal: alice,
      cache: 'hit',
    });
    expect(store.userCalls).toBe(1);

    clock.now += 59_999;
    expect(await auth.authenticate(basic('alice', 'pw'))).toMatchObject({ ok: true, cache: 'hit' });
    clock.now += 1;
    expect(await auth.authenticate(basic('alice', 'pw'))).toMatchObject({ ok: true, cache: 'miss' });
    expect(store.userCalls).toBe(2);
    expect(auth.stats()).toMatchObject({ cacheHits: 2, cacheMisses: 2, verifications: 2, successes: 2 });
  });

  it('keys on the secret: another password is never a cache hit', async () => {
    const { store, auth } = setup();
    store.addUser('alice', 'pw');
    await auth.authenticate(basic('alice', 'pw'));
    expect(await auth.authenticate(basic('alice', 'PW'))).toMatchObject({ ok: false, reason: 'bad_secret' });
    expect(await auth.authenticate(basic('bob', 'pw'))).toMatchObject({ ok: false, reason: 'unknown' });
    expect(store.userCalls).toBe(3);
  });

  it('drops an entry once the store rejects it (password changed)', async () => {
    const { clock, store, auth } = setup({ cacheTtlMs: 1000 });
    store.addUser('alice', 'old');
    await auth.authenticate(basic('alice', 'old'));
    store.addUser('alice', 'new');
    clock.now += 1000;
    expect(await auth.authenticate(basic('alice', 'old'))).toMatchObject({ ok: false, reason: 'bad_secret' });
    // Even during an outage the old password is not served from the cache any more.
    store.down = true;
    expect(await auth.authenticate(basic('alice', 'old'))).toMatchObject({
      ok: false,
      reason: 'unavailable',
    });
  });

  it('is bounded, dropping the least recently used', async () => {
    const { store, auth } = setup({ maxCacheEntries: 2 });
    for (const name of ['a', 'b', 'c']) store.addUser(name, 'pw');
    await auth.authenticate(basic('a', 'pw'));
    await auth.authenticate(basic('b', 'pw'));
    await auth.authenticate(basic('a', 'pw'));
    await auth.authenticate(basic('c', 'pw'));
    expect(auth.stats()).toMatchObject({ cacheSize: 2, cacheEvictions: 1 });
    expect(await auth.authenticate(basic('a', 'pw'))).toMatchObject({ cache: 'hit' });
    expect(await auth.authenticate(basic('b', 'pw'))).toMatchObject({ cache: 'miss' });
  });

  it('is cleared when the store reports a change', async () => {
    const { store, auth } = setup();
    store.addUser('alice', 'pw');
    await auth.authenticate(basic('alice', 'pw'));
    store.change();
    expect(await auth.authenticate(basic('alice', 'pw'))).toMatchObject({ cache: 'miss' });
  });

  it('does not cache a result that was computed before a change', async () => {
    const { store, auth } = setup();
    store.addUser('alice', 'pw');
    store.hold();
    const pending = auth.authenticate(basic('alice', 'pw'));
    await settle();
    store.change();
    store.release();
    expect(await pending).toMatchObject({ ok: true, cache: 'miss' });
    expect(await auth.authenticate(basic('alice', 'pw'))).toMatchObject({ cache: 'miss' });
  });
});

describe('coalescing and concurrency', () => {
  it('verifies one credential once however many requests wait for it', async () => {
    const { store, auth } = setup();
    store.addUser('alice', 'pw');
    store.hold();
    const pending = Array.from({ length: 5 }, () => auth.authenticate(basic('alice', 'pw')));
    await settle();
    expect(auth.stats().inFlight).toBe(1);
    store.release();
    const results = await Promise.all(pending);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(store.userCalls).toBe(1);
    expect(auth.stats()).toMatchObject({ verifications: 1, coalesced: 4, inFlight: 0 });
  });

  it('does not coalesce different secrets of one user', async () => {
    const { store, auth } = setup();
    store.addUser('alice', 'pw');
    store.hold();
    const right = auth.authenticate(basic('alice', 'pw'));
    const wrong = auth.authenticate(basic('alice', 'guess'));
    await settle();
    store.release();
    expect((await right).ok).toBe(true);
    expect(await wrong).toMatchObject({ ok: false, reason: 'bad_secret' });
    expect(store.userCalls).toBe(2);
  });

  it('caps store calls in flight and refuses beyond the queue as busy', async () => {
    const { store, auth } = setup({ maxConcurrentVerifications: 2, maxQueuedVerifications: 1 });
    for (const name of ['a', 'b', 'c', 'd']) store.addUser(name, 'pw');
    store.hold();
    const pending = ['a', 'b', 'c', 'd'].map((name) => auth.authenticate(basic(name, 'pw')));
    await settle();
    // a and b run (token lookup first), c waits, d is refused at once.
    expect(store.tokenCalls).toBe(2);
    store.release();
    const results = await Promise.all(pending);
    expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['ok', 'ok', 'ok', 'busy']);
    expect(auth.stats()).toMatchObject({ busy: 1, failures: 0 });
  });
});

describe('failure rate limit', () => {
  it('refuses a source after its burst of failures, even with the right password', async () => {
    const { clock, store, auth } = setup({ rateLimit: { burst: 3, refillPerSecond: 1 } });
    store.addUser('alice', 'pw');
    for (let i = 0; i < 3; i++) {
      expect(await auth.authenticate(basic('alice', `guess${i}`), { source: '192.0.2.7' })).toMatchObject({
        reason: 'bad_secret',
      });
    }
    const limited = await auth.authenticate(basic('alice', 'pw'), { source: '192.0.2.7' });
    expect(limited).toMatchObject({ ok: false, reason: 'rate_limited', retryAfterMs: 1000 });
    const callsBefore = store.userCalls;
    await auth.authenticate(basic('alice', 'guess'), { source: '::ffff:192.0.2.7' });
    expect(store.userCalls).toBe(callsBefore);

    expect((await auth.authenticate(basic('alice', 'pw'), { source: '192.0.2.8' })).ok).toBe(true);
    expect((await auth.authenticate(basic('alice', 'pw'))).ok).toBe(true);

    clock.now += 1000;
    expect((await auth.authenticate(basic('alice', 'pw'), { source: '192.0.2.7' })).ok).toBe(true);
    expect(auth.stats()).toMatchObject({ failures: 3, rateLimited: 2 });
  });

  it('never charges successes or missing credentials', async () => {
    const { store, auth } = setup({ rateLimit: { burst: 1, refillPerSecond: 0.001 } });
    store.addUser('alice', 'pw');
    for (let i = 0; i < 5; i++) {
      expect((await auth.authenticate(basic('alice', 'pw'), { source: 's' })).ok).toBe(true);
      expect(await auth.authenticate({ kind: 'none' }, { source: 's' })).toMatchObject({ reason: 'missing' });
    }
    expect(auth.stats().rateLimitSources).toBe(0);
    expect(
      await auth.authenticate({ kind: 'invalid', code: 'bad_base64', reason: 'not base64' }, { source: 's' }),
    ).toEqual({
      ok: false,
      reason: 'invalid',
      message: 'not base64',
    });
    expect(await auth.authenticate(basic('alice', 'pw'), { source: 's' })).toMatchObject({
      reason: 'rate_limited',
    });
  });

  it('tracks a bounded number of sources', async () => {
    const { auth } = setup({ rateLimit: { burst: 5, refillPerSecond: 0.1, maxSources: 2 } });
    for (const source of ['a', 'b', 'c', 'd']) await auth.authenticate(basic('x', 'y'), { source });
    expect(auth.stats()).toMatchObject({ rateLimitSources: 2, rateLimitEvictions: 2 });
  });

  it('forgets sources whose bucket refilled before evicting anyone', async () => {
    const { clock, auth } = setup({ rateLimit: { burst: 2, refillPerSecond: 1, maxSources: 2 } });
    await auth.authenticate(basic('x', 'y'), { source: 'old' });
    clock.now += 5000;
    await auth.authenticate(basic('x', 'y'), { source: 'b' });
    await auth.authenticate(basic('x', 'y'), { source: 'c' });
    expect(auth.stats()).toMatchObject({ rateLimitSources: 2, rateLimitEvictions: 0 });
  });

  it('can be disabled', async () => {
    const { auth } = setup({ rateLimit: false });
    for (let i = 0; i < 20; i++) await auth.authenticate(basic('x', 'y'), { source: 's' });
    expect(auth.stats()).toMatchObject({ failures: 20, rateLimited: 0 });
  });
});

describe('store outage', () => {
  it('serves known principals past their TTL, fails closed for the rest', async () => {
    const { clock, store, auth } = setup({ cacheTtlMs: 1000, maxStaleMs: 60_000 });
    const alice = store.addUser('alice', 'pw');
    const grafana = store.addToken('tok', 'grafana');
    await auth.authenticate(basic('alice', 'pw'));
    await auth.authenticate(token('tok'));

    store.down = true;
    clock.now += 30_000;
    expect(await auth.authenticate(basic('alice', 'pw'))).toEqual({
      ok: true,
      principal: alice,
      cache: 'stale',
    });
    expect(await auth.authenticate(token('tok'))).toEqual({ ok: true, principal: grafana, cache: 'stale' });
    expect(await auth.authenticate(basic('alice', 'other'))).toMatchObject({
      ok: false,
      reason: 'unavailable',
    });
    expect(await auth.authenticate(basic('bob', 'pw'))).toMatchObject({ ok: false, reason: 'unavailable' });
    expect(auth.stats()).toMatchObject({ staleHits: 2, unavailable: 2, failures: 0 });

    clock.now += 31_001;
    expect(await auth.authenticate(basic('alice', 'pw'))).toMatchObject({ ok: false, reason: 'unavailable' });

    store.down = false;
    expect(await auth.authenticate(basic('alice', 'pw'))).toMatchObject({ ok: true, cache: 'miss' });
  });

  it('does not charge the rate limit for an outage', async () => {
    const { store, auth } = setup({ rateLimit: { burst: 1, refillPerSecond: 0.001 } });
    store.down = true;
    for (let i = 0; i < 3; i++) {
      expect(await auth.authenticate(basic('a', 'b'), { source: 's' })).toMatchObject({
        reason: 'unavailable',
      });
    }
  });

  it('treats a throwing store as unavailable and never throws itself', async () => {
    const { store, auth } = setup();
    store.addUser('alice', 'pw');
    await auth.authenticate(basic('alice', 'pw'));
    store.throws = true;
    auth.clearCache();
    expect(await auth.authenticate(basic('alice', 'pw'))).toMatchObject({ ok: false, reason: 'unavailable' });
  });
});

describe('credential kinds', () => {
  it('authenticates Basic credentials whose password is a token, whatever the user', async () => {
    const { store, auth } = setup();
    const ingest = store.addToken('write-token', 'ingest');
    expect(await auth.authenticate(basic('metrics', 'write-token'))).toMatchObject({
      ok: true,
      principal: ingest,
    });
    expect(await auth.authenticate(basic('', 'write-token'))).toMatchObject({ ok: true, principal: ingest });
    expect(store.userCalls).toBe(0);
  });

  it('does not try an empty user as a user', async () => {
    const { store, auth } = setup();
    expect(await auth.authenticate(basic('', 'nope'))).toMatchObject({ ok: false, reason: 'unknown' });
    expect(store.userCalls).toBe(0);
  });

  it('reports the more telling failure of the token and user attempts', async () => {
    const { store, auth } = setup();
    store.addUser('alice', 'pw');
    store.addUser('dormant', 'pw', false);
    expect(await auth.authenticate(basic('alice', 'nope'))).toMatchObject({ reason: 'bad_secret' });
    expect(await auth.authenticate(basic('dormant', 'pw'))).toMatchObject({ reason: 'inactive' });
  });

  it('authenticates bearer tokens without touching users', async () => {
    const { store, auth } = setup();
    store.addToken('t1', 'reader');
    expect((await auth.authenticate(token('t1'))).ok).toBe(true);
    expect(await auth.authenticate(token('t2'))).toMatchObject({ ok: false, reason: 'unknown' });
    expect(store.userCalls).toBe(0);
  });

  it('never puts a secret into a message', async () => {
    const { store, auth } = setup({ rateLimit: { burst: 1, refillPerSecond: 0.001 } });
    store.addUser('alice', 'Zq9-right');
    const results = [
      await auth.authenticate(basic('alice', 'Zq9-wrong'), { source: 's' }),
      await auth.authenticate(basic('alice', 'Zq9-right'), { source: 's' }),
      await auth.authenticate(token('Zq9-token')),
    ];
    for (const result of results) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).not.toContain('Zq9');
    }
  });
});

describe('lifecycle and robustness', () => {
  it('close() unsubscribes and closes the store', async () => {
    const { store, auth } = setup();
    expect(store.listenerCount).toBe(1);
    await auth.close();
    expect(store.listenerCount).toBe(0);
    expect(store.closed).toBe(true);
  });

  it('rejects bad options at construction', () => {
    const store = new FakeStore();
    expect(() => createAuthenticator(store, { cacheTtlMs: -1 })).toThrow(/cacheTtlMs/);
    expect(() => createAuthenticator(store, { maxCacheEntries: 0 })).toThrow(/maxCacheEntries/);
    expect(() => createAuthenticator(store, { rateLimit: { refillPerSecond: 0 } })).toThrow(
      /refillPerSecond/,
    );
  });

  it('never throws, whatever the credentials and store behaviour', async () => {
    const credentials: fc.Arbitrary<Credentials> = fc.oneof(
      fc.constant({ kind: 'none' as const }),
      fc.record({
        kind: fc.constant('basic' as const),
        user: fc.string({ maxLength: 5 }),
        password: fc.string({ maxLength: 5 }),
      }),
      fc.record({ kind: fc.constant('token' as const), token: fc.string({ maxLength: 5 }) }),
      fc.record({
        kind: fc.constant('invalid' as const),
        code: fc.constant('empty' as const),
        reason: fc.string(),
      }),
      fc.anything() as fc.Arbitrary<Credentials>,
    );
    const step = fc.record({
      credentials,
      source: fc.option(fc.constantFrom('a', 'b', '::ffff:1.2.3.4'), { nil: undefined }),
      advanceMs: fc.integer({ min: 0, max: 120_000 }),
      down: fc.boolean(),
      throws: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 20 }), async (steps) => {
        const { clock, store, auth } = setup({
          rateLimit: { burst: 3, refillPerSecond: 0.1, maxSources: 2 },
          maxCacheEntries: 3,
        });
        store.addUser('a', 'b');
        store.addToken('t', 'tok');
        for (const s of steps) {
          clock.now += s.advanceMs;
          store.down = s.down;
          store.throws = s.throws && s.down;
          const result = await auth.authenticate(s.credentials, { source: s.source });
          expect(typeof result.ok).toBe('boolean');
        }
        const stats = auth.stats();
        expect(stats.cacheSize).toBeLessThanOrEqual(3);
        expect(stats.rateLimitSources).toBeLessThanOrEqual(2);
        expect(stats.inFlight).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
