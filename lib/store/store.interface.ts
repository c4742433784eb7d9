/**
 * How one write reaches the store. Warp passes it on StrongDistributed writes (`fence`) and on
 * writes that asked the store to expire the value (`ttl`); other writes pass nothing.
 */
export interface StoreWrite {
  /**
   * The fencing token of the write lock held for this write (`LockHandle.fencingToken`, turned
   * into a bigint with `toFence`). Tokens grow with every acquisition of a key's lock, so a store
   * that remembers the highest fence it accepted per key can refuse a writer whose lock expired
   * while it was paused: a fence lower than the accepted one rejects with `FenceRejectedError`
   * and changes nothing; an equal fence is accepted (the same holder retrying); a write without a
   * fence is always accepted and leaves the accepted fence as it is.
   */
  fence?: bigint;
  /**
   * ms after which the store may drop the value (`set` only; absent: keep it, and forget any
   * earlier expiry). Given only by writes that asked for it (`set(key, value, { storeTtl })`,
   * `WarpKeyvStore`), never derived from a registration's cache TTL. A store with expiry
   * (`RedisStore`, `MemoryStore`) honours it; one without may ignore it. See docs/store.md.
   */
  ttl?: number;
}

/**
 * The primary store behind the cache: the port users implement over their own database
 * (a TypeORM or Prisma repository, a REST service...). It sees the user's plain values, never
 * Warp's envelopes. See `docs/store.md` for adapter examples.
 *
 * Every backend passes `storeContract` of `nestjs-warp/testing` (README, Testing); `MemoryStore` and `RedisStore`
 * also pass its fencing cases.
 */
export interface WarpStore<T = unknown> {
  /** Reads a value; `undefined` when absent. */
  get(key: string): Promise<T | undefined>;
  /**
   * Persists a value (insert or update). A rejection makes `WarpService.set` throw and change
   * nothing else.
   * @throws FenceRejectedError (stores that fence) when `write.fence` is lower than the key's accepted fence.
   */
  set(key: string, value: T, write?: StoreWrite): Promise<void>;
  /**
   * Deletes a value (optional; `WarpService.delete` and `WarpKeyvStore` need it); a missing key is not an error.
   * @throws FenceRejectedError (stores that fence) when `write.fence` is lower than the key's accepted fence.
   */
  delete?(key: string, write?: StoreWrite): Promise<void>;
  /** Lists keys, optionally by prefix: enables pattern warmup and `WarpKeyvStore.clear()`. */
  keys?(prefix?: string): Promise<string[]>;
  /** Reads several values at once (optional fast path for `WarpService.getMany`; warmup reads key by key). */
  getMany?(keys: readonly string[]): Promise<(T | undefined)[]>;
}

/** DI token for the store; `@Inject(WarpStore)` or `@InjectWarpStore()`. */
export const WarpStore = Symbol('WarpStore');
