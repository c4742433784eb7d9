import type { Envelope } from '../common/envelope.js';
import { InvalidOptionsError } from '../common/warp.errors.js';
import type { WarpCache } from './cache.interface.js';
import { UnboundedEntries, type LocalEntries } from './local-entries.js';
import { BoundedEntries } from './lru-entries.js';

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

/**
 * Node-local cache: per-entry TTL on the monotonic clock, lazy expiry on read, a background
 * sweeper that evicts expired entries in bounded slices, and an optional LRU bound
 * (`maxEntries`, on `lru-cache`). Unbounded (the default), entries sit in a plain `Map`: a hit
 * is one lookup, and a cache whose entries have no TTL never reads the clock.
 * Values are kept by reference: do not mutate what you read.
 */
export class MemoryCache implements WarpCache {
  /** No shared tier behind this one. */
  readonly localOnly = true;
  private readonly entries: LocalEntries;
  private readonly sweepBatchSize: number;
  private readonly onEvict?: MemoryCacheOptions['onEvict'];
  private sweepTimer?: NodeJS.Timeout;
  private sweepCursor?: Iterator<string, void, void>;

  /**
   * A bounded, in-process LRU cache; expired entries are evicted lazily and by a background sweep.
   * @throws InvalidOptionsError naming the option when `maxEntries`, `sweepBatchSize` or `sweepIntervalMs` is out of range.
   */
  constructor(options: MemoryCacheOptions = {}) {
    const maxEntries = positiveOr(options.maxEntries, Infinity, 'maxEntries');
    this.sweepBatchSize = positiveOr(options.sweepBatchSize, 1000, 'sweepBatchSize');
    this.onEvict = options.onEvict;
    const interval = options.sweepIntervalMs ?? 1000;
    if (!Number.isFinite(interval) || interval < 0) {
      throw new InvalidOptionsError(`MemoryCache: sweepIntervalMs must be a number >= 0, got ${String(interval)}`);
    }
    const onEvict = this.onEvict;
    this.entries =
      maxEntries === Infinity
        ? new UnboundedEntries(onEvict === undefined ? undefined : () => onEvict(1, 'expired'))
        : new BoundedEntries(maxEntries, onEvict === undefined ? undefined : (reason) => onEvict(1, reason));
    if (interval > 0) {
      this.sweepTimer = setInterval(() => this.sweep(), interval);
      this.sweepTimer.unref();
    }
  }

  peek(key: string): Envelope | undefined {
    return this.entries.peek(key);
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
   * Examines at most `sweepBatchSize` entries, oldest first (unbounded: only those with a TTL),
   * resuming where the previous slice stopped, and evicts the expired ones. Returns how many it evicted.
   */
  sweep(): number {
    let evicted = 0;
    let cursor: Iterator<string, void, void> | undefined = this.sweepCursor ?? this.entries.sweepOrder();
    for (let seen = 0; seen < this.sweepBatchSize; seen++) {
      const next = cursor.next();
      if (next.done) {
        cursor = undefined;
        break;
      }
      if (this.expired(next.value)) {
        // An explicit delete, which the entries do not report: counted here as one batch.
        this.entries.delete(next.value);
        evicted++;
      }
    }
    // A cache one slice covers is swept from the start each time: no cursor is held between sweeps.
    this.sweepCursor = this.entries.sweepable <= this.sweepBatchSize ? undefined : cursor;
    if (evicted > 0) this.onEvict?.(evicted, 'expired');
    return evicted;
  }

  private write(key: string, entry: Envelope, ttlMs: number | undefined): void {
    // Copied: the cache owns its envelope, whatever the caller does with the one it passed.
    this.entries.set(key, { value: entry.value, ts: entry.ts, origin: entry.origin }, ttlMs !== undefined && ttlMs > 0 ? ttlMs : 0);
  }

  private expired(key: string): boolean {
    return this.entries.expired(key);
  }
}

function positiveOr(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(value > 0) || (value !== Infinity && !Number.isInteger(value))) {
    throw new InvalidOptionsError(`MemoryCache: ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
