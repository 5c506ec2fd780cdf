// Last line of defence for resources a test forgot (or could not) release: a test process that
// crashes or a test that throws before its `afterEach` must not leave a VictoriaMetrics process
// or a temp dir behind on a machine shared with other people's test runs. Only synchronous work
// is possible at exit, so cleanups must be synchronous (kill, rmSync).
//
// Vitest ends its worker processes with SIGTERM, which skips 'exit' handlers, so the usual
// termination signals run the cleanups too and are then re-raised with their default action
// (unless someone else listens for them and so decides what happens).
const cleanups = new Set<() => void>();
const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
let installed = false;

function runAll(): void {
  // Newest first: a process registered after its data dir must die before the dir goes.
  for (const cleanup of [...cleanups].reverse()) {
    try {
      cleanup();
    } catch {
      // Keep going: one failed cleanup must not leak the rest.
    }
  }
  cleanups.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  for (const sig of SIGNALS) process.off(sig, onSignal);
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  installed = true;
  process.once('exit', runAll);
  for (const sig of SIGNALS) process.on(sig, onSignal);
}

/**
 * Registers a synchronous cleanup that runs when the process exits or is told to terminate,
 * unless the returned function is called first (normal path: the resource was released).
 */
export function registerExitCleanup(cleanup: () => void): () => void {
  if (!installed) install();
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}
