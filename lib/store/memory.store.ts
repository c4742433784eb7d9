import { assertDuration } from '../lock/lock-options.js';
import { DEFAULT_FENCE_TOMBSTONE_TTL, fenceOf } from './fence.js';
import { FenceLedger } from './fence-ledger.js';
import type { WarpStore, StoreWrite } from './store.interface.js';

/** Options of `MemoryStore`. */
export interface MemoryStoreOptions {
  /**
   * How long the fence of a deleted key is remembered, in ms (see `StoreWrite.fence`). Default
   * `DEFAULT_FENCE_TOMBSTONE_TTL` (24 hours).
   */
  fenceTombstoneTtl?: number;
}

/**
 * In-process store: the embedded default, for development, tests and single-node apps whose data
 * may be lost on restart. Values are kept by reference.
 *
 * Fenced writes (`StoreWrite.fence`) are checked against the highest fence accepted per key; the
 * fence lives as long as the value, and a deleted key's fence for `fenceTombstoneTtl`.
 *
 * A write with `StoreWrite.ttl` expires: the value reads as absent afterwards and is dropped (as
 * by a delete) when next read, listed or counted.
 *
 * @example
 * WarpModule.forRoot({ store: new MemoryStore([['config:site', { title: 'Shop' }]]) })
 */
export class MemoryStore<T = unknown> implements WarpStore<T> {
  private readonly data: Map<string, T>;
  private readonly fences: FenceLedger;
  /** Expiry time (epoch ms) of the values written with a TTL; the others are absent here. */
  private readonly expiries = new Map<string, number>();

  /** @throws InvalidOptionsError when `fenceTombstoneTtl` is not a number of ms > 0. */
  constructor(initial?: Iterable<[string, T]>, options: MemoryStoreOptions = {}) {
    const tombstoneTtl = options.fenceTombstoneTtl ?? DEFAULT_FENCE_TOMBSTONE_TTL;
    assertDuration('fenceTombstoneTtl', tombstoneTtl, false, 'MemoryStore');
    this.data = new Map(initial);
    this.fences = new FenceLedger(tombstoneTtl);
  }

  get(key: string): Promise<T | undefined> {
    return Promise.resolve(this.read(key));
  }

  /**
   * @throws FenceRejectedError when `write.fence` is lower than the key's accepted fence (nothing changes).
   * @throws InvalidOptionsError when `write.fence` is not a bigint >= 0n.
   */
  set(key: string, value: T, write?: StoreWrite): Promise<void> {
    try {
      const fence = fenceOf(key, write);
      this.fences.admit(key, fence);
      this.data.set(key, value);
      this.fences.setDone(key, fence);
      this.expireAfter(key, write?.ttl);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * @throws FenceRejectedError when `write.fence` is lower than the key's accepted fence (nothing changes).
   * @throws InvalidOptionsError when `write.fence` is not a bigint >= 0n.
   */
  delete(key: string, write?: StoreWrite): Promise<void> {
    try {
      const fence = fenceOf(key, write);
      this.fences.admit(key, fence);
      this.data.delete(key);
      this.expiries.delete(key);
      this.fences.deleteDone(key, fence);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  keys(prefix?: string): Promise<string[]> {
    this.dropExpired();
    const all = [...this.data.keys()];
    return Promise.resolve(prefix ? all.filter((key) => key.startsWith(prefix)) : all);
  }

  getMany(keys: readonly string[]): Promise<(T | undefined)[]> {
    return Promise.resolve(keys.map((key) => this.read(key)));
  }

  /** Number of stored values. */
  get size(): number {
    this.dropExpired();
    return this.data.size;
  }

  // Expiry lives in the four methods below; the rest of the store only calls them.

  /** Sets (ttl > 0) or clears (no ttl: a plain write keeps the value) the key's expiry. */
  private expireAfter(key: string, ttl: number | undefined): void {
    if (ttl !== undefined && ttl > 0) this.expiries.set(key, Date.now() + ttl);
    else this.expiries.delete(key);
  }

  /** The live value of `key`, dropping it first when it expired. */
  private read(key: string): T | undefined {
    const expiry = this.expiries.get(key);
    if (expiry !== undefined && expiry <= Date.now()) this.expire(key);
    return this.data.get(key);
  }

  /** Drops every expired value (a walk over the values that have a TTL only). */
  private dropExpired(): void {
    const now = Date.now();
    for (const [key, expiry] of this.expiries) if (expiry <= now) this.expire(key);
  }

  /** An expired value goes as a delete does: its fence becomes a tombstone (a stale writer stays refused). */
  private expire(key: string): void {
    this.data.delete(key);
    this.expiries.delete(key);
    this.fences.deleteDone(key, undefined);
  }
}
