import type { Envelope } from '../common/envelope.js';
import { InvalidOptionsError } from '../common/warp.errors.js';
import type { WarpCache } from './cache.interface.js';

/** A cache with a node-local tier (`MemoryCache`, or another `TieredCache`): what L1 must be. */
export type LocalCache = WarpCache & Required<Pick<WarpCache, 'peek' | 'evictLocal' | 'clearLocal'>>;

/** Options of `TieredCache`. */
export interface TieredCacheOptions {
  /**
   * TTL in ms of an L1 copy of an L2 entry when L2 cannot report the entry's remaining TTL (it has
   * no `getWithTtl`; `RedisCache` has). Default 0: no expiry, the copy lives until evicted or
   * invalidated.
   */
  backfillTtlMs?: number;
}

/** The L2 reads in flight for one key, and how many writes or evictions of the key happened meanwhile. */
interface Fill {
  generation: number;
  readers: number;
}

/**
 * A node-local L1 (e.g. `MemoryCache`) in front of a shared L2 (e.g. `RedisCache`).
 *
 * - `get`: L1, else L2; an L2 hit is copied into L1 with the TTL it has left in L2 (when L2 has
 *   `getWithTtl`), so L1 never outlives L2. A copy is dropped if the key was written, deleted or
 *   evicted while L2 was being read, so a peer's invalidation racing the read cannot leave the
 *   old value in L1.
 * - `set`: L2 first, then L1, so a failed L2 write rejects and leaves L1 unchanged.
 *   `setIfAbsent` decides in L2 (atomic there) and copies into L1 when it wrote.
 * - `delete`/`clear`: both tiers; L1 is emptied even if L2 fails (dropping a local copy is always safe).
 * - `peek`, `evictLocal`, `clearLocal`, `size`: L1 only. A peer's invalidation evicts only L1:
 *   the writer has already updated L2.
 * - `keys`: the union of both tiers, so the validator also checks copies L1 still serves after
 *   L2 lost them (Redis eviction under `maxmemory`).
 * - `close`: closes both tiers; neither closes a client the user owns.
 *
 * @example
 * new TieredCache(new MemoryCache({ maxEntries: 10_000 }), new RedisCache(redis))
 * @throws InvalidOptionsError when `l1` has no node-local tier (`peek`, `evictLocal`, `clearLocal`).
 */
export class TieredCache implements WarpCache {
  private readonly fills = new Map<string, Fill>();
  private readonly backfillTtlMs: number;

  constructor(
    readonly l1: LocalCache,
    readonly l2: WarpCache,
    options: TieredCacheOptions = {},
  ) {
    for (const method of ['peek', 'evictLocal', 'clearLocal'] as const) {
      if (typeof l1?.[method] !== 'function') {
        throw new InvalidOptionsError(`TieredCache: l1 must be a node-local cache with ${method}(), e.g. a MemoryCache`);
      }
    }
    const ttl = options.backfillTtlMs ?? 0;
    if (!(ttl >= 0)) throw new InvalidOptionsError(`TieredCache: backfillTtlMs must be a number >= 0, got ${String(ttl)}`);
    this.backfillTtlMs = ttl;
  }

  peek(key: string): Envelope | undefined {
    return this.l1.peek(key);
  }

  /**
   * L1 first; on a miss, L2, with the value copied into L1 unless a newer write or eviction landed meanwhile.
   * @throws whatever L2 (or L1) rejects with, e.g. a `RedisCache`'s client error or `SerializationError`; L1 is left untouched when L2 fails.
   */
  get(key: string): Promise<Envelope | undefined> {
    const local = this.l1.peek(key);
    return local !== undefined ? Promise.resolve(local) : this.readThrough(key);
  }

  /**
   * L2 decides, writing atomically there if it can; L1 gets a copy only when L2 wrote.
   * @throws whatever L2 (or L1) rejects with, e.g. a `RedisCache`'s client error or `SerializationError`; L1 is left untouched when L2 fails.
   */
  async setIfAbsent(key: string, entry: Envelope, ttlMs?: number): Promise<boolean> {
    const fill = this.enter(key);
    const generation = fill.generation;
    try {
      let wrote: boolean;
      if (this.l2.setIfAbsent !== undefined) {
        wrote = await this.l2.setIfAbsent(key, entry, ttlMs);
      } else {
        wrote = (await this.l2.get(key)) === undefined;
        if (wrote) await this.l2.set(key, entry, ttlMs);
      }
      // A write, delete or eviction that landed while L2 answered is newer than this fill.
      if (wrote && fill.generation === generation) {
        this.bump(key);
        await this.l1.set(key, entry, ttlMs);
      }
      return wrote;
    } finally {
      this.leave(key, fill);
    }
  }

  /**
   * Writes L2, then L1.
   * @throws whatever L2 (or L1) rejects with, e.g. a `RedisCache`'s client error or `SerializationError`; L1 is left untouched when L2 fails.
   */
  async set(key: string, entry: Envelope, ttlMs?: number): Promise<void> {
    await this.l2.set(key, entry, ttlMs);
    this.bump(key);
    await this.l1.set(key, entry, ttlMs);
  }

  /**
   * Deletes from L2, then L1 (L1 even when L2 fails).
   * @throws L2's error; L1 is evicted all the same.
   */
  async delete(key: string): Promise<void> {
    try {
      await this.l2.delete(key);
    } finally {
      this.bump(key);
      await this.l1.delete(key);
    }
  }

  /**
   * Clears L2, then L1 (L1 even when L2 fails).
   * @throws L2's error; L1 is cleared all the same.
   */
  async clear(): Promise<void> {
    try {
      await this.l2.clear();
    } finally {
      this.bumpAll();
      await this.l1.clear();
    }
  }

  evictLocal(keys: readonly string[]): void {
    this.l1.evictLocal(keys);
    if (this.fills.size > 0) for (const key of keys) this.bump(key);
  }

  clearLocal(predicate?: (key: string) => boolean): void {
    this.l1.clearLocal(predicate);
    this.bumpAll(predicate);
  }

  /**
   * The union of L2's and L1's keys.
   * @throws L2's or L1's error.
   */
  async keys(): Promise<string[]> {
    const [shared, local] = await Promise.all([this.l2.keys(), this.l1.keys()]);
    const all = new Set(shared);
    for (const key of local) all.add(key);
    return [...all];
  }

  /** Entries in L1. */
  get size(): number {
    return this.l1.size ?? 0;
  }

  /**
   * Closes both tiers.
   * @throws L1's or L2's error on close (both are asked to close).
   */
  async close(): Promise<void> {
    this.fills.clear();
    await Promise.all([this.l1.close?.(), this.l2.close?.()]);
  }

  private async readThrough(key: string): Promise<Envelope | undefined> {
    const fill = this.enter(key);
    const generation = fill.generation;
    try {
      let entry: Envelope | undefined;
      let ttlMs: number | undefined;
      if (this.l2.getWithTtl !== undefined) {
        const found = await this.l2.getWithTtl(key);
        entry = found?.entry;
        ttlMs = found?.ttlMs;
      } else {
        entry = await this.l2.get(key);
        ttlMs = this.backfillTtlMs;
      }
      if (entry !== undefined && fill.generation === generation) await this.l1.set(key, entry, ttlMs);
      return entry;
    } finally {
      this.leave(key, fill);
    }
  }

  /** Tracks an L2 round trip of `key` whose result may be copied into L1 afterwards. */
  private enter(key: string): Fill {
    let fill = this.fills.get(key);
    if (fill === undefined) {
      fill = { generation: 0, readers: 0 };
      this.fills.set(key, fill);
    }
    fill.readers++;
    return fill;
  }

  private leave(key: string, fill: Fill): void {
    if (--fill.readers === 0 && this.fills.get(key) === fill) this.fills.delete(key);
  }

  /** Marks the key's in-flight L2 reads as stale: their result must not be copied into L1. */
  private bump(key: string): void {
    const fill = this.fills.get(key);
    if (fill !== undefined) fill.generation++;
  }

  private bumpAll(predicate?: (key: string) => boolean): void {
    for (const [key, fill] of this.fills) if (predicate === undefined || predicate(key)) fill.generation++;
  }
}
