/**
 * Calls a listener or handler the bus does not control, so that one that throws neither stops
 * delivery to the others nor breaks the transport's event loop. The error surfaces as a process
 * warning (`process.on('warning')`), the same channel Node uses for other non-fatal misuse.
 */
export function invokeSafely<A>(fn: (arg: A) => void, arg: A): void {
  try {
    fn(arg);
  } catch (error) {
    process.emitWarning(error instanceof Error ? error : new Error(String(error)), { code: 'WARP_BUS_LISTENER' });
  }
}

/**
 * The `connected` flag of a bus and its `onConnectionChange` listeners: listeners hear only real
 * changes, so a transport that reports "ready" twice does not make Warp clear its L1 twice.
 */
export class ConnectionState {
  private readonly listeners = new Set<(connected: boolean) => void>();
  private value = false;

  /** The last state set; `false` until the bus first connects. */
  get connected(): boolean {
    return this.value;
  }

  /** Registers a listener; returns its remover. */
  onChange(listener: (connected: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Records the state and notifies listeners if it changed. */
  set(connected: boolean): void {
    if (connected === this.value) return;
    this.value = connected;
    for (const listener of [...this.listeners]) invokeSafely(listener, connected);
  }

  /** Forgets every listener and marks the state disconnected without notifying (used on close). */
  reset(): void {
    this.listeners.clear();
    this.value = false;
  }
}
