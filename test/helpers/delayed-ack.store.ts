import type { WarpStore, StoreWrite } from '../../lib/store/store.interface.js';

/**
 * A view of a shared store whose writes commit at once but acknowledge late (a remote database's
 * network), and whose next write can be paused after committing: the windows in which peers act.
 */
export class DelayedAckStore<T = unknown> implements WarpStore<T> {
  /** ms between a write committing and its acknowledgement. */
  ackDelayMs = 0;
  /** When set, the next write commits, calls `onCommitted`, and waits for this before acknowledging. */
  ackGate?: Promise<void>;
  onCommitted?: (key: string) => void;

  constructor(readonly inner: WarpStore<T>) {}

  get(key: string): Promise<T | undefined> {
    return this.inner.get(key);
  }

  async set(key: string, value: T, write?: StoreWrite): Promise<void> {
    await this.inner.set(key, value, write);
    await this.acknowledge(key);
  }

  async delete(key: string, write?: StoreWrite): Promise<void> {
    await this.inner.delete?.(key, write);
    await this.acknowledge(key);
  }

  private async acknowledge(key: string): Promise<void> {
    const gate = this.ackGate;
    this.ackGate = undefined;
    this.onCommitted?.(key);
    if (gate !== undefined) await gate;
    if (this.ackDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.ackDelayMs));
  }
}
