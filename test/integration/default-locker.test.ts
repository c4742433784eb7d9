import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { MemoryBus } from '../../lib/bus/memory.bus.js';
import { RedisBus } from '../../lib/bus/redis.bus.js';
import { MemoryCache } from '../../lib/cache/memory.cache.js';
import { RedisCache } from '../../lib/cache/redis.cache.js';
import { TieredCache } from '../../lib/cache/tiered.cache.js';
import { defaultLocker } from '../../lib/lock/default-locker.js';
import { MemoryLocker } from '../../lib/lock/memory.locker.js';
import { RedisLocker } from '../../lib/lock/redis.locker.js';
import { MemoryStore } from '../../lib/store/memory.store.js';
import { RedisStore } from '../../lib/store/redis.store.js';
import { skipUnless } from '../helpers/services.js';

const skip = await skipUnless('redis');

describe('the default locker', { skip }, () => {
  const redis = skip ? undefined : new Redis();
  after(() => redis?.disconnect());

  it('is a RedisLocker on the client of a tiered cache whose shared tier is Redis', async () => {
    const locker = defaultLocker({ cache: new TieredCache(new MemoryCache(), new RedisCache(redis!)), store: new MemoryStore() });
    assert.ok(locker instanceof RedisLocker);
    const handle = await locker.acquire(`default-locker-${process.pid}`, { ttl: 1000, waitTimeout: 0 });
    await handle.release();
    await locker.close();
  });

  it('uses a Redis store or a Redis bus when the cache is memory-only', async () => {
    assert.ok(defaultLocker({ cache: new MemoryCache(), store: new RedisStore(redis!) }) instanceof RedisLocker);
    assert.ok(defaultLocker({ cache: new MemoryCache(), store: new MemoryStore(), bus: new RedisBus(redis!) }) instanceof RedisLocker);
  });

  it('is a MemoryLocker when nothing is Redis-backed', () => {
    assert.ok(defaultLocker({ cache: new MemoryCache(), store: new MemoryStore(), bus: new MemoryBus() }) instanceof MemoryLocker);
  });
});
