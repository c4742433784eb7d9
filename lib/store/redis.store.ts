import type { Codec } from '../codec/codec.interface.js';
import { JsonCodec } from '../codec/json.codec.js';
import { RedisKeyspace, toPx, type RedisClient } from '../redis/redis-keyspace.js';
import type { Store, StoreWrite } from './store.interface.js';

/** Options of `RedisStore`. */
export interface RedisStoreOptions {
  /** Prefix of every key this store writes; `keys()` lists only keys under it. Default `'warp:store:'`. */
  prefix?: string;
  /** Encodes the values. Default: a `JsonCodec`. */
  codec?: Codec;
}

/** Keys per `MGET`: bounds one command's size (and the time Redis spends on it). */
const MGET_CHUNK = 1000;

/**
 * A primary store on Redis (standalone, Sentinel or Cluster through ioredis), for data whose
 * source of truth may live in Redis. Holds the user's plain values (never envelopes), one string
 * key `<prefix><key>` each, without expiry unless a write gives one (`write.ttl`: `SET ... PX`).
 *
 * `keys(prefix)` walks `SCAN` (on every Cluster master); `getMany` is `MGET` on a standalone
 * server and concurrent `GET`s on a Cluster (ioredis pipelines them per node; a multi-key `MGET`
 * would fail across slots). The client belongs to the caller and is never closed.
 *
 * @example
 * WarpModule.forRoot({ store: new RedisStore(redis, { prefix: 'shop:' }) })
 */
export class RedisStore<T = unknown> implements Store<T> {
  private readonly space: RedisKeyspace;

  /** The client this store uses (yours: never closed here); lent to the default locker. */
  get redis(): RedisClient {
    return this.space.client;
  }

  constructor(client: RedisClient, options: RedisStoreOptions = {}) {
    this.space = new RedisKeyspace(client, options.prefix ?? 'warp:store:', options.codec ?? new JsonCodec());
  }

  /** @throws SerializationError naming the key when the stored data cannot be decoded. */
  async get(key: string): Promise<T | undefined> {
    const data = await this.space.read(key);
    return data === null ? undefined : (this.space.decode(key, data) as T);
  }

  /**
   * Writes the value; with `write.ttl`, Redis expires it after that many ms (`PX`). A write
   * without one clears any earlier expiry.
   * @throws SerializationError naming the key when the value cannot be encoded.
   */
  async set(key: string, value: T, write?: StoreWrite): Promise<void> {
    const redisKey = this.space.key(key);
    const data = this.space.encode(key, value);
    const px = toPx(write?.ttl);
    await (px === undefined ? this.space.client.set(redisKey, data) : this.space.client.set(redisKey, data, 'PX', px));
  }

  async delete(key: string): Promise<void> {
    await this.space.client.unlink(this.space.key(key));
  }

  /** Keys under the store's prefix (and `prefix`, matched literally), without the store's prefix. */
  keys(prefix?: string): Promise<string[]> {
    return this.space.keys(prefix);
  }

  /** Values in the order of `keys`; `undefined` for missing ones. */
  async getMany(keys: readonly string[]): Promise<(T | undefined)[]> {
    if (keys.length === 0) return [];
    const { client, codec } = this.space;
    let data: (string | Buffer | null)[];
    if (client.isCluster) {
      data = await Promise.all(keys.map((key) => this.space.read(key)));
    } else {
      const chunks: Promise<(string | Buffer | null)[]>[] = [];
      for (let start = 0; start < keys.length; start += MGET_CHUNK) {
        const chunk = keys.slice(start, start + MGET_CHUNK).map((key) => this.space.key(key));
        chunks.push(codec.binary ? client.mgetBuffer(chunk) : client.mget(chunk));
      }
      data = (await Promise.all(chunks)).flat();
    }
    return data.map((item, i) => (item === null ? undefined : (this.space.decode(keys[i], item) as T)));
  }
}
