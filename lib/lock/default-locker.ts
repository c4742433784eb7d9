import type { Cluster, Redis } from 'ioredis';
import type { SyncBus } from '../bus/sync-bus.interface.js';
import type { Cache } from '../cache/cache.interface.js';
import type { Store } from '../store/store.interface.js';
import type { Locker } from './locker.interface.js';
import { MemoryLocker } from './memory.locker.js';
import { RedisLocker } from './redis.locker.js';

/** A component built on an ioredis client it can lend to the default locker. */
interface RedisBacked {
  readonly redis: Redis | Cluster;
}

function redisOf(component: unknown): Redis | Cluster | undefined {
  if (component === null || typeof component !== 'object') return undefined;
  if ('redis' in component) return (component as RedisBacked).redis;
  // A tiered cache is Redis-backed through its shared tier.
  if ('l2' in component) return redisOf((component as { l2: unknown }).l2);
  return undefined;
}

/**
 * The locker used when the `locks` option is absent: a `RedisLocker` on the client of the first
 * Redis-backed component (cache, then store, then bus), so StrongDistributed writes, `@WarpLock`
 * and the `getOrSet` fill lock are cluster-wide as soon as Redis is in play; otherwise a
 * `MemoryLocker` (one process). A bus given as Nest transport options lends no client.
 */
export function defaultLocker(components: { cache?: Cache; store?: Store; bus?: SyncBus }): Locker {
  const client = redisOf(components.cache) ?? redisOf(components.store) ?? redisOf(components.bus);
  return client === undefined ? new MemoryLocker() : new RedisLocker(client);
}
