import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type PostgresHarness, startPostgres } from './postgres.js';

const started: PostgresHarness[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((pg) => pg.stop()));
});

async function start(options?: Parameters<typeof startPostgres>[0]): Promise<PostgresHarness> {
  const pg = await startPostgres(options);
  started.push(pg);
  return pg;
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startPostgres', () => {
  it('starts a cluster on loopback, creates the database, survives an outage and cleans up', async () => {
    const pg = await start({ database: 'harness_check' });
    expect(pg.host).toBe('127.0.0.1');
    expect(pg.connectionString).toBe(`postgres://postgres@127.0.0.1:${pg.port}/harness_check`);
    expect(await tcpAccepts(pg.port)).toBe(true);
    expect(await pg.query('select current_database()')).toBe('harness_check');

    await pg.query('create table t (v int); insert into t values (41), (1);');
    expect(await pg.query('select sum(v) from t')).toBe('42');

    await pg.stopServer();
    expect(pg.running).toBe(false);
    expect(await tcpAccepts(pg.port)).toBe(false);
    await expect(pg.query('select 1')).rejects.toThrow(/psql/);

    await pg.startServer();
    expect(pg.running).toBe(true);
    expect(await pg.query('select sum(v) from t')).toBe('42');

    await pg.stop();
    await pg.stop();
    expect(existsSync(pg.dir)).toBe(false);
    expect(await tcpAccepts(pg.port)).toBe(false);
  });

  it('reports SQL errors instead of ignoring them', async () => {
    const pg = await start();
    await expect(pg.query('select * from no_such_table')).rejects.toThrow(/no_such_table/);
  });

  it('requires the password when started with one', async () => {
    const pg = await start({ password: 's3cret pw' });
    expect(pg.connectionString).toBe(`postgres://postgres:s3cret%20pw@127.0.0.1:${pg.port}/otsdb_test`);
    expect(await pg.query('select 1')).toBe('1');
    const hba = await pg.query("select count(*) from pg_hba_file_rules where auth_method = 'trust'");
    expect(hba).toBe('0');
  });

  it('rejects an unsafe database name before touching the system', async () => {
    await expect(startPostgres({ database: 'x; drop' })).rejects.toThrow(/database name/);
  });
});
