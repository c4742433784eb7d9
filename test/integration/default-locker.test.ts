import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { MemoryBus } from '../../lib/bus/memory.bus.js';
import { RedisBus } from '../../lib/bus/redis.bus.js';
import { MemoryCache } from '../../lib/cache/memory.cache.js';
import { RedisCache } from '../../lib/cache/redis.cache.js';
import { TieredCache } from '../../lib/cache/tiered.cache.js';
import { Transport } from '@nestjs/microservices';
import { TransportBus } from '../../lib/bus/transport.bus.js';
import { assertClusterWideLocks, defaultLocker, defaultLockerAsync } from '../../lib/engine/default-locker.js';
import { LockTimeoutError } from '../../lib/common/warp.errors.js';
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

  it('is the one locker every node of a MemoryBus shares when nothing is Redis-backed', async () => {
    const bus = new MemoryBus();
    const first = defaultLocker({ cache: new MemoryCache(), store: new MemoryStore(), bus: bus.node() });
    const second = defaultLocker({ cache: new MemoryCache(), store: new MemoryStore(), bus: bus.node() });
    const held = await first.acquire('shared', { ttl: 1000, waitTimeout: 0 });
    await assert.rejects(second.acquire('shared', { ttl: 1000, waitTimeout: 0 }), LockTimeoutError);
    await held.release();
    await first.close(); // a node leaving does not close the others' locker
    const again = await second.acquire('shared', { ttl: 1000, waitTimeout: 0 });
    await again.release();
  });

  it("is a process-local MemoryLocker with a bus of the user's own, which distributed keys refuse", () => {
    const locker = defaultLocker({ cache: new MemoryCache(), store: new MemoryStore() });
    assert.ok(locker instanceof MemoryLocker);
    assert.throws(() => assertClusterWideLocks(locker, true), /"locks"/);
    assert.doesNotThrow(() => assertClusterWideLocks(locker, false));
  });

  it('opens a Redis connection of its own for a bus on the Nest Redis transport, so locks span processes', async () => {
    const transport = { transport: Transport.REDIS, options: { host: '127.0.0.1', port: 6379 } } as const;
    const [a, b] = await Promise.all([1, 2].map(() => defaultLockerAsync({ cache: new MemoryCache(), store: new MemoryStore(), bus: new TransportBus(transport) })));
    const name = `default-locker-transport-${process.pid}`;
    const held = await a!.acquire(name, { ttl: 1000, waitTimeout: 0 });
    await assert.rejects(b!.acquire(name, { ttl: 1000, waitTimeout: 0 }), LockTimeoutError);
    await held.release();
    await Promise.all([a!.close(), b!.close()]);
  });
});
