import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { FenceRejectedError } from '../../../lib/common/warp.errors.js';

describe('MemoryStore expiry (StoreWrite.ttl)', () => {
  it('drops a value written with a ttl once it elapsed, from get, getMany, keys and size', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000 });
    const store = new MemoryStore<string>();
    await store.set('short', 'a', { ttl: 50 });
    await store.set('forever', 'b');
    assert.equal(await store.get('short'), 'a');
    t.mock.timers.tick(49);
    assert.deepEqual(await store.getMany(['short', 'forever']), ['a', 'b']);
    t.mock.timers.tick(1);
    assert.equal(await store.get('short'), undefined);
    assert.deepEqual(await store.keys(), ['forever']);
    assert.equal(store.size, 1);
  });

  it('lets a later write without ttl keep the value, and one with a new ttl restart the clock', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000 });
    const store = new MemoryStore<string>();
    await store.set('k', 'v1', { ttl: 10 });
    await store.set('k', 'v2');
    t.mock.timers.tick(100);
    assert.equal(await store.get('k'), 'v2');
    await store.set('k', 'v3', { ttl: 10 });
    t.mock.timers.tick(5);
    await store.set('k', 'v4', { ttl: 10, fence: 1n });
    t.mock.timers.tick(9);
    assert.equal(await store.get('k'), 'v4');
    t.mock.timers.tick(1);
    assert.equal(await store.get('k'), undefined);
  });

  it('forgets the expiry of a deleted key', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000 });
    const store = new MemoryStore<string>();
    await store.set('k', 'v', { ttl: 10 });
    await store.delete('k');
    await store.set('k', 'again');
    t.mock.timers.tick(100);
    assert.equal(await store.get('k'), 'again');
  });
});

describe('MemoryStore expiry of fenced values', () => {
  it('lets an expired value leave its fence behind as a delete would: a stale writer stays refused', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000 });
    const store = new MemoryStore<string>();
    await store.set('k', 'v', { fence: 5n, ttl: 10 });
    t.mock.timers.tick(10);
    assert.equal(await store.get('k'), undefined);
    await assert.rejects(store.set('k', 'stale', { fence: 3n }), FenceRejectedError);
    await store.set('k', 'same holder', { fence: 5n });
    assert.equal(await store.get('k'), 'same holder');
  });

  it('changes no expiry when a fenced write is refused', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000 });
    const store = new MemoryStore<string>();
    await store.set('k', 'v', { fence: 5n });
    await assert.rejects(store.set('k', 'stale', { fence: 4n, ttl: 10 }), FenceRejectedError);
    t.mock.timers.tick(100);
    assert.equal(await store.get('k'), 'v');
  });
});
