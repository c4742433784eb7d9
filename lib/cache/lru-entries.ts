import { LRUCache } from 'lru-cache';
import type { Envelope } from '../common/envelope.js';
import { ENTRY_SIZE, entryBound } from '../common/lru-bound.js';
import type { EvictionReason, LocalEntries } from './local-entries.js';

/** The options object of every `LRUCache.get`: one shared object, so a lookup allocates nothing. */
const LIVE_ONLY: LRUCache.GetOptions<string, Envelope, unknown> = { allowStale: false };

/**
 * Entries under a `maxEntries` bound, on lru-cache: a hit moves the entry to the recent end, the
 * least recently used go past the bound, TTLs run on lru-cache's monotonic clock (read at most
 * once per millisecond, not per lookup).
 */
export class BoundedEntries implements LocalEntries {
  private readonly lru: LRUCache<string, Envelope>;
  /** The options of every `LRUCache.set` (each entry of size 1, see `entryBound`), reused: `ttl` is written before each call. */
  private readonly setOptions: LRUCache.SetOptions<string, Envelope, unknown> = { ...ENTRY_SIZE, ttl: 0 };

  constructor(maxEntries: number, onEvict?: (reason: EvictionReason) => void) {
    this.lru = new LRUCache<string, Envelope>({
      // Bounded by a size budget, every entry of size 1 (no arrays preallocated for maxEntries).
      ...entryBound(maxEntries),
      // Iteration sees expired entries too (the sweeper evicts them); lookups pass LIVE_ONLY.
      allowStale: true,
      // Expiry is lazy plus the sweeper: no timer per entry.
      ttlAutopurge: false,
      // Explicit deletes ('delete') and overwrites are not evictions.
      ...(onEvict === undefined
        ? {}
        : {
            dispose: (_value, _key, reason) => {
              if (reason === 'evict') onEvict('lru');
              else if (reason === 'expire') onEvict('expired');
            },
            noDisposeOnSet: true,
          }),
    });
  }

  peek(key: string): Envelope | undefined {
    // An expired entry is deleted by the lookup (reported through `dispose`).
    return this.lru.get(key, LIVE_ONLY);
  }

  set(key: string, entry: Envelope, ttlMs: number): void {
    this.setOptions.ttl = ttlMs;
    this.lru.set(key, entry, this.setOptions);
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  clear(): void {
    this.lru.clear();
  }

  keys(): IterableIterator<string> {
    return this.lru.keys();
  }

  sweepOrder(): Iterator<string, void, void> {
    return this.lru.rkeys();
  }

  get sweepable(): number {
    return this.lru.size;
  }

  /** lru-cache counts an entry stale once its age exceeds its TTL; it then has a negative remaining TTL. */
  expired(key: string): boolean {
    return this.lru.getRemainingTTL(key) < 0;
  }

  get size(): number {
    return this.lru.size;
  }
}
