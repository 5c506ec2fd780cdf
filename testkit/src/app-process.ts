import { type ChildProcess, spawn } from 'node:child_process';
import { registerExitCleanup } from './exit-cleanup.js';

/** An app's command line running in a child process; output collected as it comes. */
export interface AppProcess {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  /** The exit code (null after a signal). */
  exit: Promise<number | null>;
}

const running = new Set<ChildProcess>();

/**
 * Runs an app's `src/main.ts` (through tsx, on the workspace sources) as an operator runs the
 * command: in a child process with only PATH and `env` in its environment. `killAppProcesses()`
 * in `afterEach` ends what is still running.
 */
export function startAppProcess(
  appDir: string,
  args: readonly string[],
  env: Record<string, string> = {},
): AppProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=@otsdb/source', '--import', 'tsx', 'src/main.ts', ...args],
    {
      cwd: appDir,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  const unregister = registerExitCleanup(() => child.kill('SIGKILL'));
  const run: AppProcess = {
    child,
    stdout: '',
    stderr: '',
    exit: new Promise((resolve) =>
      child.on('exit', (code) => {
        running.delete(child);
        unregister();
        resolve(code);
      }),
    ),
  };
  child.stdout!.on('data', (c: Buffer) => {
    run.stdout += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    run.stderr += c.toString();
  });
  return run;
}

/** Kills every app process started here that has not exited. */
export function killAppProcesses(): void {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  running.clear();
}
