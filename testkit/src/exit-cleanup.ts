// Last line of defence for resources a test forgot (or could not) release: a test process that
// crashes or a test that throws before its `afterEach` must not leave a VictoriaMetrics process
// or a temp dir behind on a machine shared with other people's test runs. Only synchronous work
// is possible in an 'exit' handler, so cleanups must be synchronous (kill, rmSync).
const cleanups = new Set<() => void>();
let installed = false;

function runAll(): void {
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // Keep going: one failed cleanup must not leak the rest.
    }
  }
  cleanups.clear();
}

/**
 * Registers a synchronous cleanup that runs when the process exits, unless the returned
 * function is called first (normal path: the resource was released properly).
 */
export function registerExitCleanup(cleanup: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', runAll);
  }
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}
