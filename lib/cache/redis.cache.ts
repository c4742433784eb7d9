import { assertStorable } from '../codec/assert-storable.js';
import type { Codec } from '../codec/codec.interface.js';
import { JsonCodec } from '../codec/json.codec.js';
import type { Envelope } from '../common/envelope.js';
import { RedisKeyspace, toPx, type RedisClient } from '../redis/redis-keyspace.js';
import { SerializationError } from '../common/warp.errors.js';
import { luaScript, runScript } from '../redis/lua-script.js';
import type { WarpCache } from './cache.interface.js';

/** Options of `RedisCache`. */
export interface RedisCacheOptions {
  /**
   * Prefix of every key this cache writes; `clear()` and `keys()` touch only keys under it, so
   * several caches (or Warp namespaces) can share one Redis. Default `'warp:cache:'`.
   */
  prefix?: string;
  /** Encodes the envelopes. Default: a `JsonCodec`. */
  codec?: Codec;
}

/** PTTL replies that are not a remaining time: -1 no expiry, -2 no key. */
const PTTL_NO_EXPIRY = -1;
/** The value (nil when absent) and its `PTTL`, read atomically. */
const GET_WITH_TTL = luaScript("return { redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1]) }");

/**
 * A shared cache on Redis (standalone, Sentinel or Cluster through ioredis): the L2 of a
 * `TieredCache`, or the only cache when every read should see the cluster's value.
 *
 * Each entry is one string key `<prefix><key>` holding the encoded envelope `{ value, ts, origin }`,
 * with its TTL as a Redis expiry (`SET ... PX`). `setIfAbsent` is `SET NX`; `keys()` and `clear()`
 * walk `SCAN` (on every master of a Cluster), never `KEYS`. There is no node-local tier, so no
 * `peek`/`evictLocal`. The client belongs to the caller: `close()` leaves it open.
 *
 * @example
 * const cache = new TieredCache(new MemoryCache(), new RedisCache(new Redis(), { prefix: 'shop:cache:' }));
 */
export class RedisCache implements WarpCache {
  private readonly space: RedisKeyspace;
  private pendingDeletes?: { keys: string[]; done: Promise<void> };

  /** The client this cache uses (yours: never closed here); lent to the default locker. */
  get redis(): RedisClient {
    return this.space.client;
  }

  constructor(client: RedisClient, options: RedisCacheOptions = {}) {
    this.space = new RedisKeyspace(client, options.prefix ?? 'warp:cache:', options.codec ?? new JsonCodec());
  }

  /**
   * @throws SerializationError naming the key when the stored data is not an envelope.
   * @throws the client's error (an ioredis `ReplyError`, or a connection error while Redis is unreachable).
   */
  async get(key: string): Promise<Envelope | undefined> {
    const data = await this.space.read(key);
    return data === null ? undefined : this.toEnvelope(key, data);
  }

  /**
   * Reads an entry and its remaining TTL atomically (one script running `GET` and `PTTL`: one
   * command, and both replies describe the same version of the key). A `MULTI` of the two took
   * 2-3x a `GET` (four commands, a transaction to parse); the script costs about 1.3x.
   * @throws SerializationError naming the key when the stored data is not an envelope.
   * @throws the client's error (an ioredis `ReplyError`, or a connection error while Redis is unreachable).
   */
  async getWithTtl(key: string): Promise<{ entry: Envelope; ttlMs: number | undefined } | undefined> {
    const [data, pttl] = await runScript<[string | Buffer | null, number]>(this.space.client, GET_WITH_TTL, [this.space.key(key)], [], this.space.codec.binary);
    if (data === null) return undefined;
    return { entry: this.toEnvelope(key, data), ttlMs: pttl === PTTL_NO_EXPIRY ? undefined : Math.max(pttl, 1) };
  }

  /**
   * @throws SerializationError naming the key when the value cannot be encoded.
   * @throws the client's error (an ioredis `ReplyError`, or a connection error while Redis is unreachable).
   */
  async set(key: string, entry: Envelope, ttlMs?: number): Promise<void> {
    const data = this.encode(key, entry);
    const redisKey = this.space.key(key);
    const px = toPx(ttlMs);
    if (px === undefined) await this.space.client.set(redisKey, data);
    else await this.space.client.set(redisKey, data, 'PX', px);
  }

  /**
   * `SET NX`: atomic across every node sharing the Redis.
   * @throws SerializationError naming the key when the value cannot be encoded.
   * @throws the client's error (an ioredis `ReplyError`, or a connection error while Redis is unreachable).
   */
  async setIfAbsent(key: string, entry: Envelope, ttlMs?: number): Promise<boolean> {
    const data = this.encode(key, entry);
    const redisKey = this.space.key(key);
    const px = toPx(ttlMs);
    const reply =
      px === undefined
        ? await this.space.client.set(redisKey, data, 'NX')
        : await this.space.client.set(redisKey, data, 'PX', px, 'NX');
    return reply === 'OK';
  }

  /**
   * Deletes coalesce: every delete issued before the next macrotask goes out as one multi-key
   * `UNLINK` (one per slot on a Cluster, where one command must stay in one slot), so a burst of
   * invalidations costs one round trip instead of one each.
   * @throws the client's error (an ioredis `ReplyError`, or a connection error while Redis is unreachable). Every delete of the batch rejects with it.
   */
  delete(key: string): Promise<void> {
    let batch = this.pendingDeletes;
    if (batch === undefined) {
      const keys: string[] = [];
      const done = new Promise<void>((resolve, reject) =>
        setImmediate(() => {
          this.pendingDeletes = undefined;
          this.space.unlink(keys).then(resolve, reject);
        }),
      );
      batch = this.pendingDeletes = { keys, done };
    }
    batch.keys.push(key);
    return batch.done;
  }

  /**
   * Deletes every key under the prefix (found by `SCAN`), nothing else.
   * @throws the client's error (an ioredis `ReplyError`, or a connection error while Redis is unreachable).
   */
  clear(): Promise<void> {
    return this.space.unlinkAll();
  }

  /**
   * The keys under the prefix, without it, found by `SCAN` (on every Cluster master).
   * @throws the client's error (an ioredis `ReplyError`, or a connection error while Redis is unreachable).
   */
  keys(): Promise<string[]> {
    return this.space.keys();
  }

  /** Nothing to release: the client belongs to the caller and stays open. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  private encode(key: string, entry: Envelope): string | Buffer {
    try {
      // Copy the three fields: an entry may carry others (a memory tier's expiry) that must not travel.
      return this.space.encode(key, { value: entry.value, ts: entry.ts, origin: entry.origin });
    } catch (error) {
      // The codec saw the envelope: name the path inside the user's value rather than `$.value...`.
      assertStorable(this.space.codec, key, entry.value);
      throw error;
    }
  }

  private toEnvelope(key: string, data: string | Buffer): Envelope {
    const decoded = this.space.decode(key, data) as Partial<Envelope> | null;
    if (typeof decoded !== 'object' || decoded === null || typeof decoded.ts !== 'number' || typeof decoded.origin !== 'string') {
      throw new SerializationError(`the value stored for key "${key}" is not a Warp envelope`, { key });
    }
    return { value: decoded.value, ts: decoded.ts, origin: decoded.origin };
  }
}
