import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Mode } from '../../../lib/common/mode.js';
import type { KeyRegistration } from '../../../lib/interfaces/warp-options.interface.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import type { WarpStore } from '../../../lib/store/store.interface.js';
import { deferred, eventually } from '../../helpers/deferred.js';
import { WarpFactory } from '../../helpers/warp-factory.js';

const factory = new WarpFactory();
afterEach(() => factory.closeAll());

/** A MemoryStore that counts every call by method. */
class CountingStore extends MemoryStore {
  readonly calls = { get: 0, set: 0, delete: 0, getMany: 0 };
  override get(key: string) {
    this.calls.get++;
    return super.get(key);
  }
  override set(key: string, value: unknown) {
    this.calls.set++;
    return super.set(key, value);
  }
  override delete(key: string) {
    this.calls.delete++;
    return super.delete(key);
  }
  override getMany(keys: readonly string[]) {
    this.calls.getMany++;
    return super.getMany(keys);
  }
}

async function pair(keys: KeyRegistration[], store: WarpStore = new CountingStore()) {
  const { nodes } = await factory.startCluster(2, { store, keys, heartbeatInterval: 40 });
  return { nodes: nodes.map((n) => n.warp), caches: nodes.map((n) => n.cache), store };
}

describe('cache-aside reads never write the store', () => {
  for (const mode of [Mode.StrongLocal, Mode.EventualDistributed, Mode.StrongDistributed]) {
    it(`getOrSet fills the cache from its loader, never the store, and leaves peers alone (${mode})`, async () => {
      const { nodes, caches, store } = await pair([{ key: 'p:*', mode }]);
      const counting = store as CountingStore;
      await store.set('p:1', 'in-db');
      counting.calls.set = 0;
      // Node 1 caches a value of its own; node 0's fill must not invalidate it.
      assert.equal(await nodes[1].getOrSet('p:1', () => 'node-1'), 'node-1');
      assert.equal(await nodes[0].getOrSet('p:1', () => 'node-0'), 'node-0');
      assert.equal(await nodes[0].getOrSet('p:1', () => 'again'), 'node-0'); // a hit
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(counting.calls.set, 0);
      assert.equal(await store.get('p:1'), 'in-db');
      assert.equal(caches[1].peek('p:1')?.value, 'node-1');
    });
  }

  it('does not cache null or undefined results unless cacheIf accepts them', async () => {
    const { nodes } = await pair([{ key: 'p:*', mode: Mode.EventualDistributed }]);
    let calls = 0;
    const missing = () => (calls++, null);
    await nodes[0].getOrSet('p:none', missing);
    await nodes[0].getOrSet('p:none', missing);
    assert.equal(calls, 2);
    await nodes[0].getOrSet('p:undef', () => undefined);
    await nodes[0].getOrSet('p:null', missing, { cacheIf: () => true });
    await nodes[0].getOrSet('p:null', missing, { cacheIf: () => true });
    assert.equal(calls, 3);
  });

  it('never fills a value its loader read before a write of the key landed', async () => {
    const { nodes, store } = await pair([{ key: 'p:*', mode: Mode.EventualDistributed }]);
    const gate = deferred<string>();
    const read = nodes[0].getOrSet('p:race', () => gate.promise);
    await nodes[0].set('p:race', 'written');
    gate.resolve('loaded-before-the-write');
    assert.equal(await read, 'loaded-before-the-write');
    assert.equal(await nodes[0].get('p:race'), 'written');
    assert.equal(await store.get('p:race'), 'written');
  });
});

describe('batch reads', () => {
  it('getMany of 100 keys with 60 misses reads the store with exactly one getMany call', async () => {
    const store = new CountingStore();
    for (let i = 0; i < 100; i++) await store.set(`b:${i}`, i);
    const warp = await factory.start({ store, keys: [{ key: 'b:*', mode: Mode.EventualDistributed }] });
    for (let i = 0; i < 40; i++) await warp.get(`b:${i}`); // 40 hits to come
    store.calls.get = store.calls.getMany = 0;
    const keys = Array.from({ length: 100 }, (_, i) => `b:${i}`);
    assert.deepEqual(await warp.getMany(keys), keys.map((_, i) => i));
    assert.deepEqual({ get: store.calls.get, getMany: store.calls.getMany }, { get: 0, getMany: 1 });
    assert.deepEqual(await warp.getMany(keys), keys.map((_, i) => i)); // all cached now
    assert.equal(store.calls.getMany, 1);
  });

  it('getOrSetMany calls its loader once with every missing key, and fills them', async () => {
    const warp = await factory.start({ keys: [{ key: 'u:*', mode: Mode.EventualDistributed }] });
    await warp.getOrSet('u:1', () => 'one');
    const batches: string[][] = [];
    const load = async (missing: string[]) => (batches.push(missing), new Map(missing.map((key) => [key, key.toUpperCase()])));
    assert.deepEqual(await warp.getOrSetMany(['u:1', 'u:2', 'u:3', 'u:2'], load), ['one', 'U:2', 'U:3', 'U:2']);
    assert.deepEqual(batches, [['u:2', 'u:3']]);
    assert.deepEqual(await warp.getOrSetMany(['u:2', 'u:3'], load), ['U:2', 'U:3']);
    assert.equal(batches.length, 1);
    // Keys the loader leaves out read as undefined and are not cached.
    assert.deepEqual(await warp.getOrSetMany(['u:4'], async () => new Map()), [undefined]);
  });
});

describe('write-through delete', () => {
  it('deletes from the store, then from every node', async () => {
    const { nodes, caches, store } = await pair([{ key: 'd:*', mode: Mode.EventualDistributed }]);
    await nodes[0].set('d:1', 'x');
    assert.equal(await nodes[1].get('d:1'), 'x');
    await nodes[0].delete('d:1');
    assert.equal(await store.get('d:1'), undefined);
    await eventually(() => caches[1].peek('d:1') === undefined);
    assert.equal(await nodes[1].get('d:1'), undefined);
  });

  it('deletes a StrongDistributed key everywhere before resolving', async () => {
    const { nodes, store } = await pair([{ key: 's:*', mode: Mode.StrongDistributed }]);
    await nodes[0].set('s:1', 'x');
    await eventually(async () => (await nodes[1].get('s:1')) === 'x');
    await nodes[1].delete('s:1');
    assert.equal(await store.get('s:1'), undefined);
    assert.equal(await nodes[0].get('s:1'), undefined);
  });
});

describe('decorator writes (put, evict)', () => {
  it('runs a StrongDistributed put inside the protocol: while the method persists, peers read through', async () => {
    const { nodes, caches, store } = await pair([{ key: 's:*', mode: Mode.StrongDistributed }]);
    await store.set('s:1', 'v1');
    await eventually(async () => (await nodes[1].get('s:1')) === 'v1' && caches[1].peek('s:1') !== undefined);
    const persisted = deferred();
    const finish = deferred();
    const put = nodes[0].put('s:1', async () => {
      await store.set('s:1', 'v2'); // the method persists...
      persisted.resolve();
      await finish.promise; // ...and is still running
      return 'v2';
    });
    await persisted.promise;
    assert.equal(caches[1].peek('s:1'), undefined); // evicted before the method ran
    assert.equal(await nodes[1].get('s:1'), 'v2'); // a read during the method goes to the store
    finish.resolve();
    assert.equal(await put, 'v2');
    for (const node of nodes) assert.equal(await node.get('s:1'), 'v2');
  });

  it('puts an EventualDistributed result in the cache and evicts it on peers, without writing the store', async () => {
    const { nodes, caches, store } = await pair([{ key: 'e:*', mode: Mode.EventualDistributed }]);
    const counting = store as CountingStore;
    await store.set('e:1', 'old');
    assert.equal(await nodes[1].get('e:1'), 'old');
    await store.set('e:1', 'new'); // what the decorated method does
    counting.calls.set = 0;
    assert.equal(await nodes[0].put('e:1', async () => 'new'), 'new');
    assert.equal(caches[0].peek('e:1')?.value, 'new');
    await eventually(() => caches[1].peek('e:1') === undefined);
    assert.equal(counting.calls.set, 0);
    await nodes[0].evict('e:1', async () => undefined);
    assert.equal(caches[0].peek('e:1'), undefined);
  });
});
