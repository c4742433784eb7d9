import type { Cluster, Redis } from 'ioredis';
import { MemoryBusNode } from '../bus/memory.bus.js';
import type { WarpBus } from '../bus/bus.interface.js';
import { TransportBus } from '../bus/transport.bus.js';
import type { WarpCache } from '../cache/cache.interface.js';
import type { WarpStore } from '../store/store.interface.js';
import { InvalidOptionsError } from '../common/warp.errors.js';
import type { LockHandle, WarpLocker, AcquireOptions } from '../lock/locker.interface.js';
import { MemoryLocker } from '../lock/memory.locker.js';
import { RedisLocker } from '../lock/redis.locker.js';

/** A component built on an ioredis client it can lend to the default locker. */
interface RedisBacked {
  readonly redis: Redis | Cluster;
}

/** What the default locker is derived from. */
export interface LockerSources {
  cache?: WarpCache;
  store?: WarpStore;
  bus?: WarpBus;
}

/** `Transport.REDIS` of `@nestjs/microservices`, which is loaded only when needed. */
const NEST_REDIS_TRANSPORT = 1;
/** Options of Nest's Redis transport that are not ioredis options. */
const NEST_ONLY_OPTIONS = new Set(['retryAttempts', 'retryDelay', 'wildcards', 'serializer', 'deserializer']);

const processLocal = new WeakSet<WarpLocker>();

function redisOf(component: unknown): Redis | Cluster | undefined {
  if (component === null || typeof component !== 'object') return undefined;
  if ('redis' in component) return (component as RedisBacked).redis;
  // A tiered cache is Redis-backed through its shared tier.
  if ('l2' in component) return redisOf((component as { l2: unknown }).l2);
  return undefined;
}

/**
 * The locker used when the `locks` option is absent, cluster-wide whenever it can be:
 * - a `RedisLocker` on the client of the first Redis-backed component (cache, then store, then bus);
 * - on a `MemoryBus`, the one locker all the bus's nodes share (they live in one process);
 * - otherwise a `MemoryLocker` marked process-local: `assertClusterWideLocks` refuses it as soon
 *   as a distributed key is registered, so strong writes are never silently serialized per process.
 * `defaultLockerAsync` also derives one from a Redis transport bus.
 */
export function defaultLocker(sources: LockerSources): WarpLocker {
  const client = redisOf(sources.cache) ?? redisOf(sources.store) ?? redisOf(sources.bus);
  if (client !== undefined) return new RedisLocker(client);
  if (sources.bus instanceof MemoryBusNode) return new BorrowedLocker(sources.bus.sharedLocker);
  const fallback = new MemoryLocker();
  processLocal.add(fallback);
  return fallback;
}

/**
 * `defaultLocker`, and for a bus on Nest's Redis transport a `RedisLocker` on a connection of its
 * own (same host and credentials), which Warp closes at shutdown.
 */
export async function defaultLockerAsync(sources: LockerSources): Promise<WarpLocker> {
  const locker = defaultLocker(sources);
  const transport = sources.bus instanceof TransportBus ? sources.bus.transportOptions : undefined;
  if (!processLocal.has(locker) || transport === undefined || Number(transport.transport) !== NEST_REDIS_TRANSPORT) return locker;
  const { Redis: RedisClient } = await import('ioredis');
  const options = Object.fromEntries(Object.entries(transport.options ?? {}).filter(([name]) => !NEST_ONLY_OPTIONS.has(name)));
  const client = new RedisClient({ ...options, connectionName: 'warp-locks', maxRetriesPerRequest: 2 });
  // An unreachable Redis surfaces as LockTimeoutError on acquisition; ioredis must not crash the app.
  client.on('error', () => undefined);
  return new OwnedClientLocker(new RedisLocker(client), client);
}

/**
 * How the startup log names a locker this file built (the wrappers hide what they wrap);
 * `undefined` for any other locker.
 */
export function describeDefaultLocker(locker: WarpLocker): string | undefined {
  if (locker instanceof BorrowedLocker) return 'MemoryLocker (shared by the MemoryBus nodes of this process)';
  if (locker instanceof OwnedClientLocker) return 'RedisLocker (own connection to the Redis transport)';
  if (processLocal.has(locker)) return 'MemoryLocker (this process only)';
  return undefined;
}

/**
 * @throws InvalidOptionsError when distributed keys exist but the locker serializes one process
 * only (no Redis client, no MemoryBus, no `locks` option).
 */
export function assertClusterWideLocks(locker: WarpLocker, hasDistributedKey: boolean): void {
  if (!hasDistributedKey || !processLocal.has(locker)) return;
  throw new InvalidOptionsError(
    'Distributed keys need cluster-wide locks, and none can be derived from these options (no Redis cache, store, bus or ' +
      'Redis transport): set the "locks" option, e.g. locks: new RedisLocker(redis), or a NATS-backed WarpLocker of your own',
  );
}

/** The shared locker of a MemoryBus, seen by one node: closing the node leaves it to the others. */
class BorrowedLocker implements WarpLocker {
  constructor(private readonly inner: WarpLocker) {}

  acquire(name: string, options: AcquireOptions): Promise<LockHandle> {
    return this.inner.acquire(name, options);
  }

  async close(): Promise<void> {}
}

/** A locker on a Redis connection Warp opened itself: closing it closes the connection too. */
class OwnedClientLocker implements WarpLocker {
  constructor(
    private readonly inner: WarpLocker,
    private readonly client: Redis,
  ) {}

  acquire(name: string, options: AcquireOptions): Promise<LockHandle> {
    return this.inner.acquire(name, options);
  }

  async close(): Promise<void> {
    await this.inner.close();
    this.client.disconnect();
  }
}
