import type { WarpBus } from '../bus/bus.interface.js';
import { RedisBus } from '../bus/redis.bus.js';
import type { WarpCache } from '../cache/cache.interface.js';
import { RedisCache } from '../cache/redis.cache.js';
import { TieredCache } from '../cache/tiered.cache.js';

/**
 * Whether a publish on `bus` issued after a write to `cache`'s shared tier is applied by Redis
 * after that write: the shared tier is a `RedisCache` (alone or as a `TieredCache`'s L2) on the
 * very standalone client the `RedisBus` publishes on, without auto-pipelining. Both then travel
 * one connection in the order they are issued (ioredis writes a command when it is called, and
 * queues or resends in order across reconnections), and Redis runs one connection's commands in
 * order: a peer that hears the publish and reads the key finds the write. Both ports issue the
 * command synchronously when called (`Tiers.put` relies on it; `test/integration/publish-order.test.ts`
 * checks it). A Cluster is excluded: a key's master need not be the one the bus publishes on.
 */
export function sharedTierOrderedWithBus(cache: WarpCache, bus: WarpBus): boolean {
  // Exactly these classes: a subclass could await something before it issues the command.
  const shared = exactly(cache, TieredCache) ? (cache as TieredCache).l2 : cache;
  if (!exactly(shared, RedisCache) || !(bus instanceof RedisBus)) return false;
  const client = bus.redis;
  return !client.isCluster && (shared as RedisCache).redis === client && client.options.enableAutoPipelining !== true;
}

function exactly(object: object, type: abstract new (...args: never[]) => unknown): boolean {
  return Object.getPrototypeOf(object) === type.prototype;
}
