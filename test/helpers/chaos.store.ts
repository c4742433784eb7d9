import type { WarpStore, StoreWrite } from '../../lib/store/store.interface.js';
import { MemoryStore } from '../../lib/store/memory.store.js';

/**
 * A real store (a `MemoryStore` unless one is given) behind a switchboard of failures and gates,
 * for fault tests: fail the next reads or writes, hold reads at a gate until the test releases
 * them, or run hooks around each write (delay its acknowledgement, stall the process).
 */
export class ChaosStore<T = unknown> implements WarpStore<T> {
  failWrites = 0;
  failReads = 0;
  /** When set, each `get` waits on it after reading (the read result is fixed before the wait). */
  readGate?: Promise<void>;
  /** Called when a `get` reached the gate. */
  onGatedRead?: (key: string) => void;
  /**
   * Wraps each write: `write()` performs it on the inner store; whatever runs before it happens
   * before the write, whatever runs after it delays the acknowledgement.
   */
  aroundWrite?: (key: string, value: T, write: () => Promise<void>) => Promise<void>;
  reads = 0;
  writes = 0;

  constructor(readonly inner: WarpStore<T> = new MemoryStore<T>()) {}

  async get(key: string): Promise<T | undefined> {
    this.reads++;
    if (this.failReads > 0) {
      this.failReads--;
      throw new Error(`chaos: read of ${key} failed`);
    }
    const value = await this.inner.get(key);
    if (this.readGate !== undefined) {
      this.onGatedRead?.(key);
      await this.readGate;
    }
    return value;
  }

  async set(key: string, value: T, write?: StoreWrite): Promise<void> {
    this.writes++;
    if (this.failWrites > 0) {
      this.failWrites--;
      throw new Error(`chaos: write of ${key} failed`);
    }
    // Forwarded as given, so a fencing store behind this one sees the token.
    const persist = () => this.inner.set(key, value, write);
    await (this.aroundWrite === undefined ? persist() : this.aroundWrite(key, value, persist));
  }

  async delete(key: string, write?: StoreWrite): Promise<void> {
    await this.inner.delete?.(key, write);
  }

  async keys(prefix?: string): Promise<string[]> {
    return (await this.inner.keys?.(prefix)) ?? [];
  }
}
