import { LRUCache } from 'lru-cache';
import { ENTRY_SIZE, entryBound } from '../common/lru-bound.js';
import type { Envelope } from '../common/envelope.js';
import { InvalidOptionsError } from '../common/warp.errors.js';
import type { WarpCache } from './cache.interface.js';

/** Options of `MemoryCache`. */
export interface MemoryCacheOptions {
  /** Upper bound on entries; the least recently used are evicted past it. Default: unbounded. */
  maxEntries?: number;
  /** How often the background sweeper runs, in ms. Default 1000; 0 disables it (expiry stays lazy). */
  sweepIntervalMs?: number;
  /** How many entries one sweep slice examines, so a sweep never blocks the event loop. Default 1000. */
  sweepBatchSize?: number;
  /** Called with the number of entries evicted (expired or LRU), for metrics. */
  onEvict?: (count: number, reason: 'expired' | 'lru') => void;
}

/** The options object of every `LRUCache.get`: one shared object, so a lookup allocates nothing. */
const LIVE_ONLY: LRUCache.GetOptions<string, Envelope, unknown> = { allowStale: false };

/**
 * Node-local cache on `lru-cache`: per-entry TTL on lru-cache's monotonic clock (read at most
 * once per millisecond, not per lookup), lazy expiry on read, a background sweeper that evicts
 * expired entries in bounded slices, and an optional LRU bound (`maxEntries`).
 * Values are kept by reference: do not mutate what you read.
 */
export class MemoryCache implements WarpCache {
  /** No shared tier behind this one. */
  readonly localOnly = true;
  private readonly entries: LRUCache<string, Envelope>;
  /** The options of every `LRUCache.set` (each entry of size 1, see `entryBound`), reused: `ttl` is written before each call. */
  private readonly setOptions: LRUCache.SetOptions<string, Envelope, unknown>;
  private readonly sweepBatchSize: number;
  private readonly onEvict?: MemoryCacheOptions['onEvict'];
  private sweepTimer?: NodeJS.Timeout;
  private sweepCursor?: Generator<string, void, void>;
  /** No LRU bound: a hit need not move the entry to the recent end (`peek` instead of `get`). */
  private readonly unbounded: boolean;

  /**
   * A bounded, in-process LRU cache; expired entries are evicted lazily and by a background sweep.
   * @throws InvalidOptionsError naming the option when `maxEntries`, `sweepBatchSize` or `sweepIntervalMs` is out of range.
   */
  constructor(options: MemoryCacheOptions = {}) {
    const maxEntries = positiveOr(options.maxEntries, Infinity, 'maxEntries');
    this.unbounded = maxEntries === Infinity;
    this.sweepBatchSize = positiveOr(options.sweepBatchSize, 1000, 'sweepBatchSize');
    this.onEvict = options.onEvict;
    const interval = options.sweepIntervalMs ?? 1000;
    if (!Number.isFinite(interval) || interval < 0) {
      throw new InvalidOptionsError(`MemoryCache: sweepIntervalMs must be a number >= 0, got ${String(interval)}`);
    }
    this.entries = new LRUCache<string, Envelope>({
      // Bounded by a size budget, every entry of size 1 (no arrays preallocated for maxEntries).
      ...entryBound(maxEntries),
      // Iteration sees expired entries too (the sweeper evicts them); lookups pass LIVE_ONLY.
      allowStale: true,
      // Expiry is lazy plus the sweeper: no timer per entry.
      ttlAutopurge: false,
      ...(this.onEvict === undefined ? {} : { dispose: (_value, _key, reason) => this.disposed(reason), noDisposeOnSet: true }),
    });
    this.setOptions = { ...ENTRY_SIZE, ttl: 0 };
    if (interval > 0) {
      this.sweepTimer = setInterval(() => this.sweep(), interval);
      this.sweepTimer.unref();
    }
  }

  peek(key: string): Envelope | undefined {
    if (this.unbounded) {
      // Recency only matters to a bound: lru-cache's `peek` skips the move to the recent end.
      const hit = this.entries.peek(key, LIVE_ONLY);
      if (hit !== undefined) return hit;
    }
    // An expired entry is deleted by the lookup (reported through `disposed`).
    return this.entries.get(key, LIVE_ONLY);
  }

  get(key: string): Promise<Envelope | undefined> {
    return Promise.resolve(this.peek(key));
  }

  set(key: string, entry: Envelope, ttlMs?: number): Promise<void> {
    this.write(key, entry, ttlMs);
    return Promise.resolve();
  }

  /** `set` without the Promise, for the engine's write path. */
  put(key: string, entry: Envelope, ttlMs?: number): void {
    this.write(key, entry, ttlMs);
  }

  setIfAbsent(key: string, entry: Envelope, ttlMs?: number): Promise<boolean> {
    if (this.peek(key) !== undefined) return Promise.resolve(false);
    this.write(key, entry, ttlMs);
    return Promise.resolve(true);
  }

  delete(key: string): Promise<void> {
    this.entries.delete(key);
    return Promise.resolve();
  }

  evictLocal(keys: readonly string[]): void {
    for (const key of keys) this.entries.delete(key);
  }

  clearLocal(predicate?: (key: string) => boolean): void {
    if (predicate === undefined) {
      this.entries.clear();
      return;
    }
    const doomed: string[] = [];
    for (const key of this.entries.keys()) if (predicate(key)) doomed.push(key);
    for (const key of doomed) this.entries.delete(key);
  }

  clear(): Promise<void> {
    this.entries.clear();
    return Promise.resolve();
  }

  keys(): Promise<string[]> {
    const live: string[] = [];
    for (const key of this.entries.keys()) if (!this.expired(key)) live.push(key);
    return Promise.resolve(live);
  }

  get size(): number {
    return this.entries.size;
  }

  close(): Promise<void> {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.sweepCursor = undefined;
    return Promise.resolve();
  }

  /**
   * Examines at most `sweepBatchSize` entries, least recently used first, resuming where the
   * previous slice stopped, and evicts the expired ones. Returns how many it evicted.
   */
  sweep(): number {
    let evicted = 0;
    let cursor: Generator<string, void, void> | undefined = this.sweepCursor ?? this.entries.rkeys();
    for (let seen = 0; seen < this.sweepBatchSize; seen++) {
      const next = cursor.next();
      if (next.done) {
        cursor = undefined;
        break;
      }
      if (this.expired(next.value)) {
        // Reason 'delete': not reported by `disposed`, counted here as one batch.
        this.entries.delete(next.value);
        evicted++;
      }
    }
    // A cache one slice covers is swept from the start each time: no cursor is held between sweeps.
    this.sweepCursor = this.entries.size <= this.sweepBatchSize ? undefined : cursor;
    if (evicted > 0) this.onEvict?.(evicted, 'expired');
    return evicted;
  }

  private write(key: string, entry: Envelope, ttlMs: number | undefined): void {
    // Copied: the cache owns its envelope, whatever the caller does with the one it passed.
    this.setOptions.ttl = ttlMs !== undefined && ttlMs > 0 ? ttlMs : 0;
    this.entries.set(key, { value: entry.value, ts: entry.ts, origin: entry.origin }, this.setOptions);
  }

  /** lru-cache counts an entry stale once its age exceeds its TTL; it then has a negative remaining TTL. */
  private expired(key: string): boolean {
    return this.entries.getRemainingTTL(key) < 0;
  }

  /** lru-cache's dispose hook: reports what it evicted on its own (explicit deletes are not evictions). */
  private disposed(reason: LRUCache.DisposeReason): void {
    if (reason === 'evict') this.onEvict!(1, 'lru');
    else if (reason === 'expire') this.onEvict!(1, 'expired');
  }
}

function positiveOr(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(value > 0) || (value !== Infinity && !Number.isInteger(value))) {
    throw new InvalidOptionsError(`MemoryCache: ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
