import type { Cluster, Redis } from 'ioredis';
import type { Codec } from '../codec/codec.interface.js';
import { SerializationError } from '../warp.errors.js';

/**
 * An ioredis client the user owns, of ioredis 5 or 6: standalone/Sentinel (`Redis`) or `Cluster`.
 * Warp's types import the ioredis this package resolves; when that is 6 and the client comes from
 * a v5 copy (bullmq and typeorm still peer on 5), v6's classes do not match it, so clients are
 * also accepted by a shape both majors share. Every command Warp sends exists in both: the
 * backends' contract suites run on each major.
 */
export type RedisClient = Redis | Cluster | IoRedisShape;

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

/** How many keys one `SCAN` step asks for: large enough to keep round trips few, small enough not to stall Redis. */
const SCAN_COUNT = 500;

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
  private readonly clientPrefix: string;

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

  /** @throws SerializationError naming `key` when the codec rejects the value. */
  encode(key: string, value: unknown): string | Buffer {
    try {
      return this.codec.encode(value);
    } catch (error) {
      throw keyedError('cannot serialize the value of', key, error);
    }
  }

  /** @throws SerializationError naming `key` when the stored data cannot be decoded. */
  decode(key: string, data: string | Buffer): unknown {
    try {
      return this.codec.decode(data);
    } catch (error) {
      throw keyedError('cannot decode the stored value of', key, error);
    }
  }

  /** Reads one raw value, as a Buffer when the codec is binary. */
  read(key: string): Promise<string | Buffer | null> {
    return this.codec.binary ? this.client.getBuffer(this.key(key)) : this.client.get(this.key(key));
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

  /** Deletes Warp keys; on a Cluster one command per key, since a multi-key `UNLINK` must stay in one slot. */
  async unlink(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const redisKeys = keys.map((key) => this.key(key));
    if (this.client.isCluster) await Promise.all(redisKeys.map((key) => this.client.unlink(key)));
    else await this.client.unlink(...redisKeys);
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

function keyedError(what: string, key: string, error: unknown): SerializationError {
  const reason = error instanceof Error ? error.message : String(error);
  return new SerializationError(`${what} key "${key}": ${reason}`, { key, cause: error });
}
