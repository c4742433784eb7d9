import type { Store, StoreWrite } from './store.interface.js';

/**
 * In-process store: the embedded default, for development, tests and single-node apps whose data
 * may be lost on restart. Values are kept by reference. A write with `write.ttl` expires: the
 * value reads as absent afterwards and is dropped when next read, listed or counted.
 */
export class MemoryStore<T = unknown> implements Store<T> {
  private readonly data: Map<string, T>;
  /** Expiry time (epoch ms) of the values written with a TTL; the others are absent here. */
  private readonly expiries = new Map<string, number>();

  constructor(initial?: Iterable<[string, T]>) {
    this.data = new Map(initial);
  }

  get(key: string): Promise<T | undefined> {
    return Promise.resolve(this.read(key));
  }

  set(key: string, value: T, write?: StoreWrite): Promise<void> {
    this.data.set(key, value);
    this.expireAfter(key, write?.ttl);
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.data.delete(key);
    this.expiries.delete(key);
    return Promise.resolve();
  }

  keys(prefix?: string): Promise<string[]> {
    this.dropExpired();
    const all = [...this.data.keys()];
    return Promise.resolve(prefix ? all.filter((key) => key.startsWith(prefix)) : all);
  }

  getMany(keys: readonly string[]): Promise<(T | undefined)[]> {
    return Promise.resolve(keys.map((key) => this.read(key)));
  }

  /** Number of stored values. */
  get size(): number {
    this.dropExpired();
    return this.data.size;
  }

  // Expiry lives in the three methods below; the rest of the store never looks at `expiries`.

  /** Sets (ttl > 0) or clears (no ttl: a plain write keeps the value) the key's expiry. */
  private expireAfter(key: string, ttl: number | undefined): void {
    if (ttl !== undefined && ttl > 0) this.expiries.set(key, Date.now() + ttl);
    else this.expiries.delete(key);
  }

  /** The live value of `key`, dropping it first when it expired. */
  private read(key: string): T | undefined {
    const expiry = this.expiries.get(key);
    if (expiry !== undefined && expiry <= Date.now()) {
      this.data.delete(key);
      this.expiries.delete(key);
      return undefined;
    }
    return this.data.get(key);
  }

  /** Drops every expired value (a walk over the values that have a TTL only). */
  private dropExpired(): void {
    const now = Date.now();
    for (const [key, expiry] of this.expiries) {
      if (expiry <= now) {
        this.data.delete(key);
        this.expiries.delete(key);
      }
    }
  }
}
