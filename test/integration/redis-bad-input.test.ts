import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import Keyv from 'keyv';
import { MemoryCache } from '../../lib/cache/memory.cache.js';
import { RedisCache } from '../../lib/cache/redis.cache.js';
import { TieredCache } from '../../lib/cache/tiered.cache.js';
import { Mode } from '../../lib/common/mode.js';
import { WarpKeyvStore } from '../../lib/keyv/warp-keyv.store.js';
import { RedisStore } from '../../lib/store/redis.store.js';
import { FenceRejectedError, InvalidKeyError, InvalidOptionsError } from '../../lib/common/warp.errors.js';
import { redisTestRun } from '../helpers/redis-test-run.js';
import { skipUnless } from '../helpers/services.js';
import { WarpFactory } from '../helpers/warp-factory.js';

const skip = await skipUnless('redis');
const run = redisTestRun('redis-bad-input');

describe('input Redis would misread, refused up front', { skip }, () => {
  const factory = new WarpFactory();
  afterEach(() => factory.closeAll());

  const onRedis = () => {
    const prefix = run.freshPrefix();
    const store = new RedisStore(run.client(), { prefix: `${prefix}store:` });
    const cache = new TieredCache(new MemoryCache({ sweepIntervalMs: 0 }), new RedisCache(run.client(), { prefix: `${prefix}cache:` }));
    return { prefix, store, cache };
  };

  it('two keys differing only in a lone surrogate are one Redis entry, so Warp refuses such keys', async () => {
    const { store, cache } = onRedis();
    // The premise, on Redis itself: both strings reach Redis as the same bytes (U+FFFD).
    await store.set('user:\uD800', 'first');
    assert.equal(await store.get('user:\uDBFF'), 'first');
    const warp = await factory.start({ store, cache, keys: [{ key: 'user:*', mode: Mode.EventualDistributed }] });
    await assert.rejects(warp.set('user:\uDBFF', 'second'), InvalidKeyError);
    await assert.rejects(warp.get('user:\uD800'), InvalidKeyError);
    assert.equal(await store.get('user:\uD800'), 'first', 'nothing was overwritten');
  });

  it('Redis refuses a PX of 1e20, so Warp refuses the ttl before writing anything', async () => {
    const { prefix, store, cache } = onRedis();
    // The premise: Redis rejects the expiry outright (the entry would silently not be cached).
    await assert.rejects(run.client().set(`${prefix}raw`, 'v', 'PX', 1e20));
    const warp = await factory.start({ store, cache, keys: [{ key: 'p:*', mode: Mode.EventualDistributed }] });
    await assert.rejects(warp.set('p:1', 'v', { ttl: 1e20 }), InvalidOptionsError);
    assert.throws(() => warp.register('q:*', Mode.EventualDistributed, { ttl: 1e20 }), InvalidOptionsError);
    assert.equal(await store.get('p:1'), undefined);
  });
});

/** Keys matching `match`, by SCAN (never KEYS on a shared Redis). */
async function scanAll(match: string): Promise<string[]> {
  const found: string[] = [];
  for await (const keys of run.client().scanStream({ match, count: 500 }) as AsyncIterable<string[]>) found.push(...keys);
  return found;
}

describe('RedisStore expiry from StoreWrite.ttl', { skip }, () => {
  const factory = new WarpFactory();
  afterEach(() => factory.closeAll());

  it('sets PX from write.ttl, and a write without one clears it', async () => {
    const prefix = run.freshPrefix();
    const store = new RedisStore(run.client(), { prefix });
    await store.set('k', 'v', { ttl: 60_000 });
    const pttl = await run.client().pttl(`${prefix}k`);
    assert.ok(pttl > 0 && pttl <= 60_000, `PTTL ${pttl}`);
    await store.set('k', 'v2');
    assert.equal(await run.client().pttl(`${prefix}k`), -1);
  });

  it('expires a fenced value\'s fence record the tombstone ttl after the value, and a fenced write without ttl keeps both', async () => {
    const prefix = run.freshPrefix();
    const store = new RedisStore(run.client(), { prefix: `${prefix}v:`, fencePrefix: `${prefix}f:`, fenceTombstoneTtl: 60_000 });
    await store.set('k', 'v', { fence: 7n, ttl: 10_000 });
    const [record] = await scanAll(`${prefix}f:*`);
    const [valuePttl, recordPttl] = await Promise.all([run.client().pttl(`${prefix}v:k`), run.client().pttl(record)]);
    assert.ok(valuePttl > 0 && valuePttl <= 10_000, `value PTTL ${valuePttl}`);
    assert.ok(recordPttl > 60_000 && recordPttl <= 70_000, `record PTTL ${recordPttl}`);
    await assert.rejects(store.set('k', 'stale', { fence: 6n, ttl: 5 }), FenceRejectedError);
    assert.ok((await run.client().pttl(`${prefix}v:k`)) > 5, 'a refused write changes no expiry');
    await store.set('k', 'v2', { fence: 8n });
    assert.deepEqual(await Promise.all([run.client().pttl(`${prefix}v:k`), run.client().pttl(record)]), [-1, -1]);
    await store.set('k', 'v3', { ttl: 10_000 });
    assert.ok((await run.client().pttl(record)) > 60_000, 'an unfenced expiring write keeps the record past the value');
  });

  it('expires cache-manager entries written through WarpKeyvStore with a ttl', async () => {
    const prefix = run.freshPrefix();
    const store = new RedisStore(run.client(), { prefix });
    const keyv = new Keyv({ store: new WarpKeyvStore(await factory.start({ store })) });
    await keyv.set('session', { user: 1 }, 30_000);
    await keyv.set('config', { a: 1 });
    const pttl = await run.client().pttl(`${prefix}keyv:keyv:session`);
    assert.ok(pttl > 0 && pttl <= 30_000, `PTTL ${pttl}`);
    assert.equal(await run.client().pttl(`${prefix}keyv:keyv:config`), -1);
  });
});
