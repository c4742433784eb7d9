import type { WarpCache } from '../cache/cache.interface.js';
import type { WarpLogger } from '../interfaces/warp-logger.interface.js';
import type { Envelope } from '../common/envelope.js';
import type { SingleFlight } from '../common/singleflight.js';
import { RecentSharedWrites } from './write-guards.js';
import { withTimeout } from '../common/deadline.js';
import { SharedTierGuard } from './shared-tier-guard.js';

/**
 * The cache tiers as the engine uses them, with the rules that keep them coherent: a fill never
 * replaces a value (set-if-absent), a write that failed in the shared tier leaves no copy behind,
 * loads in flight are marked stale by every eviction, and an EventualDistributed key this node
 * wrote to the shared tier is deleted there when a peer's newer write is announced.
 */
export class Tiers {
  private readonly recentShared = new RecentSharedWrites();
  /** Second announces of writes whose shared copy is being deleted (see `put`). */
  private readonly reannouncing = new Set<Promise<void>>();
  /** Bounds and health of the shared tier (when there is one). */
  private readonly guard: SharedTierGuard;
  /** A node-local cache with a synchronous `put` (`MemoryCache`): writes need not await it. */
  private readonly local?: WarpCache & { put(key: string, entry: Envelope, ttl: number): void };

  constructor(
    readonly cache: WarpCache,
    /** Whether `cache.get` can find what `cache.peek` cannot (a shared tier behind the local one). */
    readonly shared: boolean,
    private readonly flights: readonly SingleFlight[],
    private readonly logger: WarpLogger,
    /** `storeTimeout`: bounds store reads (and shared-tier reads, when shorter than `commandTimeout`). */
    private readonly readTimeout: number | undefined,
    commandTimeout: number,
    /**
     * Whether a bus publish issued after a shared-tier write reaches the shared tier's server after
     * it (one ordered connection, see `sharedTierOrderedWithBus`): writers may then announce a
     * write as soon as it is issued.
     */
    private readonly orderedWithBus = false,
  ) {
    const local = cache as WarpCache & { put?(key: string, entry: Envelope, ttl: number): void };
    if (!shared && typeof local.put === 'function') this.local = local as NonNullable<Tiers['local']>;
    this.guard = new SharedTierGuard(commandTimeout, logger, {
      delete: (key) => cache.delete(key),
      clear: () => cache.clear?.() ?? Promise.resolve(),
    });
  }

  /** The local tier's entry: the allocation-free hot path. */
  peek(key: string): Envelope | undefined {
    return this.cache.peek?.(key);
  }

  /** The shared tier's entry; a failing or slow shared tier reads as a miss (the store answers). */
  async readShared(key: string): Promise<Envelope | undefined> {
    if (!this.guard.readable(key)) return undefined;
    try {
      const ms = Math.min(this.guard.timeoutMs, this.readTimeout ?? Infinity);
      return await this.guard.run(this.cache.get(key), ms);
    } catch {
      return undefined; // logged by the guard, once per outage
    }
  }

  /**
   * Fills a value read from its source, only where no entry exists. `trackShared` marks an
   * EventualDistributed key, whose shared-tier copy a peer's later invalidation deletes.
   */
  async fill(key: string, entry: Envelope, ttl: number, trackShared: boolean): Promise<void> {
    // A skipped or suspect shared tier is not filled: set-if-absent could not replace its copy anyway.
    if (this.shared && !this.guard.readable(key)) return;
    if (trackShared && this.shared) this.recentShared.record(key);
    try {
      const filling: Promise<unknown> =
        this.cache.setIfAbsent !== undefined ? this.cache.setIfAbsent(key, entry, ttl) : this.fillIfAbsent(key, entry, ttl);
      // A shared tier that hangs must not hold the read that already has its value.
      await (this.shared ? this.guard.run(filling) : filling);
    } catch (error) {
      if (!this.shared) this.logger.warn(`Warp: cache fill of "${key}" failed: ${String(error)}`);
    }
  }

  /** Whether `putLocal` can write this cache: a node-local one with a synchronous `put`. */
  get putsLocally(): boolean {
    return this.local !== undefined;
  }

  /**
   * `put` on a node-local cache with a synchronous `put`, without a promise: marks the key's loads
   * stale, then writes. Returns false, writing nothing, for any other cache (use `put`).
   */
  putLocal(key: string, entry: Envelope, ttl: number): boolean {
    if (this.local === undefined) return false;
    for (const flights of this.flights) flights.markStale(key);
    this.local.put(key, entry, ttl);
    return true;
  }

  /**
   * Writes a value every tier must now serve. A failure drops the key instead (never a stale copy).
   * `announce` tells peers (an EventualDistributed invalidation): once the shared tier holds the
   * value, so a peer that evicts and reads there finds it — or, when the shared tier and the bus
   * share one ordered connection (`orderedWithBus`), as soon as the shared write is issued, since
   * Redis then applies it before the publish that follows it on that connection. When the shared
   * write fails, peers are told at once and again once the shared copy is deleted. An announced
   * (EventualDistributed) key is remembered as written to the shared tier recently. Marks the
   * key's loads stale first.
   */
  async put(key: string, entry: Envelope, ttl: number, announce?: () => void): Promise<void> {
    this.markStale([key]);
    // A node-local cache is written synchronously: awaiting its resolved promise costs a tick.
    if (this.local !== undefined) {
      this.local.put(key, entry, ttl);
      return announce?.();
    }
    if (!this.shared) {
      try {
        await this.cache.set(key, entry, ttl);
      } catch (error) {
        await this.cache.delete(key).catch(() => undefined);
        this.logger.warn(`Warp: cache write of "${key}" failed; entry dropped: ${String(error)}`);
      }
      return announce?.();
    }
    if (announce !== undefined) this.recentShared.record(key);
    let announced = false;
    if (!this.guard.skipping) {
      try {
        const writing = this.guard.run(this.cache.set(key, entry, ttl));
        if (announce !== undefined && this.orderedWithBus) {
          announce();
          announced = true;
        }
        await writing;
        this.guard.cleared(key);
        if (!announced) announce?.();
        return;
      } catch {
        // logged by the guard; the key is dropped below
      }
    }
    // The shared copy is now unknown: never read there until deleted (retried when the tier is back).
    this.guard.markSuspect(key);
    this.cache.evictLocal?.([key]);
    const deleting = this.deleteShared(key);
    if (announce === undefined) return;
    // Peers hear of the write now (their local copies must go even while the shared tier is down),
    // and again once the deletion is over (within `commandTimeout`): one that read the old shared
    // copy meanwhile evicts it again. `settled()` waits for that second announce (shutdown).
    if (!announced) announce();
    const reannounce = deleting.then(announce);
    this.reannouncing.add(reannounce);
    void reannounce.finally(() => this.reannouncing.delete(reannounce));
  }

  /** Resolves once the announces waiting on a shared-tier deletion (see `put`) are out. */
  async settled(): Promise<void> {
    while (this.reannouncing.size > 0) await Promise.all([...this.reannouncing]);
  }

  /**
   * The last step of a StrongDistributed write before its commit: leaves the shared tier holding
   * `entry` (or, with `undefined`, nothing) and this node's local tier holding it or nothing.
   * Unlike `put` and `drop`, nothing here is skipped or left in flight while the shared tier is
   * being skipped: once the commit is out, peers read the shared tier again, so a copy older than
   * the store must be gone by then. A failed write there falls back to a (bounded, awaited)
   * delete. Resolves `false` when the shared copy is unknown (neither written nor deleted): the
   * caller must then not commit.
   */
  async settleStrong(key: string, entry: Envelope | undefined, ttl: number): Promise<boolean> {
    // drop() and put() mark the key's loads stale themselves.
    if (!this.shared) {
      if (entry === undefined) await this.drop(key);
      else await this.put(key, entry, ttl);
      return true;
    }
    this.markStale([key]);
    if (entry !== undefined && !this.guard.skipping) {
      try {
        await this.guard.run(this.cache.set(key, entry, ttl));
        this.guard.cleared(key);
        return true;
      } catch {
        // logged by the guard; the key is deleted below
      }
    }
    this.evictLocal([key]);
    return this.deleteShared(key);
  }

  /** Drops keys from the local tier and marks their loads in flight stale. */
  evictLocal(keys: readonly string[]): void {
    this.markStale(keys);
    this.cache.evictLocal?.(keys);
  }

  /**
   * Drops a key from every tier. When the shared tier fails, the key is suspect there: not read
   * there again before its deletion, retried as soon as the tier answers, succeeded.
   */
  async drop(key: string): Promise<void> {
    this.evictLocal([key]);
    try {
      if (!this.shared) {
        await this.cache.delete(key).catch((error: unknown) => this.logger.warn(`Warp: deleting "${key}" from the cache failed: ${String(error)}`));
      } else if (this.guard.skipping) {
        this.guard.markSuspect(key);
        this.cache.evictLocal?.([key]);
      } else {
        await this.deleteShared(key);
      }
    } finally {
      this.markStale([key]);
    }
  }

  /** Deletes the shared copy, bounded; a failure leaves the key suspect. Resolves whether it was deleted. */
  private async deleteShared(key: string): Promise<boolean> {
    try {
      await this.guard.run(this.cache.delete(key));
      this.guard.cleared(key);
      return true;
    } catch {
      this.guard.markSuspect(key);
      this.cache.evictLocal?.([key]);
      return false;
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
