import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { withTimeout } from '../common/deadline.js';
import type { Warp } from '../engine/warp.js';
import type { RedisClient } from '../redis/redis-keyspace.js';
import { WARP_INSTANCE } from '../warp.constants.js';

/** Options of one {@link WarpHealthIndicator.isHealthy} check. */
export interface WarpHealthOptions {
  /**
   * Redis clients to ping, in addition to those found in Warp's Redis-backed cache, store and bus
   * (e.g. the client of a `RedisLocker`, which keeps its own private).
   */
  redis?: RedisClient | RedisClient[];
  /** Fewest live members (this node included) for the check to pass. Default 1. */
  minMembers?: number;
  /** ms a Redis `PING` may take. Default 1000. */
  timeout?: number;
}

/** How this node sees the cluster, as reported in the health result. */
export interface WarpHealthDetails {
  nodeId: string;
  bus: 'connected' | 'disconnected';
  /** Live members this node sees, itself included. */
  members: number;
  /** `up`/`down` when Redis-backed components are configured, `n/a` otherwise. */
  redis: 'up' | 'down' | 'n/a';
  /** Why the check is down, when it is. */
  message?: string;
}

/**
 * A `@nestjs/terminus` health indicator for Warp: down when the node does not hear the cluster
 * bus, sees fewer than `minMembers` live members, or cannot reach Redis (when a Redis-backed
 * cache, store or bus is configured, or clients are given). Import it from `nestjs-warp/health`
 * (terminus stays optional for apps that do not use it) and provide it next to `TerminusModule`.
 *
 * @example
 * import { WarpHealthIndicator } from 'nestjs-warp/health';
 * \@Module({ imports: [TerminusModule], controllers: [HealthController], providers: [WarpHealthIndicator] })
 * // in the controller: @Get('health') @HealthCheck() check() { return this.health.check([() => this.warp.isHealthy('warp')]); }
 */
@Injectable()
export class WarpHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(WARP_INSTANCE) private readonly warp: Warp,
  ) {}

  /** Checks the bus, the membership and Redis; never throws (terminus reads `down` from the result). */
  async isHealthy<const Key extends string = 'warp'>(key: Key = 'warp' as Key, options: WarpHealthOptions = {}): Promise<HealthIndicatorResult<Key>> {
    const session = this.health.check(key);
    const details = await this.inspect(options);
    return details.message === undefined ? session.up({ ...details }) : session.down({ ...details });
  }

  private async inspect(options: WarpHealthOptions): Promise<WarpHealthDetails> {
    const { nodeId, connected, members, closed, duplicateNodeIds: duplicates } = this.warp.status();
    const clients = new Set([...redisClientsOf(this.warp), ...[options.redis ?? []].flat()]);
    const unreachable = clients.size === 0 ? [] : await unreachableClients([...clients], options.timeout ?? 1000);
    const problems: string[] = [];
    if (closed) problems.push('Warp is closed');
    if (!connected) problems.push('not connected to the cluster bus');
    if (members < (options.minMembers ?? 1)) problems.push(`${members} live members, fewer than ${options.minMembers}`);
    if (unreachable.length > 0) problems.push(`Redis unreachable: ${unreachable.join('; ')}`);
    if (duplicates.length > 0) problems.push(`node id used by two live processes: ${duplicates.join(', ')}`);
    return {
      nodeId,
      bus: connected ? 'connected' : 'disconnected',
      members,
      redis: clients.size === 0 ? 'n/a' : unreachable.length === 0 ? 'up' : 'down',
      ...(problems.length > 0 ? { message: problems.join(', ') } : {}),
    };
  }
}

/**
 * The ioredis clients behind Warp's Redis-backed components, found by shape (a `RedisCache` or
 * `RedisStore` keyspace, a `TieredCache`'s L2, a `RedisBus`), without importing ioredis.
 */
function redisClientsOf(warp: Warp): RedisClient[] {
  const found: RedisClient[] = [];
  const visit = (component: unknown): void => {
    if (component === null || typeof component !== 'object') return;
    const shaped = component as { space?: { client?: unknown }; client?: unknown; l2?: unknown };
    for (const candidate of [shaped.space?.client, shaped.client]) if (isRedisClient(candidate)) found.push(candidate);
    if (shaped.l2 !== undefined) visit(shaped.l2);
  };
  for (const component of [warp.cache, warp.store, warp.bus]) visit(component);
  return found;
}

function isRedisClient(value: unknown): value is RedisClient {
  return typeof value === 'object' && value !== null && typeof (value as RedisClient).ping === 'function' && typeof (value as RedisClient).status === 'string';
}

async function unreachableClients(clients: RedisClient[], timeout: number): Promise<string[]> {
  const failures = await Promise.all(
    clients.map(async (client) => {
      // A client that is not ready would queue the PING until it reconnects: report it at once.
      if (client.status !== 'ready') return `client ${client.status}`;
      try {
        await withTimeout(client.ping(), timeout);
        return undefined;
      } catch (error) {
        return `PING ${error instanceof Error ? error.message : String(error)}`;
      }
    }),
  );
  return failures.filter((failure) => failure !== undefined);
}
