const cleanups = new Set<() => void>();
let installed = false;

function runCleanups(): void {
  for (const cleanup of [...cleanups]) {
    try {
      cleanup();
    } catch {
      // best effort: the process is going away
    }
  }
  cleanups.clear();
}

/** A signal skips 'exit' handlers: clean up, then die of the same signal as without the handler. */
function onSignal(signal: NodeJS.Signals): void {
  runCleanups();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.kill(process.pid, signal);
}

/**
 * Runs `cleanup` (synchronous: kill a child, remove a directory) when this process exits or gets
 * SIGINT/SIGTERM, so a crashed or interrupted test leaves no server or node process behind.
 * Returns the function that unregisters it (call it once the resource is gone).
 */
export function onProcessDeath(cleanup: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', runCleanups);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}
