/**
 * argon2 and bcrypt come from hash-wasm, which computes on the calling thread. A Django
 * argon2 hash (100 MiB, t=2) or bcrypt at cost 12 takes hundreds of milliseconds: on the
 * event loop that would stall every connection of the proxy. So the work runs on a small
 * pool of worker threads (PBKDF2 and scrypt already run on libuv's thread pool).
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { argon2d, argon2i, argon2id, bcrypt } from 'hash-wasm';

export interface Argon2Job {
  kind: 'argon2';
  variant: 'i' | 'd' | 'id';
  password: Uint8Array;
  salt: Uint8Array;
  iterations: number;
  parallelism: number;
  memorySize: number;
  hashLength: number;
}

export interface BcryptJob {
  kind: 'bcrypt';
  password: Uint8Array;
  salt: Uint8Array;
  costFactor: number;
}

export interface WasmHashingOptions {
  /** Worker threads; 0 computes on the calling thread. Default: cores - 1, between 1 and 4. */
  workers?: number;
  /** A worker idle this long exits, releasing its (argon2-sized) memory. Default 30 s. */
  idleMs?: number;
  /** Jobs waiting for a worker; beyond it a job fails at once. Default 1024. */
  maxQueued?: number;
}

export interface WasmHashingStats {
  workers: number;
  busy: number;
  queued: number;
  completed: number;
  rejectedQueueFull: number;
  workerCrashes: number;
}

// CommonJS so it can run with `eval: true` (no separate file to locate, in source or dist).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const hw = require(workerData.hashWasmPath);
parentPort.on('message', async (job) => {
  try {
    let result;
    if (job.kind === 'argon2') {
      const fn = job.variant === 'id' ? hw.argon2id : job.variant === 'i' ? hw.argon2i : hw.argon2d;
      result = await fn({ password: job.password, salt: job.salt, iterations: job.iterations,
        parallelism: job.parallelism, memorySize: job.memorySize, hashLength: job.hashLength, outputType: 'binary' });
    } else {
      result = await hw.bcrypt({ password: job.password, salt: job.salt, costFactor: job.costFactor, outputType: 'encoded' });
    }
    job.password.fill(0);
    parentPort.postMessage({ ok: true, result });
  } catch (error) {
    job.password.fill(0);
    parentPort.postMessage({ ok: false, message: String((error && error.message) || error) });
  }
});
`;

type Job = Argon2Job | BcryptJob;
type JobResult<J extends Job> = J extends Argon2Job ? Uint8Array : string;

interface Pending {
  job: Job;
  resolve(value: Uint8Array | string): void;
  reject(error: Error): void;
}

interface PoolWorker {
  worker: Worker;
  current: Pending | undefined;
  idleTimer: NodeJS.Timeout | undefined;
}

function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

let settings: Required<WasmHashingOptions> = { workers: defaultWorkers(), idleMs: 30_000, maxQueued: 1024 };
const pool: PoolWorker[] = [];
const queue: Pending[] = [];
const counters = { completed: 0, rejectedQueueFull: 0, workerCrashes: 0 };
let hashWasmPath: string | undefined | null;

/** Changes the pool for jobs submitted from now on; running workers finish their job. */
export function configureWasmHashing(options: WasmHashingOptions): void {
  const next = { ...settings, ...options };
  if (!Number.isInteger(next.workers) || next.workers < 0 || next.workers > 64) {
    throw new RangeError(`workers=${next.workers} must be an integer from 0 to 64`);
  }
  if (!Number.isInteger(next.maxQueued) || next.maxQueued < 0) throw new RangeError('maxQueued must be >= 0');
  if (!(next.idleMs >= 0)) throw new RangeError('idleMs must be >= 0');
  settings = next;
  for (const member of [...pool]) if (member.current === undefined) retire(member);
}

export function wasmHashingStats(): WasmHashingStats {
  return {
    workers: pool.length,
    busy: pool.filter((member) => member.current !== undefined).length,
    queued: queue.length,
    ...counters,
  };
}

export function runWasmHash<J extends Job>(job: J): Promise<JobResult<J>> {
  if (settings.workers === 0 || resolveHashWasm() === null) return runInline(job) as Promise<JobResult<J>>;
  return new Promise<JobResult<J>>((resolve, reject) => {
    const pending: Pending = { job, resolve: resolve as (value: Uint8Array | string) => void, reject };
    const idle = pool.find((member) => member.current === undefined);
    if (idle !== undefined) return assign(idle, pending);
    if (pool.length < settings.workers) {
      const member = spawn();
      if (member !== undefined) return assign(member, pending);
      return runInline(job).then(resolve as (value: Uint8Array | string) => void, reject);
    }
    if (queue.length >= settings.maxQueued) {
      counters.rejectedQueueFull++;
      return reject(new Error(`hash queue full (${settings.maxQueued} waiting)`));
    }
    queue.push(pending);
  });
}

async function runInline(job: Job): Promise<Uint8Array | string> {
  if (job.kind === 'bcrypt') {
    return bcrypt({
      password: job.password,
      salt: job.salt,
      costFactor: job.costFactor,
      outputType: 'encoded',
    });
  }
  const fn = job.variant === 'id' ? argon2id : job.variant === 'i' ? argon2i : argon2d;
  return fn({
    password: job.password,
    salt: job.salt,
    iterations: job.iterations,
    parallelism: job.parallelism,
    memorySize: job.memorySize,
    hashLength: job.hashLength,
    outputType: 'binary',
  });
}

function resolveHashWasm(): string | null {
  if (hashWasmPath === undefined) {
    try {
      hashWasmPath = createRequire(import.meta.url).resolve('hash-wasm');
    } catch {
      // Bundled without a resolvable hash-wasm: compute inline rather than fail.
      hashWasmPath = null;
    }
  }
  return hashWasmPath;
}

function spawn(): PoolWorker | undefined {
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { hashWasmPath: resolveHashWasm() } });
  } catch {
    return undefined;
  }
  worker.unref();
  const member: PoolWorker = { worker, current: undefined, idleTimer: undefined };
  worker.on('message', (message: { ok: boolean; result?: Uint8Array | string; message?: string }) => {
    const pending = member.current;
    member.current = undefined;
    counters.completed++;
    if (pending !== undefined) {
      if (message.ok) pending.resolve(message.result as Uint8Array | string);
      else pending.reject(new Error(message.message ?? 'hash failed'));
    }
    next(member);
  });
  const fail = (error: Error) => {
    const index = pool.indexOf(member);
    if (index === -1) return;
    pool.splice(index, 1);
    counters.workerCrashes++;
    if (member.idleTimer) clearTimeout(member.idleTimer);
    member.current?.reject(error);
    member.current = undefined;
    drainQueueAfterCrash();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`hash worker exited with code ${code}`)));
  pool.push(member);
  return member;
}

function assign(member: PoolWorker, pending: Pending): void {
  if (member.idleTimer) {
    clearTimeout(member.idleTimer);
    member.idleTimer = undefined;
  }
  member.current = pending;
  const { job } = pending;
  // Copy the password so the worker can zero its copy without touching the caller's buffer.
  member.worker.postMessage({ ...job, password: new Uint8Array(job.password) });
}

function next(member: PoolWorker): void {
  if (pool.length > settings.workers) {
    retire(member);
    // The pool shrank (configureWasmHashing); nothing may stay queued without a worker.
    if (pool.length === 0)
      for (const pending of queue.splice(0)) runInline(pending.job).then(pending.resolve, pending.reject);
    return;
  }
  const pending = queue.shift();
  if (pending !== undefined) {
    assign(member, pending);
    return;
  }
  member.idleTimer = setTimeout(() => retire(member), settings.idleMs);
  member.idleTimer.unref();
}

function retire(member: PoolWorker): void {
  const index = pool.indexOf(member);
  if (index === -1) return;
  pool.splice(index, 1);
  if (member.idleTimer) clearTimeout(member.idleTimer);
  void member.worker.terminate();
}

function drainQueueAfterCrash(): void {
  while (queue.length > 0 && pool.length < settings.workers) {
    const member = spawn();
    const pending = queue.shift();
    if (pending === undefined) return;
    if (member === undefined) {
      runInline(pending.job).then(pending.resolve, pending.reject);
      continue;
    }
    assign(member, pending);
  }
}
