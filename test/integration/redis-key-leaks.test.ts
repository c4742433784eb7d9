import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryCache } from '../../lib/cache/memory.cache.js';
import { RedisCache } from '../../lib/cache/redis.cache.js';
import { TieredCache } from '../../lib/cache/tiered.cache.js';
import { Mode } from '../../lib/common/mode.js';
import { RedisLocker } from '../../lib/lock/redis.locker.js';
import { RedisStore } from '../../lib/store/redis.store.js';
import { redisTestRun } from '../helpers/redis-test-run.js';
import { skipUnless } from '../helpers/services.js';
import { eventually } from '../helpers/deferred.js';
import { WarpFactory } from '../helpers/warp-factory.js';

const skip = await skipUnless('redis');
const run = redisTestRun('key-leaks');

describe('keys Warp leaves in Redis', { skip }, () => {
  const factory = new WarpFactory();
  after(() => factory.closeAll());

  it('fills 10 000 distinct keys through getOrSet and getOrSetMany and leaves no key without a TTL', async () => {
    const prefix = run.freshPrefix();
    const redis = run.client();
    const warp = await factory.start({
      namespace: `leaks${Math.random().toString(36).slice(2, 8)}`,
      cache: new TieredCache(new MemoryCache(), new RedisCache(redis, { prefix: `${prefix}cache:` })),
      store: new RedisStore(redis, { prefix: `${prefix}store:` }),
      locks: new RedisLocker(redis, { prefix: `${prefix}lock:` }),
      keys: [{ key: 'item:*', mode: Mode.EventualDistributed, ttl: 60_000 }],
    });
    // Each cold getOrSet takes a fill lock on its key: an unbounded set of lock names.
    for (let i = 0; i < 9_500; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => warp.getOrSet(`item:${i + j}`, () => ({ id: i + j }))));
    }
    const batch = Array.from({ length: 500 }, (_, i) => `item:b${i}`);
    await warp.getOrSetMany(batch, async (missing) => new Map(missing.map((key) => [key, { key }])));

    const scan = async () => {
      const found: string[] = [];
      for await (const page of redis.scanStream({ match: `${prefix}*`, count: 1000 })) found.push(...(page as string[]));
      return found;
    };
    // Shared-tier fills may still be landing: give them a moment to reach one entry per key.
    await eventually(async () => (await scan()).length >= 10_000, 5000).catch(() => undefined);
    const keys = await scan();
    const ttls = await Promise.all(keys.map((key) => redis.pttl(key)));
    const forever = keys.filter((_, i) => ttls[i] === -1);
    // At most one cache entry per filled key and nothing else (no lock, fence or fill key); fewer
    // when a fill found its node's read lease lapsed (a busy machine) and did not cache.
    assert.ok(keys.length > 0 && keys.length <= 10_000, `${keys.length} keys left`);
    assert.deepEqual(keys.filter((key) => !key.startsWith(`${prefix}cache:`)).slice(0, 5), [], 'only cache entries left');
    assert.deepEqual(forever.slice(0, 5), [], `${forever.length} keys without a TTL`);
  });
});
