import { TransportBus } from '../bus/transport.bus.js';
import { describeTransportEndpoint, SUPPORTED_TRANSPORTS } from '../bus/transport-bus-options.js';
import { describeDefaultLocker } from './default-locker.js';
import { redisClientWarnings } from '../redis/client-checks.js';
import { describeRedisEndpoint } from '../redis/redis-endpoint.js';
import type { Warp } from './warp.js';

/**
 * The one line the Nest module logs once Warp has started: what it runs on, so an operator can
 * check a deployment from its logs (which node and incarnation, which bus and Redis, which tiers).
 *
 * @example
 * "Warp started: node api-1 (incarnation 3f1c9a2b7d4e6f80), namespace \"shop\", bus RedisBus (redis:6379),
 *  cache TieredCache (L1 MemoryCache, L2 RedisCache (redis:6379)), store RedisStore (redis:6379),
 *  locker RedisLocker, 4 key registrations"
 */
export function describeStartup(warp: Warp): string {
  const registrations = warp.registry.all().length;
  return (
    `Warp started: node ${warp.nodeId} (incarnation ${warp.incarnation}), namespace "${warp.namespace}", ` +
    `bus ${describeComponent(warp.bus)}, cache ${describeComponent(warp.cache)}, store ${describeComponent(warp.store)}, ` +
    `locker ${describeDefaultLocker(warp.locker) ?? describeComponent(warp.locker)}, ` +
    `${registrations} key registration${registrations === 1 ? '' : 's'}`
  );
}

/** A backend by class, with its tiers or the endpoint it talks to when it has one. */
function describeComponent(component: object): string {
  const name = component.constructor?.name || 'object';
  if (component instanceof TransportBus) {
    const { transport, options } = component.transportOptions;
    return `${name} (${SUPPORTED_TRANSPORTS[Number(transport)]} ${describeTransportEndpoint(transport, options)})`;
  }
  const parts = component as { l1?: object; l2?: object; redis?: Parameters<typeof describeRedisEndpoint>[0] };
  if (parts.l1 !== undefined && parts.l2 !== undefined) return `${name} (L1 ${describeComponent(parts.l1)}, L2 ${describeComponent(parts.l2)})`;
  if (parts.redis !== undefined) return `${name} (${describeRedisEndpoint(parts.redis)})`;
  return name;
}

/**
 * Warnings about the ioredis clients Warp was given (cache tiers, store, bus, locker), each
 * client once: options that would make it queue commands for a whole outage, no error listener.
 */
export function describeRedisClientWarnings(warp: Warp): string[] {
  const clients = new Set<Parameters<typeof redisClientWarnings>[0]>();
  const visit = (component: unknown): void => {
    const parts = component as { l1?: unknown; l2?: unknown; redis?: unknown } | undefined;
    if (parts === undefined || parts === null) return;
    if (parts.l1 !== undefined) visit(parts.l1);
    if (parts.l2 !== undefined) visit(parts.l2);
    const redis = parts.redis as Parameters<typeof redisClientWarnings>[0] | undefined;
    if (redis !== undefined && typeof redis.listenerCount === 'function') clients.add(redis);
  };
  for (const component of [warp.cache, warp.store, warp.bus, warp.locker]) visit(component);
  return [...clients].flatMap((client) => redisClientWarnings(client).map((warning) => `Warp: ${warning}`));
}
