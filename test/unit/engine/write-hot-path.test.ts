import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { MemoryCache } from '../../../lib/cache/memory.cache.js';
import { Mode } from '../../../lib/common/mode.js';
import { StoreError } from '../../../lib/common/warp.errors.js';
import { KeyWrites } from '../../../lib/engine/key-writes.js';
import { NOOP_METRICS } from '../../../lib/metrics/warp-metrics.interface.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { ChaosStore } from '../../helpers/chaos.store.js';
import { deferred, eventually } from '../../helpers/deferred.js';
import { WarpFactory } from '../../helpers/warp-factory.js';

const factory = new WarpFactory();
afterEach(() => factory.closeAll());

describe('the uncontended set (one reaction to the store write)', () => {
  for (const mode of [Mode.StrongLocal, Mode.EventualDistributed]) {
    it(`starts a second ${mode} write of a key only after the first one settled, and ends with the second value everywhere`, async () => {
      const store = new ChaosStore();
      const cache = new MemoryCache();
      const warp = await factory.start({ store, cache, keys: [{ key: 'k', mode }] });
      const gate = deferred();
      const started: unknown[] = [];
      store.aroundWrite = async (_key, value, write) => {
        started.push(value);
        if (value === 'first') await gate.promise;
        await write();
      };
      const first = warp.set('k', 'first');
      const second = warp.set('k', 'second');
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(started, ['first'], 'the second write waits for the first');
      gate.resolve();
      await Promise.all([first, second]);
      assert.deepEqual(started, ['first', 'second']);
      assert.equal(cache.peek('k')?.value, 'second');
      assert.equal(await store.inner.get('k'), 'second');
    });
  }

  it('releases the key when its store write fails: nothing cached from it, and the write queued behind it proceeds', async () => {
    const store = new ChaosStore();
    const cache = new MemoryCache();
    const warp = await factory.start({ store, cache, keys: [{ key: 'k', mode: Mode.StrongLocal }] });
    store.failWrites = 1;
    const failed = warp.set('k', 'lost');
    const next = warp.set('k', 'kept');
    await assert.rejects(failed, StoreError);
    assert.notEqual(cache.peek('k')?.value, 'lost');
    await next;
    assert.equal(cache.peek('k')?.value, 'kept');
    assert.equal(await store.inner.get('k'), 'kept');
  });

  it('rejects with StoreError when the store throws instead of rejecting, and caches nothing', async () => {
    const store = new MemoryStore();
    store.set = () => {
      throw new Error('synchronous failure');
    };
    const cache = new MemoryCache();
    const warp = await factory.start({ store, cache, keys: [{ key: 'k', mode: Mode.StrongLocal }] });
    await assert.rejects(warp.set('k', 'v'), StoreError);
    assert.equal(cache.peek('k'), undefined);
  });

  it('does not cache its value when a peer invalidated the key while its store write was in flight', async () => {
    const store = new ChaosStore();
    let received = 0;
    let discarded = 0;
    const metrics = { ...NOOP_METRICS, invalidationsReceived: (count: number) => (received += count), staleFillsDiscarded: () => discarded++ };
    const { nodes } = await factory.startCluster(2, { store, metrics, keys: [{ key: 'k', mode: Mode.EventualDistributed }] });
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const held = deferred();
    const committed = deferred();
    store.aroundWrite = async (_key, value, write) => {
      await write();
      if (value === 'from-a') {
        committed.resolve();
        await held.promise;
      }
    };
    const writing = a.warp.set('k', 'from-a');
    await committed.promise;
    await b.warp.set('k', 'from-b');
    // a hears of b's newer write while its own still awaits the store's acknowledgement.
    await eventually(() => received > 0, 2_000);
    held.resolve();
    await writing;
    assert.equal(discarded, 1);
    assert.equal(a.cache.peek('k'), undefined, 'the overtaken write left no copy of its value');
    assert.equal(await a.warp.get('k'), 'from-b');
  });
});

describe('KeyWrites', () => {
  it('runs the writes of a key one at a time in call order, and those of other keys at once', async () => {
    const writes = new KeyWrites();
    const order: string[] = [];
    const gate = deferred();
    const first = writes.run('a', async () => {
      order.push('a1 start');
      await gate.promise;
      order.push('a1 end');
    });
    const second = writes.run('a', async () => void order.push('a2'));
    const other = writes.run('b', async () => void order.push('b1'));
    await other;
    assert.deepEqual(order, ['a1 start', 'b1']);
    gate.resolve();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['a1 start', 'b1', 'a1 end', 'a2']);
  });

  it('gives a queued write a fresh ticket: only the write running when a peer wrote is overtaken', async () => {
    const writes = new KeyWrites();
    const gate = deferred();
    const seen: boolean[] = [];
    const first = writes.run('k', async (ticket) => {
      await gate.promise;
      seen.push(ticket.overtaken);
    });
    const second = writes.run('k', async (ticket) => void seen.push(ticket.overtaken));
    writes.overtake('k');
    gate.resolve();
    await Promise.all([first, second]);
    assert.deepEqual(seen, [true, false]);
  });

  it('keeps running the queue after a write that throws or rejects, and idle() waits for what is queued', async () => {
    const writes = new KeyWrites();
    const done: string[] = [];
    const throwing = writes.run('k', () => {
      throw new Error('sync');
    });
    const rejecting = writes.run('k', async () => {
      throw new Error('async');
    });
    const last = writes.run('k', async () => void done.push('last'));
    const idle = writes.idle();
    await assert.rejects(throwing, /sync/);
    await assert.rejects(rejecting, /async/);
    await Promise.all([last, idle]);
    assert.deepEqual(done, ['last']);
    assert.equal(writes.tryBegin('k') !== undefined, true, 'the key is free again');
  });
});
