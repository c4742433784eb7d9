import type { DynamicModule } from '@nestjs/common';
import type { Redis } from 'ioredis';
import {
  MemoryCache,
  Mode,
  RedisBus,
  RedisCache,
  RedisLocker,
  RedisStore,
  TieredCache,
  WarpModule,
  type KeyRegistration,
} from '../lib/index.js';
import { SAMPLE_PREFIX, SAMPLE_REDIS, SampleRedisModule } from './sample-redis.module.js';

/** The go-warp counter: a merge function adds increments instead of overwriting. */
const keys: KeyRegistration[] = [
  { key: 'counter', mode: Mode.StrongDistributed, merge: (current: number, increment: number) => current + increment },
];

/** True when this process is a node of a Redis-backed cluster (`WARP_REDIS_URL`). */
export const onRedis = Boolean(process.env.WARP_REDIS_URL);

/** The sample's own Redis client module, imported only on Redis. */
export const sampleInfrastructure = onRedis ? [SampleRedisModule] : [];

/**
 * Warp for the sample. Without `WARP_REDIS_URL`: the embedded in-memory defaults (one node).
 * With it: a cluster node on Redis (memory L1 + Redis L2, Redis store, bus and locks); start
 * several with different `PORT`s and they stay consistent.
 */
export function warpForSample(): DynamicModule {
  if (!onRedis) return WarpModule.forRoot({ keys, metrics: true });
  return WarpModule.forRootAsync({
    imports: [SampleRedisModule],
    inject: [SAMPLE_REDIS],
    useFactory: (redis: Redis) => ({
      namespace: SAMPLE_PREFIX,
      nodeId: `sample-${process.env.PORT ?? 3000}`,
      keys,
      metrics: true,
      cache: new TieredCache(new MemoryCache(), new RedisCache(redis, { prefix: `${SAMPLE_PREFIX}:cache:` })),
      store: new RedisStore(redis, { prefix: `${SAMPLE_PREFIX}:store:` }),
      bus: new RedisBus(redis),
      locks: new RedisLocker(redis, { prefix: `${SAMPLE_PREFIX}:lock:` }),
    }),
  });
}
