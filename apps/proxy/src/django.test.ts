import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, runProcess, simpleRequest, type TempDir } from '@otsdb/testkit';
import { type PostgresHarness, startPostgres } from '@otsdb/testkit/postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openTelnet } from './__fixtures__/telnet-client.js';
import { createMockBackend, type MockBackend } from './backends/mock-backend.js';
import { type ProxyHandle, startProxy } from './proxy.js';

/** Users hashed by Django's own make_password (@otsdb/auth's fixture script). */
const SCRIPT = fileURLToPath(
  new URL('../../../packages/auth/test/fixtures/make_django_users.py', import.meta.url),
);
const PG_PASSWORD = 'pg-secret-for-tests';

interface DjangoUser {
  username: string;
  password: string;
  algorithm: string;
  encoded: string;
  is_active: boolean;
}

let postgres: PostgresHarness;
let users: DjangoUser[];
let dir: TempDir;
const proxies: ProxyHandle[] = [];

// Django 3.2's auth_user on PostgreSQL (manage.py sqlmigrate auth 0012, flattened).
const AUTH_USER_DDL = `CREATE TABLE auth_user (
  id serial PRIMARY KEY, password varchar(128) NOT NULL, last_login timestamp with time zone NULL,
  is_superuser boolean NOT NULL, username varchar(150) NOT NULL UNIQUE, first_name varchar(150) NOT NULL,
  last_name varchar(150) NOT NULL, email varchar(254) NOT NULL, is_staff boolean NOT NULL,
  is_active boolean NOT NULL, date_joined timestamp with time zone NOT NULL);`;

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

beforeAll(async () => {
  const [pgHarness, made] = await Promise.all([
    startPostgres({ database: 'django', password: PG_PASSWORD }),
    runProcess('/usr/bin/python3', [SCRIPT], { timeoutMs: 60_000 }),
  ]);
  postgres = pgHarness;
  if (made.exitCode !== 0) throw new Error(`make_django_users.py failed: ${made.stderr}`);
  users = (JSON.parse(made.stdout) as { users: DjangoUser[] }).users;
  const inserts = users
    .map(
      (u) =>
        `INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) VALUES (${quote(u.encoded)}, false, ${quote(u.username)}, '', '', '', false, ${u.is_active}, now());`,
    )
    .join('\n');
  await postgres.query(`${AUTH_USER_DDL}\n${inserts}`);
  dir = await makeTempDir('proxy-django-');
}, 120_000);

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.stop({ timeoutMs: 2000 })));
});
afterAll(async () => {
  await postgres?.stop();
  await dir?.remove();
});

async function start(): Promise<ProxyHandle> {
  const passwordFile = join(dir.path, 'pg-password');
  await writeFile(passwordFile, `${PG_PASSWORD}\n`, { mode: 0o600 });
  const proxy = await startProxy(
    {
      listeners: { telnet: { port: 0 }, http: { port: 0 } },
      auth: {
        mode: 'django',
        django: { url: `postgres://postgres@127.0.0.1:${postgres.port}/django`, passwordFile },
        cacheTtlMs: 60_000,
        failureLimit: false,
      },
    },
    { backend: createMockBackend() },
  );
  proxies.push(proxy);
  return proxy;
}

const user = (name: string) => users.find((u) => u.username === name)!;
const line = (metric: string, u: string, p: string) =>
  `put ${metric} 1700000000 1 host=a user=${u} password=${p}\n`;

describe('Django users in PostgreSQL', () => {
  it('accepts passwords hashed by every Django hasher and refuses the rest (HTTP Basic)', async () => {
    const proxy = await start();
    const put = (u: string, p: string) =>
      simpleRequest(`http://127.0.0.1:${proxy.ports.http}/api/put`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` },
        body: JSON.stringify({ metric: `dj.${u}`, timestamp: 1_700_000_000, value: 1, tags: { host: 'a' } }),
      });
    const active = users.filter((u) => u.is_active && u.algorithm !== 'unusable');
    expect(active.map((u) => u.algorithm).sort()).toEqual(
      ['argon2', 'bcrypt', 'bcrypt_sha256', 'pbkdf2_sha1', 'pbkdf2_sha256'].sort(),
    );
    for (const u of active) expect((await put(u.username, u.password)).status, u.algorithm).toBe(204);
    const detail = async (u: string, p: string) => {
      const r = await put(u, p);
      return [r.status, JSON.parse(r.body).error.details];
    };
    expect(await detail('mallory', user('mallory').password)).toEqual([
      401,
      'account disabled or token expired',
    ]);
    expect(await detail('alice', 'not her password')).toEqual([401, 'invalid credentials']);
    expect(await detail('nobody', 'whatever')).toEqual([401, 'invalid credentials']);
    expect(await detail('frank', 'anything')).toEqual([401, 'invalid credentials']);
    expect((proxy.backend as MockBackend).points.map((p) => p.metric)).toEqual(
      active.map((u) => `dj.${u.username}`),
    );
  });

  it('takes user/password tags on telnet lines, non-ASCII passwords included', async () => {
    const bob = user('bob');
    const proxy = await start();
    const s = await openTelnet(proxy.ports.telnet!);
    s.write(line('dj.bob', 'bob', bob.password));
    s.write(line('dj.bob', 'bob', 'wrong'));
    expect(await s.end(30_000)).toEqual(['put: unauthorized: invalid credentials']);
    expect((proxy.backend as MockBackend).points.map((p) => [p.metric, p.tags])).toEqual([
      ['dj.bob', { host: 'a' }],
    ]);
  });

  it('serves known users from the cache while the database is down and fails closed for others', async () => {
    const bob = user('bob');
    const proxy = await start();
    const first = await openTelnet(proxy.ports.telnet!);
    first.write(line('dj.before', 'bob', bob.password));
    expect(await first.end(30_000)).toEqual([]);
    await postgres.stopServer();
    try {
      const s = await openTelnet(proxy.ports.telnet!);
      s.write(line('dj.during', 'bob', bob.password));
      s.write(line('dj.during', 'someone-else', 'secret'));
      expect(await s.end(30_000)).toEqual([
        'put: unauthorized: credential store unavailable; try again later',
      ]);
    } finally {
      await postgres.startServer();
    }
    expect((proxy.backend as MockBackend).points.map((p) => p.metric)).toEqual(['dj.before', 'dj.during']);
  });
});
