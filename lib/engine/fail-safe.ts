import { LRUCache } from 'lru-cache';
import { ENTRY_SIZE, entryBound } from '../common/lru-bound.js';

/** Last known values kept when `failSafe` has no `maxEntries`. */
export const DEFAULT_FAIL_SAFE_MAX_ENTRIES = 10_000;

interface Known {
  value: unknown;
}

/**
 * The last value this node read or wrote for each key, kept past the cache entry's life so a read
 * can fall back on it while the store is failing (`failSafe`). A value stays usable for `grace` ms
 * after its cache entry would have expired (keys without TTL: until evicted from this bounded
 * map). Values are kept by reference, like the memory cache: no copy.
 */
export class LastKnownValues {
  /** Recency is that of `remember` (a `recall` peeks); an entry's TTL is its cache TTL plus `grace`. */
  private readonly known: LRUCache<string, Known>;
  private readonly setOptions = { ...ENTRY_SIZE, ttl: 0 };

  constructor(
    private readonly grace: number,
    maxEntries: number,
  ) {
    // Wall-clock ms, read on each check (these run per write and per failed read, not per hit).
    this.known = new LRUCache<string, Known>({ ...entryBound(maxEntries), perf: Date, ttlResolution: 0 });
  }

  /** Records `value` as the latest for `key`, whose cache entry lives `ttlMs` (0: no expiry). */
  remember(key: string, value: unknown, ttlMs: number): void {
    this.setOptions.ttl = ttlMs > 0 ? ttlMs + this.grace : 0;
    this.known.set(key, { value }, this.setOptions);
  }

  /** The value to serve in place of a failed read, or `undefined` when none is recent enough. */
  recall(key: string): Known | undefined {
    const known = this.known.peek(key);
    // Absent, or too old to serve: it goes for good.
    if (known === undefined) this.known.delete(key);
    return known;
  }

  /** Drops `key`: an explicit invalidation says its value must not be served again. */
  forget(key: string): void {
    this.known.delete(key);
  }

  get size(): number {
    return this.known.size;
  }
}
