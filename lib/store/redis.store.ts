import type { Codec } from '../codec/codec.interface.js';
import { JsonCodec } from '../codec/json.codec.js';
import { assertDuration } from '../lock/lock-options.js';
import { defeatsHashTags, hashTagOfSlot } from '../redis/cluster-slot.js';
import { runScript } from '../redis/lua-script.js';
import { RedisKeyspace, toPx, type RedisClient } from '../redis/redis-keyspace.js';
import { FenceRejectedError, InvalidOptionsError } from '../common/warp.errors.js';
import { DEFAULT_FENCE_TOMBSTONE_TTL, fenceOf } from './fence.js';
import { FENCED_DELETE, FENCED_SET } from './redis-store.scripts.js';
import type { WarpStore, StoreWrite } from './store.interface.js';

/** Options of `RedisStore`. */
export interface RedisStoreOptions {
  /**
   * Prefix of every value key this store writes; `keys()` lists only keys under it. Must not be
   * empty. Default `'warp:store:'`.
   */
  prefix?: string;
  /** Encodes the values. Default: a `JsonCodec`. */
  codec?: Codec;
  /**
   * Prefix of the fence records (one per key written with a fence, see `StoreWrite.fence`). Must be
   * free of `{` and `}` and unique to this store, and neither it nor `prefix` may start with the
   * other, so `keys()` never lists a record. Default: `prefix` with `#fence` inserted before its
   * last character, braces removed (`'warp:store:'` gives `'warp:store#fence:'`), so the records
   * sit next to the values.
   */
  fencePrefix?: string;
  /**
   * How long the fence record of a deleted key is kept, in ms. Default
   * `DEFAULT_FENCE_TOMBSTONE_TTL` (24 hours).
   */
  fenceTombstoneTtl?: number;
}

const DEFAULT_PREFIX = 'warp:store:';

/**
 * A primary store on Redis (standalone, Sentinel or Cluster through ioredis), for data whose
 * source of truth may live in Redis. Holds the user's plain values (never envelopes), one string
 * key `<prefix><key>` each, without expiry unless a write gives one (`StoreWrite.ttl`: `PX`; the
 * fence record then expires `fenceTombstoneTtl` after the value, as a delete would leave it).
 *
 * - Writes are fenced (`StoreWrite.fence`): each `set` and `delete` is one Lua script that compares
 *   the write's fence with the key's record `<fencePrefix>{<tag>}<key>` (`<tag>` is a short hash
 *   tag that puts the record in the value's Cluster slot), then writes both. The record lives as
 *   long as the value; a delete leaves it as a tombstone that expires after `fenceTombstoneTtl`.
 * - `keys(prefix)` walks `SCAN` (on every Cluster master); `getMany` is one `MGET` per 1000 keys on a
 *   standalone server and one `MGET` per hash slot on a Cluster, where a multi-key command must
 *   stay in one slot.
 *
 * The client belongs to the caller and is never closed.
 *
 * @example
 * WarpModule.forRoot({ store: new RedisStore(redis, { prefix: 'shop:' }) })
 */
export class RedisStore<T = unknown> implements WarpStore<T> {
  private readonly space: RedisKeyspace;
  private readonly fencePrefix: string;
  private readonly tombstoneTtl: number;

  /** The client this store uses (yours: never closed here); lent to the default locker. */
  get redis(): RedisClient {
    return this.space.client;
  }

  /**
   * @param client - An ioredis `Redis` or `Cluster` the caller owns; never closed by the store.
   * @param options - See `RedisStoreOptions`.
   * @throws InvalidOptionsError when `prefix` is empty, `fencePrefix` holds braces or overlaps
   *   `prefix`, `fenceTombstoneTtl` is not a number of ms > 0, or a Cluster client's `keyPrefix`
   *   has an unclosed or empty hash tag (a value and its fence record could not share a slot).
   */
  constructor(client: RedisClient, options: RedisStoreOptions = {}) {
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    const fencePrefix = options.fencePrefix ?? defaultFencePrefix(prefix);
    this.tombstoneTtl = options.fenceTombstoneTtl ?? DEFAULT_FENCE_TOMBSTONE_TTL;
    assertDuration('fenceTombstoneTtl', this.tombstoneTtl, false, 'RedisStore');
    if (typeof fencePrefix !== 'string' || /[{}]/.test(fencePrefix)) {
      throw new InvalidOptionsError('Invalid RedisStore option "fencePrefix": expected a string without "{" or "}"');
    }
    if (prefix === '' || fencePrefix.startsWith(prefix) || prefix.startsWith(fencePrefix)) {
      throw new InvalidOptionsError(
        `Invalid RedisStore options: "prefix" (${JSON.stringify(prefix)}) must be non-empty, and neither it nor "fencePrefix" ` +
          `(${JSON.stringify(fencePrefix)}) may start with the other, or keys() would list fence records`,
      );
    }
    if (client.isCluster && defeatsHashTags(client.options.keyPrefix ?? '')) {
      throw new InvalidOptionsError(
        `Invalid Redis Cluster client for RedisStore: its keyPrefix ${JSON.stringify(client.options.keyPrefix)} opens a hash ` +
          'tag it does not close (or an empty one), so a value and its fence record could land in different slots',
      );
    }
    this.space = new RedisKeyspace(client, prefix, options.codec ?? new JsonCodec());
    this.fencePrefix = fencePrefix;
  }

  /** @throws SerializationError naming the key when the stored data cannot be decoded. */
  async get(key: string): Promise<T | undefined> {
    const data = await this.space.read(key);
    return data === null ? undefined : (this.space.decode(key, data) as T);
  }

  /**
   * Writes the value and, when fenced, its fence record, atomically; with `write.ttl`, Redis
   * expires the value after that many ms (a write without one clears an earlier expiry).
   * @throws SerializationError naming the key when the value cannot be encoded (nothing is written).
   * @throws FenceRejectedError when `write.fence` is lower than the key's accepted fence (nothing changes).
   * @throws InvalidOptionsError when `write.fence` is not a bigint >= 0n.
   */
  async set(key: string, value: T, write?: StoreWrite): Promise<void> {
    const fence = fenceOf(key, write);
    const data = this.space.encode(key, value);
    const px = toPx(write?.ttl);
    // An expiring value's fence record outlives it by the tombstone ttl, as after a delete.
    const expiry = px === undefined ? ['', ''] : [px, px + this.tombstoneTtl];
    const accepted = await runScript<string | null>(this.space.client, FENCED_SET, this.keysOf(key), [data, fence?.toString() ?? '', ...expiry]);
    if (accepted !== null) throw new FenceRejectedError(key, fence!, BigInt(accepted));
  }

  /**
   * Deletes the value; its fence record (if any) becomes a tombstone for `fenceTombstoneTtl`.
   * A missing key is not an error.
   * @throws FenceRejectedError when `write.fence` is lower than the key's accepted fence (nothing changes).
   * @throws InvalidOptionsError when `write.fence` is not a bigint >= 0n.
   */
  async delete(key: string, write?: StoreWrite): Promise<void> {
    const fence = fenceOf(key, write);
    const accepted = await runScript<string | null>(this.space.client, FENCED_DELETE, this.keysOf(key), [
      fence?.toString() ?? '',
      this.tombstoneTtl,
    ]);
    if (accepted !== null) throw new FenceRejectedError(key, fence!, BigInt(accepted));
  }

  /**
   * Keys under the store's prefix (and `prefix`, matched literally), without the store's prefix.
   * @throws the client's error (an ioredis `ReplyError`, or a connection error while Redis is unreachable).
   */
  keys(prefix?: string): Promise<string[]> {
    return this.space.keys(prefix);
  }

  /**
   * Values in the order of `keys`; `undefined` for missing ones.
   * @throws SerializationError naming the first key whose stored data cannot be decoded.
   */
  async getMany(keys: readonly string[]): Promise<(T | undefined)[]> {
    if (keys.length === 0) return [];
    const data = await this.space.readMany(keys);
    return data.map((item, i) => (item === null ? undefined : (this.space.decode(keys[i], item) as T)));
  }

  /** The value key and the fence record key of `key`, in one Cluster slot. */
  private keysOf(key: string): [string, string] {
    return [this.space.key(key), `${this.fencePrefix}{${hashTagOfSlot(this.space.slot(key))}}${key}`];
  }
}

/**
 * `'warp:store:'` → `'warp:store#fence:'`: the marker goes before the prefix's last character, so the
 * two prefixes differ there (`!` when that character is `#`) and neither starts with the other.
 */
function defaultFencePrefix(prefix: string): string {
  const plain = prefix.replace(/[{}]/g, '');
  const last = plain.at(-1) ?? '';
  return `${plain.slice(0, -1)}${last === '#' ? '!' : '#'}fence${last}`;
}
