import type { Store, StoreWrite } from '../../lib/store/store.interface.js';
import { MemoryStore } from '../../lib/store/memory.store.js';

/**
 * A real `MemoryStore` behind a switchboard of failures and gates, for fault tests: fail the next
 * reads or writes, or hold reads at a gate until the test releases them.
 */
export class ChaosStore<T = unknown> implements Store<T> {
  readonly inner = new MemoryStore<T>();
  failWrites = 0;
  failReads = 0;
  /** When set, each `get` waits on it after reading (the read result is fixed before the wait). */
  readGate?: Promise<void>;
  /** Called when a `get` reached the gate. */
  onGatedRead?: (key: string) => void;
  reads = 0;
  writes = 0;

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
    await this.inner.set(key, value, write);
  }

  delete(key: string, write?: StoreWrite): Promise<void> {
    return this.inner.delete(key, write);
  }

  keys(prefix?: string): Promise<string[]> {
    return this.inner.keys(prefix);
  }
}
