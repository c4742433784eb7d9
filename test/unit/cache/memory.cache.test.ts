import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCache, type MemoryCacheOptions } from '../../../lib/cache/memory.cache.js';
import type { Envelope } from '../../../lib/common/envelope.js';
import { InvalidOptionsError } from '../../../lib/common/warp.errors.js';
import { eventually } from '../../helpers/deferred.js';

const entry = (value: unknown): Envelope => ({ value, ts: 1, origin: 'a' });

/** A cache without its background sweeper, and the evictions it reported. */
function cacheWithEvictions(options: MemoryCacheOptions = {}): { cache: MemoryCache; evictions: [number, string][] } {
  const evictions: [number, string][] = [];
  const cache = new MemoryCache({ sweepIntervalMs: 0, ...options, onEvict: (count, reason) => evictions.push([count, reason]) });
  return { cache, evictions };
}

/** Resolves once every entry written with a short TTL has expired (lazily: nothing is evicted yet). */
async function expiredAll(cache: MemoryCache): Promise<void> {
  await eventually(async () => (await cache.keys()).length === 0, 5_000);
}

describe('MemoryCache (node-local tier on lru-cache)', () => {
  it('evicts the least recently used entry past maxEntries, a peek counting as a use, and reports it', () => {
    const { cache, evictions } = cacheWithEvictions({ maxEntries: 2 });
    cache.put('a', entry('a'));
    cache.put('b', entry('b'));
    cache.peek('a');
    cache.put('c', entry('c'));
    assert.equal(cache.peek('b'), undefined);
    assert.equal(cache.peek('a')?.value, 'a');
    assert.equal(cache.peek('c')?.value, 'c');
    assert.equal(cache.size, 2);
    assert.deepEqual(evictions, [[1, 'lru']]);
  });

  it('moves an overwritten key to the most recently used end without reporting an eviction', () => {
    const { cache, evictions } = cacheWithEvictions({ maxEntries: 2 });
    cache.put('a', entry(1));
    cache.put('b', entry(1));
    cache.put('a', entry(2));
    cache.put('c', entry(1));
    assert.equal(cache.peek('a')?.value, 2);
    assert.equal(cache.peek('b'), undefined);
    assert.deepEqual(evictions, [[1, 'lru']]);
  });

  it('reports an expired entry met by a peek, and never reports deletes, local evictions or clears', async () => {
    const { cache, evictions } = cacheWithEvictions();
    cache.put('short', entry(1), 5);
    cache.put('kept', entry(2));
    await cache.delete('kept');
    cache.put('kept', entry(2));
    cache.evictLocal(['kept']);
    cache.put('kept', entry(2));
    cache.clearLocal((key) => key === 'kept');
    await expiredAll(cache);
    assert.equal(cache.size, 1, 'expiry is lazy: the entry is still held');
    assert.equal(cache.peek('short'), undefined);
    assert.equal(cache.size, 0);
    assert.deepEqual(evictions, [[1, 'expired']]);
    await cache.clear();
    assert.deepEqual(evictions, [[1, 'expired']]);
  });

  it('sweeps expired entries in slices of sweepBatchSize, one report per slice, keeping live ones', async () => {
    const { cache, evictions } = cacheWithEvictions({ sweepBatchSize: 2 });
    for (let i = 0; i < 5; i++) cache.put(`short:${i}`, entry(i), 5);
    cache.put('live', entry('live'));
    await eventually(async () => (await cache.keys()).length === 1, 5_000);
    assert.equal(cache.sweep(), 2);
    assert.equal(cache.sweep(), 2);
    assert.equal(cache.sweep(), 1);
    assert.equal(cache.size, 1);
    assert.equal(cache.sweep(), 0);
    assert.equal(cache.peek('live')?.value, 'live');
    assert.deepEqual(evictions, [
      [2, 'expired'],
      [2, 'expired'],
      [1, 'expired'],
    ]);
  });

  it('keeps an entry rewritten without a TTL past its earlier TTL, and expires one rewritten with a TTL (unbounded and bounded)', async () => {
    for (const maxEntries of [undefined, 100]) {
      const { cache } = cacheWithEvictions({ maxEntries });
      cache.put('kept', entry(1), 5);
      cache.put('kept', entry(2));
      cache.put('short', entry(3));
      cache.put('short', entry(4), 5);
      await eventually(() => cache.peek('short') === undefined, 5_000);
      assert.equal(cache.peek('kept')?.value, 2);
      assert.equal(cache.sweep(), 0);
      assert.equal(cache.size, 1);
    }
  });

  it('sweeps in the background every sweepIntervalMs', async () => {
    const evicted: number[] = [];
    const cache = new MemoryCache({ sweepIntervalMs: 5, onEvict: (count) => evicted.push(count) });
    try {
      for (let i = 0; i < 3; i++) cache.put(`k${i}`, entry(i), 5);
      await eventually(() => cache.size === 0, 5_000);
      assert.equal(
        evicted.reduce((a, b) => a + b, 0),
        3,
      );
    } finally {
      await cache.close();
    }
  });

  it('keeps a copy of the envelope it is given, with no other field', () => {
    const cache = new MemoryCache({ sweepIntervalMs: 0 });
    const given = { value: 'v', ts: 3, origin: 'o', extra: true };
    cache.put('k', given);
    given.value = 'changed';
    assert.deepEqual(cache.peek('k'), { value: 'v', ts: 3, origin: 'o' });
  });

  it('rejects bounds and intervals that are not positive integers, naming the option', () => {
    for (const options of [{ maxEntries: 0 }, { maxEntries: 1.5 }, { sweepBatchSize: -1 }, { sweepIntervalMs: -1 }, { sweepIntervalMs: NaN }]) {
      assert.throws(() => new MemoryCache(options), (error: Error) => error instanceof InvalidOptionsError && /MemoryCache: \w+ must be/.test(error.message));
    }
    assert.doesNotThrow(() => new MemoryCache({ maxEntries: Infinity, sweepIntervalMs: 0 }));
  });
});
