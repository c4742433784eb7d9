import { FenceRejectedError } from '../common/warp.errors.js';

/** A deleted key's fence, kept until `until` (ms since the epoch). */
interface Tombstone {
  fence: bigint;
  until: number;
}

/**
 * The fences an in-process store accepted, per key, with the lifetime of the value: a live fence
 * lasts as long as the value; a delete turns it into a tombstone kept for `tombstoneTtl` ms, so a
 * stale writer cannot bring a deleted key back. Tombstones are swept from the oldest on every
 * write, a bounded amount of work per call (one TTL for all, so insertion order is expiry order).
 *
 * @internal `MemoryStore`'s bookkeeping; `RedisStore` keeps the same rules in Redis.
 */
export class FenceLedger {
  private readonly live = new Map<string, bigint>();
  private readonly tombstones = new Map<string, Tombstone>();

  constructor(private readonly tombstoneTtl: number) {}

  /**
   * Checks a write of `key` fenced with `fence` (none: always admitted).
   * @throws FenceRejectedError when `fence` is lower than the key's accepted fence.
   */
  admit(key: string, fence: bigint | undefined): void {
    if (fence === undefined) return;
    const accepted = this.accepted(key);
    if (accepted !== undefined && fence < accepted) throw new FenceRejectedError(key, fence, accepted);
  }

  /** Records an admitted set: the key's fence becomes `fence` (or stays), and lives with the value. */
  setDone(key: string, fence: bigint | undefined): void {
    const next = fence ?? this.accepted(key);
    this.tombstones.delete(key);
    if (next !== undefined) this.live.set(key, next);
    this.sweep();
  }

  /** Records an admitted delete: the key's fence (if any) becomes a tombstone. */
  deleteDone(key: string, fence: bigint | undefined): void {
    const next = fence ?? this.accepted(key);
    this.live.delete(key);
    // Re-inserted at the end: the map stays ordered by expiry.
    this.tombstones.delete(key);
    if (next !== undefined) this.tombstones.set(key, { fence: next, until: Date.now() + this.tombstoneTtl });
    this.sweep();
  }

  /** Number of keys with a fence record (live or tombstone, expired ones not yet swept included). */
  get size(): number {
    return this.live.size + this.tombstones.size;
  }

  private accepted(key: string): bigint | undefined {
    const live = this.live.get(key);
    if (live !== undefined) return live;
    const tombstone = this.tombstones.get(key);
    return tombstone !== undefined && tombstone.until > Date.now() ? tombstone.fence : undefined;
  }

  /** Drops expired tombstones from the oldest: up to 16 per call, more than one call adds, so they never pile up. */
  private sweep(): void {
    const now = Date.now();
    let budget = 16;
    for (const [key, tombstone] of this.tombstones) {
      if (tombstone.until > now || budget-- === 0) return;
      this.tombstones.delete(key);
    }
  }
}
