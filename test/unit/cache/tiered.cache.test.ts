import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { WarpCache } from '../../../lib/cache/cache.interface.js';
import { MemoryCache } from '../../../lib/cache/memory.cache.js';
import { TieredCache } from '../../../lib/cache/tiered.cache.js';
import type { Envelope } from '../../../lib/common/envelope.js';
import { InvalidOptionsError } from '../../../lib/common/warp.errors.js';
import { deferred, eventually } from '../../helpers/deferred.js';
import { cacheContract } from '../../../lib/testing/cache.contract.js';

cacheContract('TieredCache over two MemoryCaches', () => new TieredCache(new MemoryCache(), new MemoryCache()));

const entry = (value: unknown, ts = 1): Envelope => ({ value, ts, origin: 'node-a' });

/** An L2 whose reads wait for the test to open a gate: lets a test act while a read is in flight. */
class GatedCache extends MemoryCache {
  gate = deferred();
  reads = 0;
  override async get(key: string): Promise<Envelope | undefined> {
    this.reads++;
    const found = await super.get(key);
    await this.gate.promise;
    return found;
  }
}

/** An L2 whose set-if-absent answers only when the test opens a gate. */
class GatedFill extends MemoryCache {
  gate = deferred();
  fills = 0;
  override async setIfAbsent(key: string, value: Envelope, ttlMs?: number): Promise<boolean> {
    this.fills++;
    const wrote = await super.setIfAbsent(key, value, ttlMs);
    await this.gate.promise;
    return wrote;
  }
}

/** An L2 that rejects every write, as a disconnected Redis does. */
class FailingWrites extends MemoryCache {
  override set(): Promise<void> {
    return Promise.reject(new Error('L2 down'));
  }
}

describe('TieredCache', () => {
  const opened: WarpCache[] = [];
  const tiered = (l1: MemoryCache, l2: WarpCache, backfillTtlMs?: number) => {
    const cache = new TieredCache(l1, l2, { backfillTtlMs });
    opened.push(cache);
    return cache;
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((cache) => cache.close?.()));
  });

  it('rejects an l1 without a node-local tier', () => {
    const l2Only = { get: async () => undefined } as unknown as MemoryCache;
    assert.throws(() => new TieredCache(l2Only, new MemoryCache()), InvalidOptionsError);
  });

  it('serves an L1 hit without reading L2', async () => {
    const l1 = new MemoryCache();
    const l2 = new GatedCache();
    await l1.set('k', entry('local'));
    assert.equal((await tiered(l1, l2).get('k'))?.value, 'local');
    assert.equal(l2.reads, 0);
  });

  it('copies an L2 hit into L1', async () => {
    const l1 = new MemoryCache();
    const l2 = new MemoryCache();
    await l2.set('k', entry('shared'));
    assert.equal((await tiered(l1, l2).get('k'))?.value, 'shared');
    assert.equal(l1.peek('k')?.value, 'shared');
  });

  it('gives an L1 copy the backfill ttl when L2 cannot report the remaining ttl', async () => {
    const l1 = new MemoryCache();
    const l2 = new MemoryCache();
    await l2.set('k', entry('shared'));
    await tiered(l1, l2, 30).get('k');
    assert.equal(l1.peek('k')?.value, 'shared');
    await eventually(() => l1.peek('k') === undefined);
  });

  it('drops the L1 copy of a read that a peer invalidation overtook', async () => {
    const l1 = new MemoryCache();
    const l2 = new GatedCache();
    const cache = tiered(l1, l2);
    await l2.set('k', entry('old'));
    const read = cache.get('k');
    await eventually(() => l2.reads === 1);
    cache.evictLocal(['k']);
    l2.gate.resolve();
    assert.equal((await read)?.value, 'old');
    assert.equal(l1.peek('k'), undefined, 'the stale read did not populate L1');
  });

  it('drops the L1 copy of a read that a local set overtook', async () => {
    const l1 = new MemoryCache();
    const l2 = new GatedCache();
    const cache = tiered(l1, l2);
    await l2.set('k', entry('old', 1));
    const read = cache.get('k');
    await eventually(() => l2.reads === 1);
    await cache.set('k', entry('new', 2));
    l2.gate.resolve();
    await read;
    assert.equal(l1.peek('k')?.value, 'new');
  });

  it('does not copy a fill into L1 when a local set overtook it while L2 answered', async () => {
    const l1 = new MemoryCache();
    const l2 = new GatedFill();
    const cache = tiered(l1, l2);
    const fill = cache.setIfAbsent('k', entry('loaded', 0));
    await eventually(() => l2.fills === 1);
    await cache.set('k', entry('written', 2));
    l2.gate.resolve();
    assert.equal(await fill, true);
    assert.equal(l1.peek('k')?.value, 'written');
  });

  it('rejects a set when L2 fails and leaves L1 unchanged', async () => {
    const l1 = new MemoryCache();
    await l1.set('k', entry('before'));
    await assert.rejects(tiered(l1, new FailingWrites()).set('k', entry('after', 2)), /L2 down/);
    assert.equal(l1.peek('k')?.value, 'before');
  });

  it('evicts L1 on delete even when L2 fails', async () => {
    const l1 = new MemoryCache();
    const l2 = new MemoryCache();
    l2.delete = () => Promise.reject(new Error('L2 down'));
    await l1.set('k', entry('v'));
    await assert.rejects(tiered(l1, l2).delete('k'), /L2 down/);
    assert.equal(l1.peek('k'), undefined);
  });

  it('decides setIfAbsent in L2 and copies into L1 only when it wrote', async () => {
    const l1 = new MemoryCache();
    const l2 = new MemoryCache();
    const cache = tiered(l1, l2);
    await l2.set('taken', entry('peer'));
    assert.equal(await cache.setIfAbsent('taken', entry('mine')), false);
    assert.equal(l1.peek('taken'), undefined);
    assert.equal(await cache.setIfAbsent('free', entry('mine')), true);
    assert.equal(l1.peek('free')?.value, 'mine');
  });

  it('falls back to get and set for setIfAbsent when L2 has none', async () => {
    const l2 = new MemoryCache();
    const plain: WarpCache = { get: (k) => l2.get(k), set: (k, e, t) => l2.set(k, e, t), delete: (k) => l2.delete(k), clear: () => l2.clear(), keys: () => l2.keys() };
    const cache = tiered(new MemoryCache(), plain);
    assert.equal(await cache.setIfAbsent('k', entry('first')), true);
    assert.equal(await cache.setIfAbsent('k', entry('second')), false);
    assert.equal((await l2.get('k'))?.value, 'first');
  });

  it('lists the union of both tiers', async () => {
    const l1 = new MemoryCache();
    const l2 = new MemoryCache();
    await l1.set('only-local', entry(1));
    await l2.set('only-shared', entry(2));
    await tiered(l1, l2).set('both', entry(3));
    assert.deepEqual((await tiered(l1, l2).keys()).sort(), ['both', 'only-local', 'only-shared']);
  });
});
