import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { LastKnownValues } from '../../../lib/engine/fail-safe.js';
import type { WarpCache } from '../../../lib/cache/cache.interface.js';
import type { Envelope } from '../../../lib/common/envelope.js';
import { Mode } from '../../../lib/common/mode.js';
import { PrometheusWarpMetrics } from '../../../lib/metrics/prometheus.metrics.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { ChaosStore } from '../../helpers/chaos.store.js';
import { deferred, eventually } from '../../helpers/deferred.js';
import { metricValue } from '../../helpers/prometheus-text.js';
import { WarpFactory } from '../../helpers/warp-factory.js';

describe('fail-safe reads', () => {
  const factory = new WarpFactory();
  afterEach(() => factory.closeAll());

  async function node(options: { failSafe?: { grace: number; maxEntries?: number }; storeTimeout?: number; mode?: Mode; ttl?: number } = {}) {
    const store = new ChaosStore<unknown>();
    const registry = new Registry();
    const warp = await factory.start({
      store,
      metrics: new PrometheusWarpMetrics({ registry }),
      failSafe: options.failSafe,
      storeTimeout: options.storeTimeout,
      keys: [{ key: 'user:*', mode: options.mode ?? Mode.EventualDistributed, ttl: options.ttl }],
    });
    const count = async (name: string) => metricValue(await registry.metrics(), name, { pattern: 'user:*' });
    return { warp, store, count };
  }

  it('serves the last known value, and counts it, when the store fails after the entry left the cache', async () => {
    const { warp, store, count } = await node({ failSafe: { grace: 60_000 } });
    await warp.set('user:1', { name: 'Ada' });
    warp.cache.evictLocal!(['user:1']); // evicted (LRU, expiry or a peer's invalidation)
    store.failReads = 1;
    assert.deepEqual(await warp.get('user:1'), { name: 'Ada' });
    assert.equal(await count('warp_failsafe_served_total'), 1);
    assert.equal(metricValue(await (warp.metrics as PrometheusWarpMetrics).registry.metrics(), 'warp_store_errors_total', { operation: 'read' }), 1);
    assert.equal(warp.cache.peek!('user:1'), undefined, 'a fail-safe value is served, never cached');
    assert.deepEqual(await warp.get('user:1'), { name: 'Ada' }, 'the store answers again');
  });

  it('remembers values loaded from the store too', async () => {
    const { warp, store } = await node({ failSafe: { grace: 60_000 } });
    await store.inner.set('user:2', 'from-store');
    assert.equal(await warp.get('user:2'), 'from-store');
    warp.cache.evictLocal!(['user:2']);
    store.failReads = 1;
    assert.equal(await warp.get('user:2'), 'from-store');
  });

  it('serves the last known value when a store read exceeds storeTimeout', async () => {
    const { warp, store, count } = await node({ failSafe: { grace: 60_000 }, storeTimeout: 20 });
    await warp.set('user:1', 'v1');
    warp.cache.evictLocal!(['user:1']);
    store.readGate = new Promise(() => {}); // a store that never answers
    assert.equal(await warp.get('user:1'), 'v1');
    assert.equal(await count('warp_failsafe_served_total'), 1);
  });

  it('fails with StoreError naming the timeout when there is no last known value', async () => {
    const { warp, store } = await node({ failSafe: { grace: 60_000 }, storeTimeout: 20 });
    store.readGate = new Promise(() => {});
    await assert.rejects(warp.get('user:9'), (error: Error) => error.name === 'StoreError' && /user:9.*timed out after 20ms/.test(error.message));
  });

  it('throws StoreError as before when fail-safe is off', async () => {
    const { warp, store } = await node();
    await warp.set('user:1', 'v1');
    warp.cache.evictLocal!(['user:1']);
    store.failReads = 1;
    await assert.rejects(warp.get('user:1'), { name: 'StoreError' });
  });

  it('still fails writes loudly with StoreError', async () => {
    const { warp, store } = await node({ failSafe: { grace: 60_000 } });
    store.failWrites = 1;
    await assert.rejects(warp.set('user:1', 'v'), { name: 'StoreError' });
  });

  it('never serves a stale value for a StrongDistributed key', async () => {
    const { warp, store, count } = await node({ failSafe: { grace: 60_000 }, mode: Mode.StrongDistributed });
    await warp.set('user:1', 'v1');
    warp.cache.evictLocal!(['user:1']);
    store.failReads = 1;
    await assert.rejects(warp.get('user:1'), { name: 'StoreError' });
    assert.equal(await count('warp_failsafe_served_total'), 0);
  });

  it('forgets a key that was explicitly invalidated', async () => {
    const { warp, store } = await node({ failSafe: { grace: 60_000 } });
    await warp.set('user:1', 'v1');
    await warp.invalidate('user:1');
    store.failReads = 1;
    await assert.rejects(warp.get('user:1'), { name: 'StoreError' });
  });

  it('rejects invalid storeTimeout and failSafe options', async () => {
    for (const options of [{ storeTimeout: 0 }, { storeTimeout: 2 ** 31 }, { failSafe: null }, { failSafe: { grace: -1 } }, { failSafe: { grace: 1, maxEntries: 0 } }]) {
      await assert.rejects(factory.start(options as never), { name: 'InvalidOptionsError' });
    }
  });
});

describe('LastKnownValues', () => {
  it('keeps a value for grace ms after its cache entry would have expired', (t) => {
    let now = 1_000;
    t.mock.method(Date, 'now', () => now);
    const known = new LastKnownValues(500, 10);
    known.remember('a', 'A', 100); // the entry expires at 1100; servable until 1600
    known.remember('b', 'B', 0); // no TTL: servable until evicted
    now = 1_600;
    assert.equal(known.recall('a')?.value, 'A');
    now = 1_601;
    assert.equal(known.recall('a'), undefined);
    now = 1e12;
    assert.equal(known.recall('b')?.value, 'B');
  });

  it('holds at most maxEntries values, dropping the least recently recorded', () => {
    const known = new LastKnownValues(0, 2);
    known.remember('a', 1, 0);
    known.remember('b', 2, 0);
    known.remember('a', 3, 0);
    known.remember('c', 4, 0);
    assert.equal(known.size, 2);
    assert.equal(known.recall('b'), undefined);
    assert.equal(known.recall('a')?.value, 3);
  });
});

/** A store that can be taken down, for fail-safe tests. */
class FlakyStore extends MemoryStore {
  down = false;
  override get(key: string): Promise<unknown> {
    return this.down ? Promise.reject(new Error('db down')) : super.get(key);
  }
}

describe('fail-safe never serves a value that was invalidated', () => {
  const factory = new WarpFactory();
  afterEach(() => factory.closeAll());

  /** Two nodes with a 60 s fail-safe grace over one FlakyStore, `pattern` EventualDistributed. */
  async function pair(pattern: string) {
    const store = new FlakyStore();
    const { warps } = await factory.startCluster(2, { store, failSafe: { grace: 60_000 }, heartbeatInterval: 20, keys: [{ key: pattern, mode: Mode.EventualDistributed }] });
    return { store, a: warps[0], b: warps[1] };
  }

  it('forgets a value whose lease was revoked on a peer', async () => {
    const { store, a, b } = await pair('s:*');
    await a.set('s:1', 'token');
    const lease = await a.grantLease(60_000);
    await a.attachKey(lease.id, 's:1');
    assert.equal(await b.get('s:1'), 'token');
    await a.revokeLease(lease.id);
    await eventually(() => b.cache.peek?.('s:1') === undefined);
    store.down = true;
    await assert.rejects(a.get('s:1'), /Store read/);
    await assert.rejects(b.get('s:1'), /Store read/);
  });

  it("forgets a value a peer invalidated explicitly, but keeps one a peer's write replaced (stale within grace)", async () => {
    const { store, a, b } = await pair('e:*');
    await store.set('e:dropped', 'd1');
    await store.set('e:written', 'w1');
    assert.equal(await b.get('e:dropped'), 'd1');
    assert.equal(await b.get('e:written'), 'w1');
    await a.invalidate('e:dropped');
    await a.set('e:written', 'w2');
    await eventually(() => b.cache.peek?.('e:dropped') === undefined && b.cache.peek?.('e:written') === undefined);
    store.down = true;
    await assert.rejects(b.get('e:dropped'), /Store read/);
    assert.equal(await b.get('e:written'), 'w1');
  });

  it('does not remember a shared-tier value read while an invalidate landed', async () => {
    const gate = deferred();
    let first = true;
    let l2: Envelope | undefined = { value: 'v1', ts: 5 * 1024, origin: 'x' };
    const cache: WarpCache = {
      peek: () => undefined,
      get: async () => {
        if (!first) return l2;
        first = false;
        await gate.promise;
        return { value: 'v1', ts: 5 * 1024, origin: 'x' };
      },
      set: async () => {},
      setIfAbsent: async () => false,
      delete: async () => {
        l2 = undefined;
      },
      clear: async () => {},
      evictLocal() {},
      clearLocal() {},
      keys: async () => [],
    };
    const store = new FlakyStore();
    const warp = await factory.start({ cache, store, failSafe: { grace: 60_000 }, keys: [{ key: 'k:*', mode: Mode.EventualDistributed }] });
    const reading = warp.get('k:1');
    await new Promise((r) => setImmediate(r));
    await warp.invalidate('k:1');
    gate.resolve();
    assert.equal(await reading, 'v1');
    store.down = true;
    await assert.rejects(warp.get('k:1'), /Store read/);
  });
});
