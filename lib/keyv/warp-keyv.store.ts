import { EventEmitter } from 'node:events';
import type { Warp } from '../engine/warp.js';
import { Mode } from '../common/mode.js';
import { StoreError, WarpError } from '../common/warp.errors.js';

/** Options of {@link WarpKeyvStore}. */
export interface WarpKeyvStoreOptions {
  /**
   * Prefix of the Warp keys this store uses: a Keyv key `k` is the Warp key `<prefix>k`, and
   * `<prefix>*` is registered with `mode`. Default `'keyv:'`.
   */
  prefix?: string;
  /** Consistency mode of those keys. Default `Mode.EventualDistributed`. */
  mode?: Mode;
  /**
   * TTL in ms of the Warp registration (bounds how long an entry stays in memory; Keyv enforces
   * its own per-entry TTL on read). Default 0: no expiry.
   */
  ttl?: number;
}

/**
 * A Keyv store (`KeyvStoreAdapter`) over Warp, so an application on `@nestjs/cache-manager` (or
 * any Keyv user) puts Warp, with its cross-node invalidation, behind `CACHE_MANAGER`:
 *
 * - `get`/`set`/`getMany`/`has` go through Warp (`set` persists to Warp's store, caches, and
 *   invalidates peers by the registration's mode);
 * - `delete` removes the key from Warp's store (its `delete`) and invalidates it everywhere;
 * - `clear` deletes every key of the prefix (and Keyv namespace) the store can list (`keys`).
 *
 * Keyv keeps its own envelope (`{ value, expires }`, serialized by default) in the value, so its
 * per-entry TTL works unchanged. Keys must fit Warp's rules (at most 1024 bytes with the prefix).
 *
 * @example
 * CacheModule.registerAsync({
 *   isGlobal: true,
 *   inject: [WarpService],
 *   useFactory: (warp: WarpService) => ({ stores: [new Keyv({ store: new WarpKeyvStore(warp) })] }),
 * })
 * @throws InvalidKeyError when the prefix does not make a valid pattern.
 */
export class WarpKeyvStore extends EventEmitter {
  /** Keyv reads `opts` off stores; these are the resolved options. */
  readonly opts: Required<WarpKeyvStoreOptions>;
  /** Set by Keyv to its namespace; its keys arrive already prefixed with it. */
  namespace?: string;
  private readonly warp: Warp;

  /**
   * @param warp the engine, or `WarpService` (anything with `engine`).
   * @throws InvalidKeyError when `prefix` makes an invalid key pattern.
   * @throws InvalidOptionsError when `ttl` is invalid, or `mode` is distributed and the engine
   *   has started without a cluster-wide locker.
   */
  constructor(warp: Warp | { readonly engine: Warp }, options: WarpKeyvStoreOptions = {}) {
    super();
    this.warp = 'engine' in warp ? warp.engine : warp;
    this.opts = { prefix: options.prefix ?? 'keyv:', mode: options.mode ?? Mode.EventualDistributed, ttl: options.ttl ?? 0 };
    this.warp.register(`${this.opts.prefix}*`, this.opts.mode, { ttl: this.opts.ttl });
  }

  /**
   * The value through Warp (cache, then store).
   * @throws what `Warp.get` throws: StoreError when the store fails, WarpClosedError.
   */
  get<Value>(key: string): Promise<Value | undefined> {
    return this.warp.get<Value>(this.key(key));
  }

  /**
   * The values in the order of `keys`, `undefined` for missing ones.
   * @throws what `Warp.getMany` throws: StoreError when the store fails, WarpClosedError.
   */
  getMany<Value>(keys: string[]): Promise<Array<Value | undefined>> {
    return this.warp.getMany<Value>(keys.map((key) => this.key(key)));
  }

  // No has(): Keyv then answers it with get() and its own expiry check.

  /**
   * Resolves `true` once persisted. Keyv's `ttl` becomes the entry's TTL in Warp's cache tiers and
   * in Warp's store (`storeTtl`, see docs/store.md): a store with expiry (`RedisStore`,
   * `MemoryStore`) drops the entry then; one without keeps it until Keyv reads (and deletes) it or
   * `clear()` runs, as with any Keyv store without native expiry.
   * @throws InvalidOptionsError when `ttl` exceeds 2147483647 ms (about 24.8 days).
   */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    await this.warp.set(this.key(key), value, ttl === undefined || ttl <= 0 ? undefined : { ttl, storeTtl: ttl });
    return true;
  }

  /**
   * Deletes from Warp's store and invalidates the key on every node (by its mode).
   * @throws WarpError when Warp's store has no `delete`.
   */
  async delete(key: string): Promise<boolean> {
    const warpKey = this.key(key);
    const existed = (await this.warp.get(warpKey)) !== undefined;
    await this.deleteKey(warpKey);
    return existed;
  }

  /**
   * Deletes every key; resolves `true` when all of them existed.
   * @throws what `delete` throws, for the first key that fails.
   */
  async deleteMany(keys: string[]): Promise<boolean> {
    const deleted = await Promise.all(keys.map((key) => this.delete(key)));
    return deleted.every(Boolean);
  }

  /**
   * Deletes every key under the prefix (and Keyv's namespace) that Warp's store lists.
   * @throws WarpError when Warp's store has no `keys` or no `delete`.
   */
  async clear(): Promise<void> {
    const { store } = this.warp;
    if (store.keys === undefined) {
      throw new WarpError(`WarpKeyvStore.clear() needs a store with keys(prefix); this store cannot list "${this.opts.prefix}*"`);
    }
    const prefix = this.opts.prefix + (this.namespace ? `${this.namespace}:` : '');
    for (const warpKey of await store.keys(prefix)) await this.deleteKey(warpKey);
  }

  private async deleteKey(warpKey: string): Promise<void> {
    const { store } = this.warp;
    if (store.delete === undefined) {
      throw new WarpError(`WarpKeyvStore cannot delete "${warpKey}": Warp's store has no delete(key)`, { key: warpKey });
    }
    try {
      await store.delete(warpKey);
    } catch (error) {
      throw new StoreError(`Store delete of "${warpKey}" failed; the cache was left untouched: ${String(error)}`, { key: warpKey, cause: error });
    }
    await this.warp.invalidate(warpKey);
  }

  private key(key: string): string {
    return this.opts.prefix + key;
  }
}
