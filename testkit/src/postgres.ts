/**
 * A throwaway PostgreSQL cluster for integration tests: its own data directory, a Unix socket
 * in that directory, TCP on 127.0.0.1 only, a free port, and nothing left behind on stop().
 *
 * PostgreSQL refuses to run as root, so as root every PostgreSQL binary runs through
 * `runuser -u postgres` (the `postgres` system user is created when missing); as any other
 * user the binaries run directly.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerExitCleanup } from './exit-cleanup.js';

export interface PostgresOptions {
  /** Database created after start. Default `otsdb_test`. */
  database?: string;
  /**
   * When set, the cluster is initialised with scram-sha-256 authentication and this password
   * for the `postgres` user; otherwise every local connection is trusted.
   */
  password?: string;
  /** Upper bound for initdb, start and stop, each. Default 60 s. */
  timeoutMs?: number;
  /** Directory holding initdb/pg_ctl/psql/createdb. Default: found under /usr/lib/postgresql. */
  binDir?: string;
}

export interface PostgresHarness {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: 'postgres';
  readonly password: string | undefined;
  readonly database: string;
  /** `postgres://postgres[:password]@127.0.0.1:<port>/<database>` */
  readonly connectionString: string;
  /** The temp directory (data directory, socket and server log live below it). */
  readonly dir: string;
  /** Runs SQL through psql (ON_ERROR_STOP) and resolves with its unaligned, tuples-only output. */
  query(sql: string): Promise<string>;
  /** Stops the server abruptly (`-m immediate`), keeping the data: simulates a database outage. */
  stopServer(): Promise<void>;
  /** Starts a server stopped with stopServer() again, on the same port. */
  startServer(): Promise<void>;
  /** Whether the server is currently started (by this harness). */
  readonly running: boolean;
  /** Stops the server and removes the directory. Idempotent; never throws. */
  stop(): Promise<void>;
  /** The server log so far (for assertion messages when something fails). */
  log(): string;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const START_ATTEMPTS = 3;

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresHarness> {
  const database = options.database ?? 'otsdb_test';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) {
    throw new Error(`database name '${database}' must match [a-z_][a-z0-9_]{0,62}`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const binDir = options.binDir ?? findBinDir();
  const runAs = await prepareRunAs(timeoutMs);

  const dir = await mkdtemp(join(tmpdir(), 'otsdb-pg-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const harnessState: LiveCluster = {
    pgCtl: join(binDir, 'pg_ctl'),
    dataDir,
    dir,
    runAs,
    running: false,
    unregister: () => undefined,
  };
  // A test process that dies (vitest ends workers with SIGTERM) must not leave a postmaster behind.
  harnessState.unregister = registerExitCleanup(() => stopSync(harnessState));

  const run = (binary: string, args: string[], extra: RunOptions = {}) =>
    runCommand(runAs, join(binDir, binary), args, { timeoutMs, ...extra });

  try {
    if (runAs !== undefined) await chown(dir, runAs.uid, runAs.gid);
    const initArgs = ['-D', dataDir, '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'];
    if (options.password !== undefined) {
      const pwFile = join(dir, 'pwfile');
      await writeFile(pwFile, options.password + '\n', { mode: 0o600 });
      if (runAs !== undefined) await chown(pwFile, runAs.uid, runAs.gid);
      initArgs.push('-A', 'scram-sha-256', `--pwfile=${pwFile}`);
    } else {
      initArgs.push('-A', 'trust');
    }
    await run('initdb', initArgs);
    await rm(join(dir, 'pwfile'), { force: true });

    let port = 0;
    const start = async () => {
      await run('pg_ctl', [
        '-D',
        dataDir,
        '-l',
        logFile,
        '-w',
        '-t',
        String(Math.ceil(timeoutMs / 1000)),
        '-o',
        // pg_ctl hands -o to a shell; the quotes guard tmpdir(). fsync=off only risks data on an OS crash;
        // synchronous_commit stays on so committed rows survive stopServer()'s immediate shutdown.
        `-p ${port} -k '${dir}' -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`,
        'start',
      ]);
      harnessState.running = true;
    };

    let lastError: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      port = await freePort();
      try {
        await start();
        lastError = undefined;
        break;
      } catch (error) {
        // Another process may take the port between freePort() and bind(); try a new one.
        lastError = error;
      }
    }
    if (lastError !== undefined) throw lastError;

    const env = options.password === undefined ? {} : { PGPASSWORD: options.password };
    const client = (binary: string, args: string[], input?: string) =>
      run(binary, ['-h', dir, '-p', String(port), '-U', 'postgres', ...args], {
        env,
        ...(input === undefined ? {} : { input }),
      });
    await client('createdb', [database]);

    const encodedPassword = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}`;
    let stopping: Promise<void> | undefined;
    const harness: PostgresHarness = {
      host: '127.0.0.1',
      port,
      user: 'postgres',
      password: options.password,
      database,
      connectionString: `postgres://postgres${encodedPassword}@127.0.0.1:${port}/${database}`,
      dir,
      get running() {
        return harnessState.running;
      },
      async query(sql: string) {
        const { stdout } = await client(
          'psql',
          ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', database, '-f', '-'],
          sql,
        );
        return stdout.trim();
      },
      async stopServer() {
        if (!harnessState.running) return;
        await run('pg_ctl', [
          '-D',
          dataDir,
          '-m',
          'immediate',
          '-w',
          '-t',
          String(Math.ceil(timeoutMs / 1000)),
          'stop',
        ]);
        harnessState.running = false;
      },
      async startServer() {
        if (harnessState.running) return;
        await start();
      },
      stop() {
        stopping ??= teardown(harnessState, timeoutMs);
        return stopping;
      },
      log() {
        try {
          return readFileSync(logFile, 'utf8');
        } catch {
          return '';
        }
      },
    };
    return harness;
  } catch (error) {
    const serverLog = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-4000) : '';
    await teardown(harnessState, timeoutMs);
    throw new Error(
      `could not start PostgreSQL: ${(error as Error).message}${serverLog ? `\nserver log:\n${serverLog}` : ''}`,
      { cause: error },
    );
  }
}

interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

interface LiveCluster {
  pgCtl: string;
  dataDir: string;
  dir: string;
  runAs: RunAs | undefined;
  running: boolean;
  unregister: () => void;
}

interface RunOptions {
  timeoutMs?: number;
  env?: Record<string, string>;
  input?: string;
}

/** Synchronous, for process exit: only synchronous work is possible there. */
function stopSync(cluster: LiveCluster): void {
  try {
    if (cluster.running) {
      const args = ['-D', cluster.dataDir, '-m', 'immediate', '-w', '-t', '10', 'stop'];
      const [file, argv] =
        cluster.runAs === undefined
          ? [cluster.pgCtl, args]
          : ['runuser', ['-u', cluster.runAs.user, '--', cluster.pgCtl, ...args]];
      execFileSync(file, argv, { stdio: 'ignore', timeout: 15_000 });
    }
  } catch {
    killPostmaster(cluster.dataDir);
  }
  rmSync(cluster.dir, { recursive: true, force: true });
}

async function teardown(cluster: LiveCluster, timeoutMs: number): Promise<void> {
  try {
    if (cluster.running || existsSync(join(cluster.dataDir, 'postmaster.pid'))) {
      try {
        await runCommand(
          cluster.runAs,
          cluster.pgCtl,
          ['-D', cluster.dataDir, '-m', 'immediate', '-w', '-t', String(Math.ceil(timeoutMs / 1000)), 'stop'],
          { timeoutMs },
        );
      } catch {
        killPostmaster(cluster.dataDir);
      }
      cluster.running = false;
    }
  } finally {
    cluster.unregister();
    await rm(cluster.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Last resort when pg_ctl stop fails: the first line of postmaster.pid is the postmaster's pid. */
function killPostmaster(dataDir: string): void {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 1) process.kill(pid, 'SIGQUIT');
  } catch {
    // Already gone.
  }
}

function findBinDir(): string {
  const candidates = [
    '/usr/lib/postgresql/15/bin',
    '/usr/lib/postgresql/16/bin',
    '/usr/lib/postgresql/17/bin',
  ];
  for (const dir of candidates) {
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', timeout: 10_000 }).trim();
    if (existsSync(join(dir, 'initdb'))) return dir;
  } catch {
    // Fall through to the error below.
  }
  throw new Error(
    `PostgreSQL binaries not found (looked in ${candidates.join(', ')} and pg_config --bindir)`,
  );
}

async function prepareRunAs(timeoutMs: number): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  let ids = lookupUser('postgres');
  if (ids === undefined) {
    try {
      await runCommand(
        undefined,
        'useradd',
        [
          '--system',
          '--user-group',
          '--no-create-home',
          '--home-dir',
          '/nonexistent',
          '--shell',
          '/usr/sbin/nologin',
          'postgres',
        ],
        { timeoutMs },
      );
    } catch (error) {
      // A parallel test file may have created it first (useradd exits 9); re-check below.
      if (lookupUser('postgres') === undefined) throw error;
    }
    ids = lookupUser('postgres');
    if (ids === undefined) throw new Error('useradd postgres succeeded but the user is not visible');
  }
  return { user: 'postgres', ...ids };
}

function lookupUser(name: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(
      execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    );
    const gid = Number(
      execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    );
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

function runCommand(
  runAs: RunAs | undefined,
  binary: string,
  args: string[],
  options: RunOptions,
): Promise<{ stdout: string; stderr: string }> {
  const [file, argv] =
    runAs === undefined ? [binary, args] : ['runuser', ['-u', runAs.user, '--', binary, ...args]];
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(file, argv, {
        // The temp dir is the working directory: postgres cannot read root's cwd when dropped to its user.
        cwd: tmpdir(),
        env: { ...process.env, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    } catch (error) {
      reject(error);
      return;
    }
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else {
        const how = signal ? `killed by ${signal} (timeout?)` : `exited with ${code}`;
        reject(new Error(`${[binary, ...args].join(' ')} ${how}: ${stderr.trim() || stdout.trim()}`));
      }
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}
