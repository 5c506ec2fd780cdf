/**
 * The quick start: the main job on one machine, with nothing installed but Node and npm.
 *
 *   agent (built-in /proc collectors) --telnet over TLS, user/password tags--> proxy
 *   proxy (TLS + file authentication) --> local store (./data/store) <-- OpenTSDB query API (HTTPS)
 *
 * Both apps run as child processes from their sources, exactly as an operator would run them,
 * with a generated development certificate and a development user whose password is new on
 * every start (only its hash is written to disk). Ctrl-C stops the agent first (so what it
 * read is delivered), then the proxy; running it again reuses the same data.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generateToken, hashPassword } from '@otsdb/auth';
import { generate } from 'selfsigned';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = resolve(process.env.OTSDB_DATA_DIR ?? 'data');
const host = '127.0.0.1';
const httpsPort = portFromEnv('OTSDB_STACK_HTTPS_PORT', 4242);
const telnetPort = portFromEnv('OTSDB_STACK_TELNET_PORT', 4243);
const collectInterval = process.env.OTSDB_STACK_INTERVAL ?? '15';
const user = 'dev';
const color = process.stdout.isTTY === true;

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`${name}: expected a port number between 1 and 65535; got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return port;
}

/** A development certificate for 127.0.0.1/localhost/::1, kept across runs until it nears expiry. */
async function devCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'dev-cert.pem');
  const key = join(dir, 'dev-key.pem');
  if (existsSync(cert) && existsSync(key)) {
    const x509 = new X509Certificate(await readFile(cert));
    if (Date.parse(x509.validTo) > Date.now() + 7 * 86_400_000) return { cert, key };
  }
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: 'commonName', value: 'otsdb local stack (development)' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 365 * 86_400_000),
    extensions: [
      // Its own trust anchor: clients pass this file as the CA (curl --cacert, agent --ca).
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  await mkdir(dir, { recursive: true });
  await writeFile(key, pems.private, { mode: 0o600 });
  await chmod(key, 0o600);
  await writeFile(cert, pems.cert);
  return { cert, key };
}

/** A development user with a fresh password; the file keeps only its scrypt hash. */
async function devUser(path: string): Promise<string> {
  const password = generateToken(18);
  const text = [
    '# Written by `pnpm start` on every start: the development user of the local stack.',
    '# Only the hash is stored; the password is printed once by the start command.',
    'users:',
    `  ${user}:`,
    `    password: "${await hashPassword(password)}"`,
    '    scopes: [write, read]',
    '',
  ].join('\n');
  await writeFile(path, text, { mode: 0o600 });
  await chmod(path, 0o600);
  return password;
}

async function proxyConfig(path: string, tls: { cert: string; key: string }, credentials: string) {
  const config = {
    host,
    listeners: {
      telnet: false,
      http: false,
      telnetTls: { enabled: true, port: telnetPort },
      https: { enabled: true, port: httpsPort },
    },
    tls: { cert: tls.cert, key: tls.key },
    auth: { mode: 'file', file: { path: credentials } },
    backend: { type: 'local', local: { dataDir: join(dataDir, 'store'), retention: '15d' } },
  };
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'name', 'v']);

/** Children log JSON (pino); a person at a terminal reads one short line per entry. */
function readable(name: string, line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line);
  } catch {
    return `${name.padEnd(5)} ${line}`;
  }
  const time = new Date(typeof entry.time === 'number' ? entry.time : Date.now()).toISOString().slice(11, 19);
  const level = LEVELS[Number(entry.level)] ?? 'INFO';
  const extra = Object.entries(entry)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const tint = !color
    ? ''
    : level === 'ERROR' || level === 'FATAL'
      ? '\x1b[31m'
      : level === 'WARN'
        ? '\x1b[33m'
        : '';
  return `${time} ${tint}${level.padEnd(5)}${tint ? '\x1b[0m' : ''} ${name.padEnd(5)} ${String(entry.msg ?? '')} ${extra}`.trimEnd();
}

function run(name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--conditions=@otsdb/source', '--import', 'tsx', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    // Own process group: Ctrl-C reaches only this launcher, which stops the apps in order.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => console.log(readable(name, line)));
  }
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((done) => child.once('exit', (code) => done(code)));
}

async function waitHealthy(ca: Buffer, deadline: number, proxy: ChildProcess): Promise<void> {
  while (Date.now() < deadline) {
    if (proxy.exitCode !== null || proxy.signalCode !== null)
      throw new Error('the proxy exited while starting');
    const ok = await new Promise<boolean>((done) => {
      const req = request({ host, port: httpsPort, path: '/health', ca, timeout: 1000 }, (res) => {
        res.resume();
        done(res.statusCode === 200);
      });
      req.on('error', () => done(false));
      req.on('timeout', () => req.destroy());
      req.end();
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the proxy did not answer https://${host}:${httpsPort}/health in time`);
}

async function main(): Promise<void> {
  await mkdir(join(dataDir, 'tls'), { recursive: true });
  const tls = await devCertificate(join(dataDir, 'tls'));
  const credentials = join(dataDir, 'credentials.yaml');
  const password = await devUser(credentials);
  const configPath = join(dataDir, 'proxy.json');
  await proxyConfig(configPath, tls, credentials);

  const proxy = run('proxy', ['apps/proxy/src/main.ts', '--config', configPath], {});
  let agent: ChildProcess | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('stopping: agent first (delivers what it read), then the proxy');
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await exited(agent);
    }
    if (proxy.exitCode === null) {
      proxy.kill('SIGTERM');
      await exited(proxy);
    }
    console.log(code === 0 ? 'otsdb local stack stopped' : 'otsdb local stack stopped after an error');
    process.exit(code);
  };
  // Children live in their own process groups: never leave them behind if this launcher dies.
  process.on('exit', () => {
    for (const child of [agent, proxy]) if (child && child.exitCode === null) child.kill('SIGKILL');
  });
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  proxy.once('exit', (code) => {
    if (!stopping) {
      console.error(`the proxy exited unexpectedly (code ${code})`);
      void stop(1);
    }
  });

  await waitHealthy(await readFile(tls.cert), Date.now() + 60_000, proxy);
  agent = run(
    'agent',
    [
      'apps/agent/src/main.ts',
      '--host',
      host,
      '--port',
      String(telnetPort),
      '--ssl',
      '--ca',
      tls.cert,
      '--builtin-interval',
      collectInterval,
    ],
    { OTSDB_USER: user, OTSDB_PASSWORD: password },
  );
  agent.once('exit', (code) => {
    if (!stopping) {
      console.error(`the agent exited unexpectedly (code ${code})`);
      void stop(1);
    }
  });

  const near = relative(process.cwd(), tls.cert);
  const cert = near.startsWith('..') ? tls.cert : near;
  const url = `https://${host}:${httpsPort}`;
  console.log(
    [
      '',
      'otsdb local stack is running (Ctrl-C stops it; run the same command again to continue on the same data)',
      `  data directory     ${dataDir}`,
      `  OpenTSDB HTTP API  ${url}  (TLS; development certificate ${cert})`,
      `  telnet put (TLS)   ${host}:${telnetPort}  (the agent sends this host's metrics here)`,
      `  user / password    ${user} / ${password}  (new on every start; read + write)`,
      '',
      "This host's CPU and memory, within a minute:",
      `  curl --cacert ${cert} -u ${user}:${password} '${url}/api/query?start=5m-ago&m=sum:rate:proc.stat.cpu%7Btype=*%7D'`,
      `  curl --cacert ${cert} -u ${user}:${password} '${url}/api/query?start=5m-ago&m=avg:proc.meminfo.memfree'`,
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  console.error(`start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
