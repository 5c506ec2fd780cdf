import { type PostgresHarness, startPostgres } from '@otsdb/testkit/postgres';
import { waitFor } from '@otsdb/testkit/wait-for';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DjangoFixture, makeDjangoUsers } from '../test/django-fixture.js';
import { createAuthenticator } from './authenticator.js';
import type { CredentialStore } from './credential-store.js';
import { createDjangoStore, type DjangoStoreOptions } from './django-store.js';
import type { AuthLogger } from './logger.js';

let postgres: PostgresHarness;
let fixture: DjangoFixture;
const stores: CredentialStore[] = [];

// Django 3.2's auth_user on PostgreSQL (manage.py sqlmigrate auth 0012, flattened).
const AUTH_USER_DDL = `
CREATE TABLE auth_user (
  id serial PRIMARY KEY,
  password varchar(128) NOT NULL,
  last_login timestamp with time zone NULL,
  is_superuser boolean NOT NULL,
  username varchar(150) NOT NULL UNIQUE,
  first_name varchar(150) NOT NULL,
  last_name varchar(150) NOT NULL,
  email varchar(254) NOT NULL,
  is_staff boolean NOT NULL,
  is_active boolean NOT NULL,
  date_joined timestamp with time zone NOT NULL
);`;

beforeAll(async () => {
  [postgres, fixture] = await Promise.all([startPostgres({ database: 'django' }), makeDjangoUsers()]);
  const client = new pg.Client({ connectionString: postgres.connectionString });
  await client.connect();
  try {
    await client.query(AUTH_USER_DDL);
    for (const user of fixture.users) {
      await client.query(
        `INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
         VALUES ($1, false, $2, '', '', $3, false, $4, now())`,
        [user.encoded, user.username, `${user.username}@example.com`, user.is_active],
      );
    }
  } finally {
    await client.end();
  }
}, 120_000);

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

afterAll(async () => {
  await postgres?.stop();
});

function djangoStore(options: Partial<DjangoStoreOptions> = {}) {
  const store = createDjangoStore({ connectionString: postgres.connectionString, ...options });
  stores.push(store);
  return store;
}

function user(name: string) {
  const found = fixture.users.find((u) => u.username === name);
  if (found === undefined) throw new Error(`fixture has no user ${name}`);
  return found;
}

function recordingLogger() {
  const lines: string[] = [];
  const record = (obj: object, msg: string) => lines.push(`${msg} ${JSON.stringify(obj)}`);
  const logger: AuthLogger = { debug: record, info: record, warn: record, error: record };
  return { logger, lines };
}

describe('Django store on a real PostgreSQL', () => {
  it('accepts every Django hasher with the right password', async () => {
    const store = djangoStore();
    const usable = fixture.users.filter((u) => u.is_active && u.algorithm !== 'unusable');
    expect(usable.map((u) => u.algorithm).sort()).toEqual([
      'argon2',
      'bcrypt',
      'bcrypt_sha256',
      'pbkdf2_sha1',
      'pbkdf2_sha256',
    ]);
    for (const u of usable) {
      const result = await store.verifyUser(u.username, u.password);
      expect(result, `${u.username} (${u.algorithm})`).toMatchObject({
        ok: true,
        principal: { name: u.username },
      });
      if (result.ok) expect([...result.principal.scopes]).toEqual(['write']);
    }
  });

  it('rejects a wrong password, an inactive user, an unknown user and an unusable password', async () => {
    const { logger, lines } = recordingLogger();
    const store = djangoStore({ logger });
    expect(await store.verifyUser('alice', `${user('alice').password}x`)).toEqual({
      ok: false,
      reason: 'bad_secret',
    });
    expect(await store.verifyUser('carol', 'wrong')).toEqual({ ok: false, reason: 'bad_secret' });
    expect(await store.verifyUser('mallory', user('mallory').password)).toMatchObject({
      ok: false,
      reason: 'inactive',
    });
    expect(await store.verifyUser('mallory', 'wrong')).toEqual({ ok: false, reason: 'bad_secret' });
    expect(await store.verifyUser('nobody', 'whatever')).toEqual({ ok: false, reason: 'unknown' });
    expect(await store.verifyUser('frank', 'anything')).toMatchObject({ ok: false, reason: 'bad_secret' });
    expect(await store.verifyUser("alice' OR '1'='1", user('alice').password)).toEqual({
      ok: false,
      reason: 'unknown',
    });
    expect(await store.verifyUser('ALICE', user('alice').password)).toEqual({ ok: false, reason: 'unknown' });
    expect(await store.verifyToken(user('alice').password)).toEqual({ ok: false, reason: 'unknown' });
    for (const u of fixture.users) for (const line of lines) expect(line).not.toContain(u.password);
  });

  it('gives Django users the configured scopes, metric patterns and forced tags', async () => {
    const store = djangoStore({
      scopes: ['write', 'read'],
      metricPatterns: ['tenant.*'],
      forcedTags: { source: 'django' },
    });
    const result = await store.verifyUser('alice', user('alice').password);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect([...result.principal.scopes]).toEqual(['write', 'read']);
    expect(result.principal.metricPatterns?.matches('tenant.x')).toBe(true);
    expect(result.principal.metricPatterns?.matches('other.x')).toBe(false);
    expect(result.principal.forcedTags).toEqual({ source: 'django' });
  });

  it('reports a missing table as unavailable, not as a bad credential', async () => {
    const store = djangoStore({ table: 'public.no_such_table' });
    expect(await store.verifyUser('alice', user('alice').password)).toMatchObject({
      ok: false,
      reason: 'unavailable',
      detail: expect.stringContaining('42P01'),
    });
  });

  it('bounds a blocked query with the statement timeout', async () => {
    const store = djangoStore({ statementTimeoutMs: 300 });
    // Another session takes an exclusive lock on auth_user and then waits for an advisory lock
    // this test holds, so the lock lasts exactly as long as the test needs (no sleeps).
    const holder = new pg.Client({ connectionString: postgres.connectionString });
    await holder.connect();
    let locker: Promise<string> | undefined;
    try {
      await holder.query('SELECT pg_advisory_lock(4242)');
      locker = postgres.query(
        'BEGIN; LOCK TABLE auth_user IN ACCESS EXCLUSIVE MODE; SELECT pg_advisory_lock(4242); COMMIT;',
      );
      await waitFor(
        async () =>
          (await postgres.query(
            "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND relation = 'auth_user'::regclass AND granted",
          )) === '1',
        { description: 'exclusive lock held by the other session', timeoutMs: 30_000 },
      );
      expect(await store.verifyUser('alice', user('alice').password)).toMatchObject({
        ok: false,
        reason: 'unavailable',
      });
    } finally {
      await holder.query('SELECT pg_advisory_unlock(4242)').catch(() => undefined);
      await holder.end();
      await locker;
    }
  });

  it('rejects bad options', () => {
    expect(() =>
      createDjangoStore({ connectionString: 'postgres://x', table: 'auth_user; drop table x' }),
    ).toThrow(/table/);
    expect(() => createDjangoStore({})).toThrow(/connectionString or pool/);
    expect(() => createDjangoStore({ connectionString: 'postgres://x', metricPatterns: ['a b'] })).toThrow(
      /metricPatterns/,
    );
  });
});

describe('database outage behind an authenticator', () => {
  it('keeps cached principals working and fails closed for the rest, then recovers', async () => {
    const { logger, lines } = recordingLogger();
    const clock = { now: 1_000_000 };
    const store = djangoStore({ logger, connectionTimeoutMs: 1000 });
    const auth = createAuthenticator(store, {
      now: () => clock.now,
      cacheTtlMs: 1000,
      maxStaleMs: 60_000,
      logger,
    });
    const alice = { kind: 'basic' as const, user: 'alice', password: user('alice').password };
    const erin = { kind: 'basic' as const, user: 'erin', password: user('erin').password };

    expect(await auth.authenticate(alice, { source: '127.0.0.1' })).toMatchObject({
      ok: true,
      cache: 'miss',
    });
    await postgres.stopServer();
    try {
      clock.now += 5000;
      expect(await auth.authenticate(alice, { source: '127.0.0.1' })).toMatchObject({
        ok: true,
        principal: { name: 'alice' },
        cache: 'stale',
      });
      expect(await auth.authenticate(erin, { source: '127.0.0.1' })).toMatchObject({
        ok: false,
        reason: 'unavailable',
      });
      expect(await auth.authenticate({ ...alice, password: 'guess' })).toMatchObject({
        ok: false,
        reason: 'unavailable',
      });
      expect(auth.stats()).toMatchObject({ staleHits: 1, unavailable: 2, failures: 0 });
    } finally {
      await postgres.startServer();
    }
    // The pool reconnects on its own once the database is back.
    await waitFor(async () => (await auth.authenticate(erin)).ok, {
      description: 'erin after the database restart',
    });
    expect(await auth.authenticate(alice)).toMatchObject({ ok: true, cache: 'miss' });
    expect(lines.some((line) => line.includes('Django user lookup failed'))).toBe(true);
    for (const u of fixture.users) for (const line of lines) expect(line).not.toContain(u.password);
  });
});
