import type { Cluster, Redis } from 'ioredis';
import { describeRedisEndpoint } from './redis-endpoint.js';

/**
 * What would make an ioredis client a poor neighbour during a Redis outage, one sentence per
 * problem (docs/operations.md, "ioredis client options"). Warp bounds its own requests either
 * way (`commandTimeout`); these are about the client itself.
 */
export function redisClientWarnings(client: Redis | Cluster): string[] {
  const where = describeRedisEndpoint(client);
  const options = client.options as { maxRetriesPerRequest?: number | null; commandTimeout?: number; enableOfflineQueue?: boolean };
  const warnings: string[] = [];
  if (options.maxRetriesPerRequest === null && options.commandTimeout === undefined && options.enableOfflineQueue !== false) {
    warnings.push(
      `the ioredis client for ${where} queues commands for as long as Redis is down (maxRetriesPerRequest: null, no commandTimeout): ` +
        'Warp stops waiting after commandTimeout, but the queue grows for the whole outage and runs stale commands when Redis returns; ' +
        'set maxRetriesPerRequest (e.g. 1) or commandTimeout',
    );
  }
  if (client.listenerCount('error') === 0) {
    warnings.push(
      `the ioredis client for ${where} has no 'error' listener: ioredis prints "Unhandled error event" for every failed reconnection; ` +
        "add client.on('error', ...) (Warp reports outages itself)",
    );
  }
  return warnings;
}
