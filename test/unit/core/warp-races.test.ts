import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { MemoryBus } from '../../../lib/bus/memory.bus.js';
import { MemoryCache } from '../../../lib/cache/memory.cache.js';
import { TieredCache } from '../../../lib/cache/tiered.cache.js';
import { HybridLogicalClock, LOGICAL_TICKS_PER_MS } from '../../../lib/common/hlc.js';
import { Mode } from '../../../lib/common/mode.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { WarpClosedError } from '../../../lib/common/warp.errors.js';
import { ChaosStore } from '../../helpers/chaos.store.js';
import { deferred, eventually } from '../../helpers/deferred.js';
import { WarpFactory } from '../../helpers/warp-factory.js';

const factory = new WarpFactory();
afterEach(() => factory.closeAll());

/** An L2 whose deletes fail, as a Redis outage does. */
class FailingDeletes extends MemoryCache {
  override delete(): Promise<void> {
    return Promise.reject(new Error('L2 down'));
  }
}

/** A store whose writes wait for the test to open a gate. */
class GatedWrites extends MemoryStore {
  gate = deferred();
  writing = deferred();
  override async set(key: string, value: unknown): Promise<void> {
    this.writing.resolve();
    await this.gate.promise;
    await super.set(key, value);
  }
}

describe('Warp engine under races and failures', () => {
  it('does not let a getOrSet loader that raced a set overwrite the newer value, in the store or the cache', async () => {
    const store = new MemoryStore();
    const warp = await factory.start({ store, keys: [{ key: 'k', mode: Mode.StrongLocal }] });
    const loaderStarted = deferred();
    const release = deferred();
    const read = warp.getOrSet('k', async () => {
      loaderStarted.resolve();
      await release.promise;
      return 'stale-from-loader';
    });
    await loaderStarted.promise;
    await warp.set('k', 'new');
    release.resolve();
    assert.equal(await read, 'stale-from-loader');
    assert.equal(await store.get('k'), 'new');
    assert.equal(await warp.get('k'), 'new');
  });

  it('invalidates peers even when the shared tier cannot delete, and never serves the copy it could not delete', async () => {
    const bus = new MemoryBus();
    const store = new MemoryStore();
    const keys = [{ key: 'k', mode: Mode.EventualDistributed }];
    const a = await factory.start({ nodeId: 'a', bus: bus.node(), store, keys, cache: new TieredCache(new MemoryCache(), new FailingDeletes()) });
    const bCache = new MemoryCache();
    const b = await factory.start({ nodeId: 'b', bus: bus.node(), store, keys, cache: bCache });
    await store.set('k', 'v0');
    assert.equal(await a.get('k'), 'v0'); // filled in a's shared tier, which cannot delete
    assert.equal(await b.get('k'), 'v0');
    await store.set('k', 'v1'); // behind Warp's back: the invalidation tells the cluster
    await a.invalidate('k'); // resolves: the shared copy is suspect, not read until deleted
    await eventually(() => bCache.peek('k') === undefined);
    assert.equal(await a.get('k'), 'v1', 'the undeletable shared copy is not served');
    assert.equal(await b.get('k'), 'v1');
  });

  it('flushes the invalidation of a write still in flight when close() is called', async () => {
    const bus = new MemoryBus();
    const store = new GatedWrites();
    const keys = [{ key: 'k', mode: Mode.EventualDistributed }];
    const a = await factory.start({ nodeId: 'a', bus: bus.node(), store, keys });
    const bCache = new MemoryCache();
    const b = await factory.start({ nodeId: 'b', bus: bus.node(), store, keys, cache: bCache });
    await MemoryStore.prototype.set.call(store, 'k', 'v0');
    assert.equal(await b.get('k'), 'v0');
    const write = a.set('k', 'v1');
    await store.writing.promise;
    const closing = a.close();
    store.gate.resolve();
    await write;
    await closing;
    await eventually(() => bCache.peek('k') === undefined);
    assert.equal(await b.get('k'), 'v1');
  });

  it('stays closed when close() is called while start() is still running', async () => {
    const warp = factory.create({ keys: [{ key: 'k', mode: Mode.StrongLocal }] });
    const starting = warp.start();
    await warp.close();
    await starting.catch(() => undefined);
    assert.equal(warp.closed, true);
    await assert.rejects(warp.set('k', 1), WarpClosedError);
  });

  it('does not fill a load that was in flight when the node may have missed invalidations', async () => {
    const bus = new MemoryBus();
    const store = new ChaosStore();
    await store.inner.set('k', 'v0');
    const cache = new MemoryCache();
    const view = bus.node();
    const warp = await factory.start({ bus: view, store, cache, keys: [{ key: 'k', mode: Mode.EventualDistributed }] });
    const gate = deferred();
    const reached = deferred();
    store.readGate = gate.promise;
    store.onGatedRead = () => reached.resolve();
    const read = warp.get('k');
    await reached.promise;
    view.disconnect();
    view.reconnect();
    gate.resolve();
    assert.equal(await read, 'v0');
    assert.equal(cache.peek('k'), undefined);
  });
});

describe('eventual invalidations the bus refused', () => {
  const keys = [{ key: 'k', mode: Mode.EventualDistributed }];

  async function pair(busA: ReturnType<MemoryBus['node']>, bus: MemoryBus) {
    const store = new MemoryStore();
    const a = await factory.start({ nodeId: 'a', bus: busA, store, keys, heartbeatInterval: 50 });
    const bCache = new MemoryCache();
    const b = await factory.start({ nodeId: 'b', bus: bus.node(), store, keys, cache: bCache, heartbeatInterval: 50 });
    await store.set('k', 'v0');
    assert.equal(await b.get('k'), 'v0');
    return { a, b, bCache };
  }

  it('are sent when the writer reconnects', async () => {
    const bus = new MemoryBus();
    const view = bus.node();
    const { a, b, bCache } = await pair(view, bus);
    view.disconnect();
    await a.set('k', 'v1');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(bCache.peek('k')?.value, 'v0'); // nothing could leave yet
    view.reconnect();
    await eventually(() => bCache.peek('k') === undefined);
    assert.equal(await b.get('k'), 'v1');
  });

  it('are retried when a publish fails while the transport claims to be up', async () => {
    const bus = new MemoryBus();
    const view = bus.node();
    let failures = 0;
    let sent = 0;
    const publish = view.publish.bind(view);
    view.publish = (channel, payload) => {
      const text = Buffer.from(payload).toString();
      if (text.includes('"kind":"inv"')) {
        if (failures < 2) {
          failures++;
          return Promise.reject(new Error('publish refused'));
        }
        sent++;
      }
      return publish(channel, payload);
    };
    const { a, b, bCache } = await pair(view, bus);
    await a.set('k', 'v1');
    // Waits for the invalidation that went out, not for b's copy to go: on a busy machine b may
    // drop it on its own (a late heartbeat echo makes it distrust its local tier).
    await eventually(() => sent === 1 && bCache.peek('k') === undefined);
    assert.equal(failures, 2);
    assert.equal(await b.get('k'), 'v1');
  });
});

describe('HybridLogicalClock drift bound', () => {
  it('ignores a peer timestamp more than a minute ahead of local wall time', () => {
    const clock = new HybridLogicalClock(() => 1_000_000);
    clock.observe((1_000_000 + 3_600_000) * LOGICAL_TICKS_PER_MS);
    assert.ok(clock.now() < (1_000_000 + 1) * LOGICAL_TICKS_PER_MS);
  });
});

describe('a node joining a cluster', () => {
  it('reads StrongDistributed keys from the store until peers count it live, so a write that did not wait for it cannot leave it stale', async () => {
    const bus = new MemoryBus();
    const store = new MemoryStore();
    const keys = [{ key: 's', mode: Mode.StrongDistributed }];
    const a = await factory.start({ nodeId: 'a', bus: bus.node(), store, keys, heartbeatInterval: 200 });
    await a.set('s', 'v0');
    const cache = new MemoryCache();
    const late = await factory.start({ nodeId: 'late', bus: bus.node(), store, keys, cache, heartbeatInterval: 200 });
    assert.equal(late.cluster.admitted, false);
    assert.equal(await late.get('s'), 'v0');
    assert.equal(cache.peek('s'), undefined); // not cached while joining
    await a.set('s', 'v1'); // may not wait for 'late'
    assert.equal(await late.get('s'), 'v1');
    await eventually(() => late.cluster.admitted);
    assert.equal(await late.get('s'), 'v1');
    assert.equal(cache.peek('s')?.value, 'v1');
  });
});
