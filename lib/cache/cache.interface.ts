import type { Envelope } from '../common/envelope.js';

/**
 * A cache backend. Warp stores envelopes (`{ value, ts, origin }`) and gives each write the TTL of
 * the key's registration. Implementations: `MemoryCache` (node-local), `RedisCache` (shared),
 * `TieredCache` (memory L1 in front of a shared L2). Every backend passes
 * `cacheContract` of `nestjs-warp/testing`; run it against your own cache.
 */
export interface WarpCache {
  /** Reads an entry; `undefined` when absent or expired. */
  get(key: string): Promise<Envelope | undefined>;
  /** Writes an entry, replacing any other. `ttlMs` undefined or 0 means no expiry. */
  set(key: string, entry: Envelope, ttlMs?: number): Promise<void>;
  /** Removes an entry from every tier. Removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Removes every entry this cache owns (only its namespace on a shared backend). */
  clear(): Promise<void>;
  /** Lists the keys currently held (for the validator and diagnostics). */
  keys(): Promise<string[]>;

  /**
   * Synchronous lookup in the node-local tier: the allocation-free hot path of `get`.
   * Absent on caches with no node-local tier.
   */
  peek?(key: string): Envelope | undefined;
  /**
   * Evicts keys from the node-local tier only: what a peer's invalidation does (the writer has
   * already updated any shared tier). Absent on caches with no node-local tier.
   */
  evictLocal?(keys: readonly string[]): void;
  /** Empties the node-local tier, e.g. after a bus disconnect when invalidations may have been missed. */
  clearLocal?(predicate?: (key: string) => boolean): void;
  /**
   * Writes only if no entry exists, for fills from the store: a fill never replaces a value a
   * writer put there meanwhile. Returns whether it wrote. Defaults to `get` + `set` when absent.
   */
  setIfAbsent?(key: string, entry: Envelope, ttlMs?: number): Promise<boolean>;
  /**
   * Reads an entry with its remaining time to live, in one round trip. Optional: `TieredCache`
   * uses it to give an entry copied from L2 into L1 the TTL it has left in L2, so L1 never
   * outlives L2. `ttlMs` is `undefined` when the entry never expires.
   */
  getWithTtl?(key: string): Promise<{ entry: Envelope; ttlMs: number | undefined } | undefined>;
  /**
   * True for a cache with no shared tier (`MemoryCache`): what `peek` misses, `get` misses too, and
   * writes need not be announced to a shared copy. Absent or false: a shared tier may exist.
   */
  readonly localOnly?: boolean;
  /** Number of entries in the node-local tier (metrics). */
  readonly size?: number;
  /** Stops background timers. Never closes client connections the user owns. */
  close?(): Promise<void>;
}

/** DI token for the cache; `@Inject(WarpCache)` or `@InjectWarpCache()`. */
export const WarpCache = Symbol('WarpCache');
