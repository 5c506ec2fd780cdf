import { spawn } from 'node:child_process';
import { registerExitCleanup } from './exit-cleanup.js';

export interface RunProcessOptions {
  cwd?: string;
  /** Full environment for the child (default: this process' environment). */
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin, which is then closed. */
  input?: string | Buffer;
  /** Kill the child (and its process group) after this long. Default 60 000 ms. */
  timeoutMs?: number;
  /** Output kept per stream; the rest is dropped and counted. Default 4 MiB. */
  maxOutputBytes?: number;
}

export interface RunProcessResult {
  /** Exit code, or null when the child was ended by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the deadline passed and the child was killed. */
  timedOut: boolean;
  /** Bytes of output dropped because a stream exceeded `maxOutputBytes`. */
  droppedBytes: number;
}

/**
 * Runs a program to completion and collects its output, with a hard deadline. A non-zero exit
 * is a result, not an exception; only a failure to start (no such program) rejects.
 * The child gets its own process group so that a timeout also ends what it started
 * (npm, pnpm and npx all spawn further processes).
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: RunProcessOptions = {},
): Promise<RunProcessResult> {
  const { timeoutMs = 60_000, maxOutputBytes = 4 * 1024 * 1024 } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const unregister = registerExitCleanup(killGroup);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const kept = { out: 0, err: 0 };
    let droppedBytes = 0;
    let timedOut = false;
    const collect = (chunks: Buffer[], key: 'out' | 'err') => (chunk: Buffer) => {
      const room = maxOutputBytes - kept[key];
      if (room <= 0) {
        droppedBytes += chunk.length;
        return;
      }
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      droppedBytes += chunk.length - part.length;
      kept[key] += part.length;
      chunks.push(part);
    };
    child.stdout.on('data', collect(out, 'out'));
    child.stderr.on('data', collect(err, 'err'));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      unregister();
      reject(error);
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      unregister();
      // The direct child is gone; stragglers in its group (a timed-out npm's children) are not.
      if (timedOut) killGroup();
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        droppedBytes,
      });
    });
    // A child that exits without reading stdin makes the write fail with EPIPE; that is its business.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input);
  });
}
