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

/** An envelope with its absolute expiry (0 = never). Stored as one object: no wrapper per entry. */
interface Slot extends Envelope {
  expiresAt: number;
}

/**
 * Node-local cache: a `Map` with per-entry TTL, lazy expiry on read, a background sweeper that
 * evicts expired entries in bounded slices, and an optional LRU bound (`maxEntries`).
 * Values are kept by reference: do not mutate what you read.
 */
export class MemoryCache implements WarpCache {
  /** No shared tier behind this one. */
  readonly localOnly = true;
  private readonly slots = new Map<string, Slot>();
  private readonly maxEntries: number;
  private readonly sweepBatchSize: number;
  private readonly onEvict?: MemoryCacheOptions['onEvict'];
  private sweepTimer?: NodeJS.Timeout;
  private sweepCursor?: IterableIterator<[string, Slot]>;

  constructor(options: MemoryCacheOptions = {}) {
    this.maxEntries = positiveOr(options.maxEntries, Infinity, 'maxEntries');
    this.sweepBatchSize = positiveOr(options.sweepBatchSize, 1000, 'sweepBatchSize');
    this.onEvict = options.onEvict;
    const interval = options.sweepIntervalMs ?? 1000;
    if (!Number.isFinite(interval) || interval < 0) {
      throw new InvalidOptionsError(`MemoryCache: sweepIntervalMs must be a number >= 0, got ${String(interval)}`);
    }
    if (interval > 0) {
      this.sweepTimer = setInterval(() => this.sweep(), interval);
      this.sweepTimer.unref();
    }
  }

  peek(key: string): Envelope | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    if (slot.expiresAt !== 0 && slot.expiresAt <= Date.now()) {
      this.slots.delete(key);
      this.onEvict?.(1, 'expired');
      return undefined;
    }
    if (this.maxEntries !== Infinity) {
      // Re-insert to mark as most recently used: Map iteration order is the LRU order.
      this.slots.delete(key);
      this.slots.set(key, slot);
    }
    return slot;
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
    this.slots.delete(key);
    return Promise.resolve();
  }

  evictLocal(keys: readonly string[]): void {
    for (const key of keys) this.slots.delete(key);
  }

  clearLocal(predicate?: (key: string) => boolean): void {
    if (predicate === undefined) {
      this.slots.clear();
      return;
    }
    for (const key of this.slots.keys()) if (predicate(key)) this.slots.delete(key);
  }

  clear(): Promise<void> {
    this.slots.clear();
    return Promise.resolve();
  }

  keys(): Promise<string[]> {
    const now = Date.now();
    const live: string[] = [];
    for (const [key, slot] of this.slots) if (slot.expiresAt === 0 || slot.expiresAt > now) live.push(key);
    return Promise.resolve(live);
  }

  get size(): number {
    return this.slots.size;
  }

  close(): Promise<void> {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.sweepCursor = undefined;
    return Promise.resolve();
  }

  /**
   * Examines at most `sweepBatchSize` entries, resuming where the previous slice stopped (a live
   * Map iterator tolerates deletions), and evicts the expired ones. Returns how many it evicted.
   */
  sweep(): number {
    const now = Date.now();
    let evicted = 0;
    let cursor: IterableIterator<[string, Slot]> | undefined = this.sweepCursor ?? this.slots.entries();
    for (let seen = 0; seen < this.sweepBatchSize; seen++) {
      const next = cursor.next();
      if (next.done) {
        // Hold no iterator between sweeps once a pass ends: a live Map iterator keeps every table
        // the Map has rehashed since reachable, and with it the entries evicted meanwhile.
        cursor = undefined;
        break;
      }
      const [key, slot] = next.value;
      if (slot.expiresAt !== 0 && slot.expiresAt <= now) {
        this.slots.delete(key);
        evicted++;
      }
    }
    // A map one slice covers is swept from the start each time: no iterator is held between sweeps.
    this.sweepCursor = this.slots.size <= this.sweepBatchSize ? undefined : cursor;
    if (evicted > 0) this.onEvict?.(evicted, 'expired');
    return evicted;
  }

  private write(key: string, entry: Envelope, ttlMs: number | undefined): void {
    const slot: Slot = {
      value: entry.value,
      ts: entry.ts,
      origin: entry.origin,
      expiresAt: ttlMs !== undefined && ttlMs > 0 ? Date.now() + ttlMs : 0,
    };
    // Delete first so an overwrite moves the key to the most recently used end.
    if (this.maxEntries !== Infinity) this.slots.delete(key);
    this.slots.set(key, slot);
    if (this.slots.size > this.maxEntries) this.evictLeastRecentlyUsed();
  }

  private evictLeastRecentlyUsed(): void {
    let evicted = 0;
    for (const key of this.slots.keys()) {
      if (this.slots.size <= this.maxEntries) break;
      this.slots.delete(key);
      evicted++;
    }
    if (evicted > 0) this.onEvict?.(evicted, 'lru');
  }
}

function positiveOr(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(value > 0) || (value !== Infinity && !Number.isInteger(value))) {
    throw new InvalidOptionsError(`MemoryCache: ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
