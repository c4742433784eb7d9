import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisBus } from '../../lib/bus/redis.bus.js';
import { MemoryCache } from '../../lib/cache/memory.cache.js';
import { RedisCache } from '../../lib/cache/redis.cache.js';
import { TieredCache } from '../../lib/cache/tiered.cache.js';
import { Mode } from '../../lib/common/mode.js';
import { sharedTierOrderedWithBus } from '../../lib/engine/publish-order.js';
import { Warp } from '../../lib/engine/warp.js';
import { RedisStore } from '../../lib/store/redis.store.js';
import { deleteKeysWithPrefix } from '../helpers/redis-cleanup.js';
import { SERVICES, skipUnless } from '../helpers/services.js';

const skip = await skipUnless('redis');

describe('EventualDistributed invalidations published behind the shared-tier write', { skip }, () => {
  const clients: Redis[] = [];
  const client = (options: object = {}) => {
    const created = new Redis({ ...SERVICES.redis, ...options });
    clients.push(created);
    return created;
  };
  after(async () => {
    await Promise.all(clients.map((c) => (c.status === 'ready' ? c.quit() : c.disconnect())));
  });

  it('is enabled only for a RedisCache (not a subclass) on the very standalone client the RedisBus publishes on, without auto-pipelining', () => {
    const shared = client({ lazyConnect: true });
    const other = client({ lazyConnect: true });
    const pipelined = client({ lazyConnect: true, enableAutoPipelining: true });
    assert.equal(sharedTierOrderedWithBus(new TieredCache(new MemoryCache(), new RedisCache(shared)), new RedisBus(shared)), true);
    assert.equal(sharedTierOrderedWithBus(new RedisCache(shared), new RedisBus(shared)), true);
    assert.equal(sharedTierOrderedWithBus(new TieredCache(new MemoryCache(), new RedisCache(other)), new RedisBus(shared)), false);
    assert.equal(sharedTierOrderedWithBus(new TieredCache(new MemoryCache(), new RedisCache(pipelined)), new RedisBus(pipelined)), false);
    assert.equal(sharedTierOrderedWithBus(new MemoryCache(), new RedisBus(shared)), false);
    class DeferringCache extends RedisCache {}
    assert.equal(sharedTierOrderedWithBus(new TieredCache(new MemoryCache(), new DeferringCache(shared)), new RedisBus(shared)), false, 'not a subclass');
  });

  it('a peer that hears the invalidation and reads the shared tier at once finds the new value, every time', async () => {
    const namespace = `order-${randomUUID().slice(0, 8)}`;
    const prefix = `${namespace}:`;
    const redis = client();
    const warp = new Warp({
      nodeId: 'writer',
      namespace,
      cache: new TieredCache(new MemoryCache(), new RedisCache(redis, { prefix: `${prefix}cache:` })),
      store: new RedisStore(redis, { prefix: `${prefix}store:` }),
      bus: new RedisBus(redis),
      keys: [{ key: 'ev:*', mode: Mode.EventualDistributed }],
    });
    // A peer reduced to what matters: it reads the shared tier the moment the invalidation arrives.
    const listener = client();
    const reader = client();
    const seen: Array<{ key: string; value: unknown }> = [];
    let heard: (() => void) | undefined;
    listener.on('message', (_channel: string, payload: string) => {
      const message = JSON.parse(payload) as { kind: string; body: { keys: string[] } };
      if (message.kind !== 'inv') return;
      for (const key of message.body.keys) {
        void reader.get(`${prefix}cache:${key}`).then((data) => {
          seen.push({ key, value: data === null ? undefined : (JSON.parse(data) as { value: unknown }).value });
          heard?.();
        });
      }
    });
    await listener.subscribe(`warp.${namespace}.sync`);
    try {
      await warp.start();
      for (let i = 0; i < 200; i++) {
        const delivered = new Promise<void>((resolve) => (heard = resolve));
        await warp.set(`ev:${i % 3}`, i);
        await delivered;
        assert.deepEqual(seen.at(-1), { key: `ev:${i % 3}`, value: i }, `write ${i}`);
      }
    } finally {
      await warp.close();
      await deleteKeysWithPrefix(redis, prefix);
    }
  });
});
