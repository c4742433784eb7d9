import type { WarpCache } from '../cache/cache.interface.js';
import type { WarpLogger } from '../interfaces/warp-logger.interface.js';
import type { Envelope } from '../common/envelope.js';
import type { SingleFlight } from '../common/singleflight.js';
import { RecentSharedWrites } from './write-guards.js';
import { withTimeout } from './fail-safe.js';

/**
 * The cache tiers as the engine uses them, with the rules that keep them coherent: a fill never
 * replaces a value (set-if-absent), a write that failed in the shared tier leaves no copy behind,
 * loads in flight are marked stale by every eviction, and an EventualDistributed key this node
 * wrote to the shared tier is deleted there when a peer's newer write is announced.
 */
export class Tiers {
  private readonly recentShared = new RecentSharedWrites();

  constructor(
    readonly cache: WarpCache,
    /** Whether `cache.get` can find what `cache.peek` cannot (a shared tier behind the local one). */
    readonly shared: boolean,
    private readonly flights: readonly SingleFlight[],
    private readonly logger: WarpLogger,
    private readonly readTimeout: number | undefined,
  ) {}

  /** The local tier's entry: the allocation-free hot path. */
  peek(key: string): Envelope | undefined {
    return this.cache.peek?.(key);
  }

  /** The shared tier's entry; a failing or slow shared tier reads as a miss (the store answers). */
  async readShared(key: string): Promise<Envelope | undefined> {
    try {
      return await this.bounded(this.cache.get(key));
    } catch (error) {
      this.logger.warn(`Warp: cache read of "${key}" failed, reading the store: ${String(error)}`);
      return undefined;
    }
  }

  /**
   * Fills a value read from its source, only where no entry exists. `trackShared` marks an
   * EventualDistributed key, whose shared-tier copy a peer's later invalidation deletes.
   */
  async fill(key: string, entry: Envelope, ttl: number, trackShared: boolean): Promise<void> {
    if (trackShared && this.shared) this.recentShared.record(key);
    try {
      const filling: Promise<unknown> =
        this.cache.setIfAbsent !== undefined ? this.cache.setIfAbsent(key, entry, ttl) : this.fillIfAbsent(key, entry, ttl);
      // A shared tier that hangs must not hold the read that already has its value.
      await this.bounded(filling);
    } catch (error) {
      this.logger.warn(`Warp: cache fill of "${key}" failed: ${String(error)}`);
    }
  }

  /** Writes a value every tier must now serve. A failure drops the key instead (never a stale copy). */
  async put(key: string, entry: Envelope, ttl: number, trackShared: boolean): Promise<void> {
    if (!this.shared) {
      // A node-local cache is written synchronously: awaiting its resolved promise costs a tick.
      const local = this.cache as WarpCache & { put?(key: string, entry: Envelope, ttl: number): void };
      if (local.put !== undefined) return local.put(key, entry, ttl);
    }
    if (trackShared && this.shared) this.recentShared.record(key);
    try {
      await this.cache.set(key, entry, ttl);
    } catch (error) {
      this.cache.evictLocal?.([key]);
      await this.cache.delete(key).catch(() => undefined);
      this.logger.warn(`Warp: cache write of "${key}" failed; entry dropped: ${String(error)}`);
    }
  }

  /** Drops keys from the local tier and marks their loads in flight stale. */
  evictLocal(keys: readonly string[]): void {
    this.markStale(keys);
    this.cache.evictLocal?.(keys);
  }

  /**
   * Drops a key from every tier. A shared-tier failure is logged, or thrown with `rethrow` (an
   * explicit invalidation must tell its caller the shared copy may remain).
   */
  async drop(key: string, rethrow = false): Promise<void> {
    this.evictLocal([key]);
    try {
      await this.cache.delete(key);
    } catch (error) {
      if (rethrow) throw error;
      this.logger.warn(`Warp: deleting "${key}" from the cache failed: ${String(error)}`);
    } finally {
      this.markStale([key]);
    }
  }

  /**
   * A peer announced a newer write of these EventualDistributed keys: evict them here, and delete
   * from the shared tier those this node wrote there recently (its command may have landed after
   * the peer's).
   */
  overtakenByPeer(keys: readonly string[]): void {
    this.evictLocal(keys);
    for (const key of keys) if (this.shared && this.recentShared.take(key)) void this.drop(key);
  }

  markStale(keys: readonly string[]): void {
    for (const key of keys) for (const flights of this.flights) flights.markStale(key);
  }

  /** Drops every local entry that `predicate` accepts and marks their loads stale (missed invalidations). */
  clearLocal(predicate: (key: string) => boolean): void {
    for (const flights of this.flights) flights.markAllStale(predicate);
    this.cache.clearLocal?.(predicate);
  }

  /** Bounds a read-path operation by the read timeout, when one is set. */
  bounded<T>(operation: Promise<T>): Promise<T> {
    return this.readTimeout === undefined ? operation : withTimeout(operation, this.readTimeout);
  }

  private async fillIfAbsent(key: string, entry: Envelope, ttl: number): Promise<void> {
    if ((await this.cache.get(key)) === undefined) await this.cache.set(key, entry, ttl);
  }
}
