/** Options of one `set` call. */
export interface SetOptions {
  /** TTL in ms of this entry in the cache tiers, overriding the registration's (0 = no expiry). */
  ttl?: number;
  /**
   * TTL in ms of the value in the store, passed to `WarpStore.set` as `write.ttl`: a store with expiry
   * (`RedisStore`, `MemoryStore`) drops the value then, a store without ignores it. Cache TTLs
   * bound how long a copy is served; this one bounds the data itself, for values that are a cache
   * by nature (`WarpKeyvStore` passes Keyv's TTL here). Default: none (0 too), the store keeps it.
   */
  storeTtl?: number;
}
