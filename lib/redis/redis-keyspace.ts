import type { Cluster, Redis } from 'ioredis';
import type { Codec } from '../codec/codec.interface.js';
import { keyedSerializationError } from '../codec/assert-storable.js';
import { slotOf } from './cluster-slot.js';

/**
 * An ioredis client the user owns, of ioredis 5 or 6: standalone/Sentinel (`Redis`) or `Cluster`.
 * Warp's types import the ioredis this package resolves; when that is 6 and the client comes from
 * a v5 copy (bullmq and typeorm still peer on 5), v6's classes do not match it, so clients are
 * also accepted by a shape both majors share. Every command Warp sends exists in both: the
 * backends' contract suites run on each major. The shape alone: both majors' `Redis` and
 * `Cluster` satisfy it, and a union naming the classes made the compiler compare them member by
 * member at every `new RedisBus(new Redis())` (~1.5 s of tsc CPU per such call site).
 */
export type RedisClient = IoRedisShape;

/** What identifies an ioredis `Redis` or `Cluster` of either major (5 or 6) to the compiler. */
export interface IoRedisShape {
  readonly isCluster: boolean;
  readonly status: string;
  readonly options: { readonly keyPrefix?: string };
  ping(): Promise<string>;
  duplicate(): unknown;
}

/** The client as the ioredis 6 classes Warp's code is typed against (see {@link RedisClient}). */
export function ioredis(client: RedisClient): Redis | Cluster {
  return client as Redis | Cluster;
}

/** Keys per `MGET`: bounds one command's size (and the time Redis spends on it). */
const MGET_CHUNK = 1000;

/** How many keys one `SCAN` step asks for: large enough to keep round trips few, small enough not to stall Redis. */
const SCAN_COUNT = 500;

/** `undefined` for no expiry (ttl undefined, 0 or negative, as in `MemoryCache`); else whole ms >= 1, as `PX` requires. */
export function toPx(ttlMs: number | undefined): number | undefined {
  return ttlMs !== undefined && ttlMs > 0 ? Math.ceil(ttlMs) : undefined;
}

/** Escapes the glob characters of `SCAN ... MATCH` so a prefix matches literally. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * One prefix of a user-owned Redis: the key mapping, codec calls that name the key in their
 * errors, and `SCAN` over every master of a Cluster. Shared by `RedisCache` and `RedisStore`.
 * Never closes the client.
 */
export class RedisKeyspace {
  readonly client: Redis | Cluster;
  /** The client's own `keyPrefix` option: ioredis adds it to commands but not to `SCAN MATCH` or its results. */
  readonly clientPrefix: string;

  constructor(
    client: RedisClient,
    readonly prefix: string,
    readonly codec: Codec,
  ) {
    this.client = ioredis(client);
    this.clientPrefix = client.options.keyPrefix ?? '';
  }

  /** The Redis key of a Warp key (without the client's `keyPrefix`, which ioredis adds). */
  key(key: string): string {
    return this.prefix + key;
  }

  /**
   * The Redis Cluster slot of a Warp key: of its full Redis key, the client's `keyPrefix`
   * included, since that is what ioredis sends and routes.
   */
  slot(key: string): number {
    return slotOf(this.clientPrefix + this.prefix + key);
  }

  /** @throws SerializationError naming `key` when the codec rejects the value. */
  encode(key: string, value: unknown): string | Buffer {
    try {
      return this.codec.encode(value);
    } catch (error) {
      throw keyedSerializationError('cannot serialize the value of', key, error);
    }
  }

  /** @throws SerializationError naming `key` when the stored data cannot be decoded. */
  decode(key: string, data: string | Buffer): unknown {
    try {
      return this.codec.decode(data);
    } catch (error) {
      throw keyedSerializationError('cannot decode the stored value of', key, error);
    }
  }

  /** Reads one raw value, as a Buffer when the codec is binary. */
  read(key: string): Promise<string | Buffer | null> {
    return this.codec.binary ? this.client.getBuffer(this.key(key)) : this.client.get(this.key(key));
  }

  /**
   * Reads raw values in the order of `keys` (`null` for missing ones): one `MGET` per 1000 keys on
   * a standalone server; on a Cluster, where a multi-key command must stay in one slot, one `MGET`
   * per slot the keys fall in (sent concurrently; ioredis routes each to the slot's master).
   */
  async readMany(keys: readonly string[]): Promise<(string | Buffer | null)[]> {
    const groups = this.client.isCluster ? this.bySlot(keys) : [keys.map((_, i) => i)];
    const values: (string | Buffer | null)[] = new Array(keys.length);
    const reads: Promise<void>[] = [];
    for (const group of groups) {
      for (let start = 0; start < group.length; start += MGET_CHUNK) {
        const indexes = group.slice(start, start + MGET_CHUNK);
        const redisKeys = indexes.map((i) => this.key(keys[i]));
        const read = this.codec.binary ? this.client.mgetBuffer(redisKeys) : this.client.mget(redisKeys);
        reads.push(read.then((found) => indexes.forEach((i, j) => (values[i] = found[j]))));
      }
    }
    await Promise.all(reads);
    return values;
  }

  /**
   * Lists the Warp keys under this prefix (and `subPrefix`), stripped of both prefixes, by `SCAN`
   * on the standalone server or on every Cluster master. Never `KEYS`: it would block Redis.
   */
  async keys(subPrefix = ''): Promise<string[]> {
    const found = new Set<string>(); // SCAN may return a key more than once.
    await this.scan(subPrefix, (batch) => {
      for (const key of batch) found.add(key);
    });
    return [...found];
  }

  /** Deletes every key under this prefix, one `SCAN` batch at a time. */
  async unlinkAll(): Promise<void> {
    await this.scan('', (batch) => this.unlink(batch));
  }

  /** Deletes Warp keys; on a Cluster one command per slot, since a multi-key `UNLINK` must stay in one slot. */
  async unlink(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const groups = this.client.isCluster ? this.bySlot(keys) : [keys.map((_, i) => i)];
    await Promise.all(groups.map((group) => this.client.unlink(...group.map((i) => this.key(keys[i])))));
  }

  /** The indexes of `keys` grouped by Cluster slot, each group in input order. */
  private bySlot(keys: readonly string[]): number[][] {
    const groups = new Map<number, number[]>();
    keys.forEach((key, i) => {
      const slot = this.slot(key);
      const group = groups.get(slot);
      if (group === undefined) groups.set(slot, [i]);
      else group.push(i);
    });
    return [...groups.values()];
  }

  private async scan(subPrefix: string, onBatch: (keys: string[]) => void | Promise<void>): Promise<void> {
    const head = this.clientPrefix + this.prefix;
    const match = `${escapeGlob(head + subPrefix)}*`;
    const nodes: Redis[] = this.client.isCluster ? (this.client as Cluster).nodes('master') : [this.client as Redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT);
        cursor = next;
        if (batch.length > 0) await onBatch(batch.map((key) => key.slice(head.length)));
      } while (cursor !== '0');
    }
  }
}
