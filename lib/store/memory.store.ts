import type { Store } from './store.interface.js';

/**
 * In-process store: the embedded default, for development, tests and single-node apps whose data
 * may be lost on restart. Values are kept by reference.
 */
export class MemoryStore<T = unknown> implements Store<T> {
  private readonly data: Map<string, T>;

  constructor(initial?: Iterable<[string, T]>) {
    this.data = new Map(initial);
  }

  get(key: string): Promise<T | undefined> {
    return Promise.resolve(this.data.get(key));
  }

  set(key: string, value: T): Promise<void> {
    this.data.set(key, value);
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.data.delete(key);
    return Promise.resolve();
  }

  keys(prefix?: string): Promise<string[]> {
    const all = [...this.data.keys()];
    return Promise.resolve(prefix ? all.filter((key) => key.startsWith(prefix)) : all);
  }

  getMany(keys: readonly string[]): Promise<(T | undefined)[]> {
    return Promise.resolve(keys.map((key) => this.data.get(key)));
  }

  /** Number of stored values. */
  get size(): number {
    return this.data.size;
  }
}
