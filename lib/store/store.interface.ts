/**
 * The primary store behind the cache: the port users implement over their own database
 * (a TypeORM or Prisma repository, a REST service...). It sees the user's plain values, never
 * Warp's envelopes. See `docs/store.md` for an adapter example.
 *
 * Every backend passes `test/unit/contracts/store.contract.ts`.
 */
export interface Store<T = unknown> {
  /** Reads a value; `undefined` when absent. */
  get(key: string): Promise<T | undefined>;
  /**
   * Persists a value. A rejection makes `WarpService.set` throw `StoreError` and change nothing else.
   * `write.fence` is the write lock's fencing token on StrongDistributed writes: a store that can
   * should refuse a fence lower than one it already accepted for the key.
   */
  set(key: string, value: T, write?: StoreWrite): Promise<void>;
  /** Deletes a value (optional; `WarpService.delete` needs it). `write.fence` as for `set`. */
  delete?(key: string, write?: StoreWrite): Promise<void>;
  /** Lists keys, optionally by prefix: enables pattern warmup and validator scans. */
  keys?(prefix?: string): Promise<string[]>;
  /** Reads several values at once (optional fast path for `getMany` and warmup). */
  getMany?(keys: readonly string[]): Promise<(T | undefined)[]>;
}

/** What Warp tells the store about one write. */
export interface StoreWrite {
  /** Fencing token of the StrongDistributed write lock held for this write. */
  fence?: bigint;
  /**
   * ms after which the store may drop the value (`set` only; absent: keep it). Given only by
   * writes that asked for it (`set(key, value, { storeTtl })`, `WarpKeyvStore`), never derived
   * from a registration's cache TTL. A store with expiry honours it; one without may ignore it.
   */
  ttl?: number;
}

/** DI token for the store; `@Inject(Store)` or `@InjectWarpStore()`. */
export const Store = Symbol('WarpStore');
