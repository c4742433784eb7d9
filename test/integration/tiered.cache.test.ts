import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { MemoryCache } from '../../lib/cache/memory.cache.js';
import { RedisCache } from '../../lib/cache/redis.cache.js';
import { TieredCache } from '../../lib/cache/tiered.cache.js';
import type { Envelope } from '../../lib/common/envelope.js';
import { eventually } from '../helpers/deferred.js';
import { redisTestRun } from '../helpers/redis-test-run.js';
import { skipUnless } from '../helpers/services.js';
import { cacheContract } from '../../lib/testing/cache.contract.js';

const skip = await skipUnless('redis');
const run = redisTestRun('tiered-cache');

cacheContract('TieredCache over MemoryCache and RedisCache', () => new TieredCache(new MemoryCache(), new RedisCache(run.client(), { prefix: run.freshPrefix() })), { skip });

let ts = 1;
const entry = (value: unknown): Envelope => ({ value, ts: ts++, origin: 'node-a' });

describe('TieredCache over Redis', { skip }, () => {
  const opened: TieredCache[] = [];
  /** One node: its own L1, the Redis L2 shared under `prefix`. */
  const node = (prefix: string) => {
    const l1 = new MemoryCache();
    const l2 = new RedisCache(run.client(), { prefix });
    const cache = new TieredCache(l1, l2);
    opened.push(cache);
    return { l1, l2, cache };
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map(async (cache) => {
      await cache.clear();
      await cache.close();
    }));
  });

  it('evicts only L1 on evictLocal, and the next get copies the entry back from L2', async () => {
    const { l1, l2, cache } = node(run.freshPrefix());
    await cache.set('k', entry('v'));
    cache.evictLocal(['k']);
    assert.equal(l1.peek('k'), undefined);
    assert.equal((await l2.get('k'))?.value, 'v');
    assert.equal((await cache.get('k'))?.value, 'v');
    assert.equal(l1.peek('k')?.value, 'v');
  });

  it('gives the L1 copy the ttl the entry has left in L2', async () => {
    const { l1, l2, cache } = node(run.freshPrefix());
    await l2.set('k', entry('v'), 300);
    assert.equal((await cache.get('k'))?.value, 'v');
    assert.equal(l1.peek('k')?.value, 'v');
    // Without the remaining ttl the copy would never expire and this would time out.
    await eventually(() => l1.peek('k') === undefined);
    assert.equal(await l2.get('k'), undefined);
  });

  it('copies an entry without expiry into L1 without expiry', async () => {
    const { l1, l2, cache } = node(run.freshPrefix());
    await l2.set('k', entry('forever'));
    await cache.get('k');
    assert.equal(l1.peek('k')?.value, 'forever');
  });

  it("serves a peer's new value once the peer's invalidation evicted the old copy", async () => {
    const prefix = run.freshPrefix();
    const a = node(prefix);
    const b = node(prefix);
    await a.cache.set('k', entry('v1'));
    assert.equal((await b.cache.get('k'))?.value, 'v1');
    await a.cache.set('k', entry('v2'));
    assert.equal((await b.cache.get('k'))?.value, 'v1', 'B serves its L1 until invalidated');
    b.cache.evictLocal(['k']);
    assert.equal((await b.cache.get('k'))?.value, 'v2');
  });

  it('rejects a set when Redis is unreachable and leaves L1 untouched', async () => {
    const offline = run.connect({ lazyConnect: true, enableOfflineQueue: false });
    const l1 = new MemoryCache();
    const cache = new TieredCache(l1, new RedisCache(offline, { prefix: run.freshPrefix() }));
    const before = entry('before');
    await l1.set('k', before);
    await assert.rejects(cache.set('k', entry('after')));
    await assert.rejects(cache.setIfAbsent('fresh', entry('after')));
    assert.equal(l1.peek('k')?.value, 'before');
    assert.equal(l1.peek('fresh'), undefined);
    assert.equal((await cache.get('k'))?.value, 'before', 'an L1 hit needs no Redis');
    await assert.rejects(cache.get('missing'));
    await cache.close();
  });
});
