import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Mode } from '../../../lib/common/mode.js';
import { MemoryCache } from '../../../lib/cache/memory.cache.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import {
  InvalidKeyError,
  InvalidOptionsError,
  SerializationError,
  StoreError,
  UnregisteredKeyError,
  WarpClosedError,
} from '../../../lib/common/warp.errors.js';
import { ChaosStore } from '../../helpers/chaos.store.js';
import { deferred } from '../../helpers/deferred.js';
import { WarpFactory } from '../../helpers/warp-factory.js';

const factory = new WarpFactory();
afterEach(() => factory.closeAll());

describe('Warp engine on one node (StrongLocal)', () => {
  it('reads its own write', async () => {
    const warp = await factory.start({ keys: [{ key: 'user:*', mode: Mode.StrongLocal }] });
    await warp.set('user:1', { name: 'Ada' });
    assert.deepEqual(await warp.get('user:1'), { name: 'Ada' });
  });

  it('reads through to the store on a miss and then serves from the cache', async () => {
    const store = new ChaosStore();
    await store.inner.set('user:1', 'from-store');
    const warp = await factory.start({ store, keys: [{ key: 'user:*', mode: Mode.StrongLocal }] });
    assert.equal(await warp.get('user:1'), 'from-store');
    assert.equal(await warp.get('user:1'), 'from-store');
    assert.equal(store.reads, 1);
  });

  it('returns undefined for a key the store does not have', async () => {
    const warp = await factory.start({ keys: [{ key: 'user:*', mode: Mode.StrongLocal }] });
    assert.equal(await warp.get('user:404'), undefined);
  });

  it('persists writes to the store as plain values, never envelopes', async () => {
    const store = new MemoryStore();
    const warp = await factory.start({ store, keys: [{ key: 'k', mode: Mode.StrongLocal }] });
    await warp.set('k', { a: 1 });
    assert.deepEqual(await store.get('k'), { a: 1 });
  });

  it('throws UnregisteredKeyError naming the key', async () => {
    const warp = await factory.start();
    await assert.rejects(warp.get('nope:1'), (error: Error) => error instanceof UnregisteredKeyError && /nope:1/.test(error.message));
    await assert.rejects(warp.set('nope:1', 1), UnregisteredKeyError);
    await assert.rejects(warp.invalidate('nope:1'), UnregisteredKeyError);
  });

  it('rejects empty, oversized and non-string keys with InvalidKeyError', async () => {
    const warp = await factory.start({ keys: [{ key: '*', mode: Mode.StrongLocal }] });
    await assert.rejects(warp.get(''), InvalidKeyError);
    await assert.rejects(warp.get('é'.repeat(600)), InvalidKeyError);
    await assert.rejects(warp.set(undefined as unknown as string, 1), InvalidKeyError);
    await assert.rejects(warp.get({} as unknown as string), InvalidKeyError);
    assert.equal(await warp.get('é'.repeat(500)), undefined);
  });

  it('rejects values that cannot be stored with SerializationError', async () => {
    const warp = await factory.start({ keys: [{ key: 'k', mode: Mode.StrongLocal }] });
    await assert.rejects(warp.set('k', undefined), SerializationError);
    await assert.rejects(warp.set('k', () => 1), SerializationError);
    await assert.rejects(warp.set('k', Symbol('s')), SerializationError);
    await assert.rejects(warp.set('k', 10n), SerializationError);
  });

  it('leaves the cache untouched when the store write fails', async () => {
    const store = new ChaosStore();
    const warp = await factory.start({ store, keys: [{ key: 'k', mode: Mode.StrongLocal }] });
    await warp.set('k', 'old');
    store.failWrites = 1;
    await assert.rejects(warp.set('k', 'new'), (error: Error) => error instanceof StoreError && error.cause instanceof Error);
    assert.equal(await warp.get('k'), 'old');
    assert.equal(await store.inner.get('k'), 'old');
  });

  it('leaves no cache entry when the first store write of a key fails', async () => {
    const store = new ChaosStore();
    const cache = new MemoryCache();
    const warp = await factory.start({ store, cache, keys: [{ key: 'k', mode: Mode.StrongLocal }] });
    store.failWrites = 1;
    await assert.rejects(warp.set('k', 'v'), StoreError);
    assert.equal(cache.peek('k'), undefined);
  });

  it('wraps store read failures in StoreError', async () => {
    const store = new ChaosStore();
    const warp = await factory.start({ store, keys: [{ key: 'k', mode: Mode.StrongLocal }] });
    store.failReads = 1;
    await assert.rejects(warp.get('k'), StoreError);
  });

  it('calls the loader of getOrSet once for many concurrent callers', async () => {
    const warp = await factory.start({ keys: [{ key: 'report:*', mode: Mode.StrongLocal }] });
    let calls = 0;
    const gate = deferred();
    const loader = async () => {
      calls++;
      await gate.promise;
      return { total: 42 };
    };
    const all = Promise.all(Array.from({ length: 100 }, () => warp.getOrSet('report:1', loader)));
    gate.resolve();
    const results = await all;
    assert.equal(calls, 1);
    assert.ok(results.every((r) => r.total === 42));
    assert.deepEqual(await warp.getOrSet('report:1', loader), { total: 42 });
    assert.equal(calls, 1);
  });

  it('does not cache a loader result rejected by cacheIf, nor undefined', async () => {
    const warp = await factory.start({ keys: [{ key: 'k:*', mode: Mode.StrongLocal }] });
    let calls = 0;
    await warp.getOrSet('k:1', () => (calls++, null), { cacheIf: (v) => v !== null });
    await warp.getOrSet('k:1', () => (calls++, null), { cacheIf: (v) => v !== null });
    await warp.getOrSet('k:2', () => (calls++, undefined));
    await warp.getOrSet('k:2', () => (calls++, undefined));
    assert.equal(calls, 4);
  });

  it('propagates a loader failure to every waiting caller and caches nothing', async () => {
    const warp = await factory.start({ keys: [{ key: 'k', mode: Mode.StrongLocal }] });
    const failing = async () => {
      throw new Error('db down');
    };
    const results = await Promise.allSettled([warp.getOrSet('k', failing), warp.getOrSet('k', failing)]);
    assert.ok(results.every((r) => r.status === 'rejected'));
    assert.equal(await warp.getOrSet('k', () => 'ok'), 'ok');
  });

  it('never lets a slow load that started before a set overwrite the newer value', async () => {
    const store = new ChaosStore();
    await store.inner.set('k', 'old');
    const warp = await factory.start({ store, keys: [{ key: 'k', mode: Mode.StrongLocal }] });
    const gate = deferred();
    const reached = deferred();
    store.readGate = gate.promise;
    store.onGatedRead = () => reached.resolve();
    const slowRead = warp.get('k');
    await reached.promise; // the load has read 'old' and is parked
    store.readGate = undefined;
    await warp.set('k', 'new');
    gate.resolve();
    assert.equal(await slowRead, 'old'); // the caller gets what the store held when it read...
    assert.equal(await warp.get('k'), 'new'); // ...but the cache keeps the newer value
  });

  it('never lets a slow load that started before an invalidate fill the cache', async () => {
    const store = new ChaosStore();
    await store.inner.set('k', 'v1');
    const cache = new MemoryCache();
    const warp = await factory.start({ store, cache, keys: [{ key: 'k', mode: Mode.StrongLocal }] });
    const gate = deferred();
    const reached = deferred();
    store.readGate = gate.promise;
    store.onGatedRead = () => reached.resolve();
    const slowRead = warp.get('k');
    await reached.promise;
    await store.inner.set('k', 'v2'); // the source changed behind Warp's back...
    await warp.invalidate('k'); // ...and the application says so
    gate.resolve();
    await slowRead;
    assert.equal(cache.peek('k'), undefined);
    store.readGate = undefined;
    assert.equal(await warp.get('k'), 'v2');
  });

  it('expires entries after the registration TTL and reloads from the store', async () => {
    const store = new ChaosStore();
    const warp = await factory.start({ store, keys: [{ key: 'k', mode: Mode.StrongLocal, ttl: 30 }] });
    await warp.set('k', 'v');
    await new Promise((r) => setTimeout(r, 60));
    const readsBefore = store.reads;
    assert.equal(await warp.get('k'), 'v');
    assert.equal(store.reads, readsBefore + 1);
  });

  it('merges with a custom function per registration: the go-warp counter', async () => {
    const warp = await factory.start({ keys: [{ key: 'counter', mode: Mode.StrongLocal, merge: (a: number, b: number) => a + b }] });
    await Promise.all([warp.set('counter', 1), warp.set('counter', 2), warp.set('counter', 3)]);
    assert.equal(await warp.get('counter'), 6);
  });

  it('merges with the store value when the key was never cached on this node', async () => {
    const store = new MemoryStore<number>([['counter', 10]]);
    const warp = await factory.start({ store, keys: [{ key: 'counter', mode: Mode.StrongLocal, merge: (a: number, b: number) => a + b }] });
    await warp.set('counter', 5);
    assert.equal(await store.get('counter'), 15);
  });

  it('invalidates a key so the next read goes to the store', async () => {
    const store = new ChaosStore();
    const warp = await factory.start({ store, keys: [{ key: 'k', mode: Mode.StrongLocal }] });
    await warp.set('k', 'v1');
    await store.inner.set('k', 'v2');
    assert.equal(await warp.get('k'), 'v1');
    await warp.invalidate('k');
    assert.equal(await warp.get('k'), 'v2');
  });

  it('gets and sets many keys keeping order', async () => {
    const warp = await factory.start({ keys: [{ key: 'k:*', mode: Mode.StrongLocal }] });
    await warp.setMany([
      ['k:1', 1],
      ['k:2', 2],
    ]);
    assert.deepEqual(await warp.getMany(['k:2', 'k:404', 'k:1']), [2, undefined, 1]);
  });

  it('warms exact keys and listable patterns, reporting missing keys and failures', async () => {
    const store = new ChaosStore();
    for (let i = 0; i < 50; i++) await store.inner.set(`product:${i}`, i);
    await store.inner.set('config', { on: true });
    const cache = new MemoryCache();
    const warp = await factory.start({
      store,
      cache,
      warmupConcurrency: 4,
      keys: [
        { key: 'config', mode: Mode.StrongLocal },
        { key: 'absent', mode: Mode.StrongLocal },
        { key: 'product:*', mode: Mode.EventualDistributed },
      ],
    });
    const report = await warp.warmup();
    assert.equal(report.loaded, 51);
    assert.equal(report.missing, 1);
    assert.deepEqual(report.failed, []);
    assert.equal(cache.size, 51);
    assert.equal(store.reads, 52);
  });

  it('reports a failing key in warmup instead of throwing', async () => {
    const store = new ChaosStore();
    await store.inner.set('a', 1);
    const warp = await factory.start({ store, keys: [{ key: 'a', mode: Mode.StrongLocal }] });
    store.failReads = 1;
    const report = await warp.warmup();
    assert.equal(report.failed.length, 1);
    assert.ok(report.failed[0].error instanceof StoreError);
  });

  it('lists patterns it cannot warm when the store cannot list keys', async () => {
    const store = { get: async () => undefined, set: async () => undefined };
    const warp = await factory.start({ store, keys: [{ key: 'p:*', mode: Mode.StrongLocal }] });
    assert.deepEqual((await warp.warmup()).unlistedPatterns, ['p:*']);
  });

  it('validates options at construction with a message naming the option', async () => {
    await assert.rejects(factory.start({ namespace: 'has space' }), (e: Error) => e instanceof InvalidOptionsError && /namespace/.test(e.message));
    await assert.rejects(factory.start({ publishTimeout: -1 }), /publishTimeout/);
    await assert.rejects(factory.start({ quorum: 1.5 }), /quorum/);
    await assert.rejects(factory.start({ keys: [{ key: 'a', mode: 'x' as Mode }] }), /keys\[0\]\.mode/);
    await assert.rejects(factory.start({ store: {} as never }), /store/);
  });

  it('refuses writes after close and closes idempotently', async () => {
    const warp = await factory.start({ keys: [{ key: 'k', mode: Mode.StrongLocal }] });
    await warp.close();
    await warp.close();
    await assert.rejects(warp.set('k', 1), WarpClosedError);
  });
});
