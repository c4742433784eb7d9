import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
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

const SAMPLE_REDIS = Symbol('SAMPLE_REDIS');

/** The go-warp counter: a merge function adds increments instead of overwriting. */
const keys: KeyRegistration[] = [
  { key: 'counter', mode: Mode.StrongDistributed, merge: (current: number, increment: number) => current + increment },
];

/** Owns the sample's ioredis client: Warp's Redis backends never close a client they were given. */
@Global()
@Module({
  providers: [{ provide: SAMPLE_REDIS, useFactory: () => new Redis(process.env.WARP_REDIS_URL!) }],
  exports: [SAMPLE_REDIS],
})
class SampleRedisModule implements OnApplicationShutdown {
  constructor(@Inject(SAMPLE_REDIS) private readonly redis: Redis) {}
  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}

/**
 * Warp for the sample. Without `WARP_REDIS_URL`: the embedded in-memory defaults (one node).
 * With it: a cluster node on Redis (memory L1 + Redis L2, Redis store, bus and locks); start
 * several with different `PORT`s and they stay consistent.
 */
export function warpForSample(): DynamicModule {
  if (!process.env.WARP_REDIS_URL) return WarpModule.forRoot({ keys, metrics: true });
  return WarpModule.forRootAsync({
    imports: [SampleRedisModule],
    inject: [SAMPLE_REDIS],
    useFactory: (redis: Redis) => ({
      namespace: 'warp-sample',
      nodeId: `sample-${process.env.PORT ?? 3000}`,
      keys,
      metrics: true,
      cache: new TieredCache(new MemoryCache(), new RedisCache(redis, { prefix: 'warp-sample:cache:' })),
      store: new RedisStore(redis, { prefix: 'warp-sample:store:' }),
      bus: new RedisBus(redis),
      locks: new RedisLocker(redis, { prefix: 'warp-sample:lock:' }),
    }),
  });
}
