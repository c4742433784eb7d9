/** Rejects with `message()` if `promise` has not settled within `timeoutMs`: a safety net, not a timing assertion. */
function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message()} within ${timeoutMs}ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Collects the payloads a bus handler receives and lets a test await a count of them, instead of
 * sleeping. `handler` is what to pass to `WarpBus.subscribe`.
 */
export class BusInbox {
  readonly received: Buffer[] = [];
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  readonly handler = (payload: Uint8Array): void => {
    this.received.push(Buffer.from(payload));
    this.waiters = this.waiters.filter((waiter) => {
      if (this.received.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  };

  /**
   * Resolves with the first `count` payloads once they have arrived; rejects after `timeoutMs`
   * (a safety net so a lost message fails the test instead of hanging it).
   */
  async take(count: number, timeoutMs = 10_000): Promise<Buffer[]> {
    if (this.received.length < count) {
      await withTimeout(
        new Promise<void>((resolve) => this.waiters.push({ count, resolve })),
        timeoutMs,
        () => `expected ${count} messages, got ${this.received.length}`,
      );
    }
    return this.received.slice(0, count);
  }
}

/** Records the values a bus reports to `onConnectionChange`, and lets a test await a sequence of them. */
export class ConnectionLog {
  readonly changes: boolean[] = [];
  private waiters: Array<{ expected: boolean[]; resolve: () => void }> = [];
  readonly remove: () => void;

  constructor(bus: { onConnectionChange(listener: (connected: boolean) => void): () => void }) {
    this.remove = bus.onConnectionChange((connected) => {
      this.changes.push(connected);
      this.waiters = this.waiters.filter((waiter) => !this.settle(waiter));
    });
  }

  /** Resolves once the recorded changes end with `expected` (e.g. `[false, true]`). */
  until(expected: boolean[], timeoutMs = 10_000): Promise<void> {
    const waiter = { expected, resolve: () => {} };
    const done = new Promise<void>((resolve) => (waiter.resolve = resolve));
    if (!this.settle(waiter)) this.waiters.push(waiter);
    return withTimeout(done, timeoutMs, () => `expected connection changes ending with ${JSON.stringify(expected)}, got ${JSON.stringify(this.changes)}`);
  }

  private settle(waiter: { expected: boolean[]; resolve: () => void }): boolean {
    const tail = this.changes.slice(-waiter.expected.length);
    if (tail.length !== waiter.expected.length || tail.some((value, i) => value !== waiter.expected[i])) return false;
    waiter.resolve();
    return true;
  }
}
