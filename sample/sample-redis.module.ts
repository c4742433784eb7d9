import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';

/** DI token of the sample's ioredis client (only when `WARP_REDIS_URL` is set). */
export const SAMPLE_REDIS = Symbol('SAMPLE_REDIS');

/**
 * Prefix of every Redis key and the Warp namespace of the sample (`WARP_SAMPLE_PREFIX`, default
 * `warp-sample`): nodes started with the same one form one cluster over the same data.
 */
export const SAMPLE_PREFIX = process.env.WARP_SAMPLE_PREFIX ?? 'warp-sample';

/** Owns the sample's ioredis client: Warp's Redis backends never close a client they were given. */
@Global()
@Module({
  providers: [{ provide: SAMPLE_REDIS, useFactory: () => new Redis(process.env.WARP_REDIS_URL!) }],
  exports: [SAMPLE_REDIS],
})
export class SampleRedisModule implements OnApplicationShutdown {
  constructor(@Inject(SAMPLE_REDIS) private readonly redis: Redis) {}
  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
