import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import Keyv from 'keyv';
import { WarpKeyvStore } from '../../../lib/keyv/warp-keyv.store.js';
import type { WarpStore, StoreWrite } from '../../../lib/store/store.interface.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { InvalidOptionsError } from '../../../lib/common/warp.errors.js';
import { WarpFactory } from '../../helpers/warp-factory.js';

/** A MemoryStore that records the write options Warp passes. */
class RecordingStore extends MemoryStore<unknown> implements WarpStore<unknown> {
  readonly writes: Array<{ key: string; write?: StoreWrite }> = [];
  override set(key: string, value: unknown, write?: StoreWrite): Promise<void> {
    this.writes.push({ key, write });
    return super.set(key, value, write);
  }
}

describe('WarpKeyvStore TTLs reach the store', () => {
  const factory = new WarpFactory();
  afterEach(() => factory.closeAll());

  it('passes a Keyv ttl to the store as write.ttl, and none without one', async () => {
    const store = new RecordingStore();
    const keyv = new Keyv({ store: new WarpKeyvStore(await factory.start({ store })) });
    await keyv.set('session', { user: 1 }, 60_000);
    await keyv.set('forever', 'x');
    assert.deepEqual(store.writes.map(({ key, write }) => [key, write?.ttl]), [
      ['keyv:keyv:session', 60_000],
      ['keyv:keyv:forever', undefined],
    ]);
  });

  it('lets a store with expiry drop a cache-manager entry once its ttl elapsed, without anyone reading it', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const store = new MemoryStore<unknown>();
    const keyv = new Keyv({ store: new WarpKeyvStore(await factory.start({ store })) });
    await keyv.set('flash', 'gone soon', 20);
    await keyv.set('kept', 'stays');
    assert.equal(store.size, 2);
    t.mock.timers.tick(40);
    // Listing (what clear() and warmup do) no longer sees it: the store expired it itself.
    assert.deepEqual(await store.keys('keyv:'), ['keyv:keyv:kept']);
    assert.equal(await store.get('keyv:keyv:flash'), undefined);
  });

  it('refuses a Keyv ttl no backend can honour with InvalidOptionsError', async () => {
    const keyv = new Keyv({ store: new WarpKeyvStore(await factory.start()), throwOnErrors: true });
    await assert.rejects(keyv.set('k', 'v', 1e20), InvalidOptionsError);
  });
});

describe('WarpKeyvStore and Keyv expiry', () => {
  const factory = new WarpFactory();
  afterEach(() => factory.closeAll());

  it('answers has() false once an entry expired, and gives Keyv TTLs to the cache entry', async () => {
    const warp = await factory.start();
    const keyv = new Keyv({ store: new WarpKeyvStore(warp) });
    await keyv.set('a', 1, 20);
    assert.equal(await keyv.has('a'), true);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await keyv.has('a'), false);
    await keyv.set('b', 2, 20);
    assert.notEqual(warp.cache.peek?.('keyv:keyv:b'), undefined);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(warp.cache.peek?.('keyv:keyv:b'), undefined);
  });
});
