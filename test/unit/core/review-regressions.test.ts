// Regressions for failures found in review: each test failed before its fix.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import Keyv from 'keyv';
import { Redis } from 'ioredis';
import { RedisLocker } from '../../../lib/lock/redis.locker.js';
import { LockTimeoutError } from '../../../lib/common/warp.errors.js';
import { MemoryBus } from '../../../lib/bus/memory.bus.js';
import type { WarpCache } from '../../../lib/cache/cache.interface.js';
import type { Envelope } from '../../../lib/common/envelope.js';
import { Mode } from '../../../lib/common/mode.js';
import { WarpKeyvStore } from '../../../lib/keyv/warp-keyv.store.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { WatchSubscription } from '../../../lib/watch/watch-subscription.js';
import { deferred, eventually } from '../../helpers/deferred.js';
import { WarpFactory } from '../../helpers/warp-factory.js';

const factory = new WarpFactory();
afterEach(() => factory.closeAll());

/** A store that can be taken down, for fail-safe tests. */
class FlakyStore extends MemoryStore {
  down = false;
  override get(key: string): Promise<unknown> {
    return this.down ? Promise.reject(new Error('db down')) : super.get(key);
  }
}

describe('fail-safe never serves a value that was invalidated', () => {
  it('forgets a value whose lease was revoked on a peer', async () => {
    const bus = new MemoryBus();
    const store = new FlakyStore();
    const common = { store, failSafe: { grace: 60_000 }, heartbeatInterval: 20, keys: [{ key: 's:*', mode: Mode.EventualDistributed }] };
    const a = await factory.start({ ...common, nodeId: 'a', bus: bus.node() });
    const b = await factory.start({ ...common, nodeId: 'b', bus: bus.node() });
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
    const bus = new MemoryBus();
    const store = new FlakyStore();
    const common = { store, failSafe: { grace: 60_000 }, heartbeatInterval: 20, keys: [{ key: 'e:*', mode: Mode.EventualDistributed }] };
    const a = await factory.start({ ...common, nodeId: 'a', bus: bus.node() });
    const b = await factory.start({ ...common, nodeId: 'b', bus: bus.node() });
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

describe('leases with keys that escape to large messages', () => {
  const bigKeys = Array.from({ length: 200 }, (_, i) => `k:${String(i).padStart(3, '0')}${'\u0001'.repeat(1015)}`);

  it('revokes and evicts every key: revocations are split by encoded size', async () => {
    const warp = await factory.start({ keys: [{ key: 'k:*', mode: Mode.StrongLocal }] });
    const lease = await warp.grantLease(60_000);
    for (const key of bigKeys) {
      await warp.set(key, 'v');
      await warp.attachKey(lease.id, key);
    }
    await warp.revokeLease(lease.id);
    assert.ok(bigKeys.every((key) => warp.cache.peek?.(key) === undefined));
  });

  it('expires without an unhandled rejection and evicts every key', async () => {
    const warp = await factory.start({ keys: [{ key: 'k:*', mode: Mode.StrongLocal }] });
    const lease = await warp.grantLease(50);
    for (const key of bigKeys) {
      await warp.set(key, 'v');
      await warp.attachKey(lease.id, key);
    }
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await eventually(() => bigKeys.every((key) => warp.cache.peek?.(key) === undefined), 5000);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
  });
});

describe('a watch subscription over its buffer', () => {
  it('releases each dropped payload at once', () => {
    const subscription = new WatchSubscription({ prefix: 'x' } as never, 1, () => {});
    const payloads = Array.from({ length: 100 }, (_, seq) => ({ topic: 'x', payload: new Uint8Array(8), origin: 'n', seq }));
    for (const event of payloads) subscription.push(event);
    const retained = (subscription as unknown as { queue: unknown[] }).queue.filter((e) => e !== undefined);
    assert.equal(retained.length, 1);
    assert.equal(subscription.dropped, 99);
  });
});

describe('WarpKeyvStore and Keyv expiry', () => {
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

describe('a RedisLocker whose Redis is unreachable', () => {
  it('keeps its backoff while waiting instead of spinning on failed commands', async () => {
    // A real ioredis client aimed at a closed port, failing every command at once.
    const client = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    const locker = new RedisLocker(client);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      await assert.rejects(locker.acquire('x', { ttl: 10_000, waitTimeout: 300 }), LockTimeoutError);
    } finally {
      clearInterval(timer);
      await locker.close();
      client.disconnect();
    }
    assert.ok(ticks >= 10, `the event loop starved: ${ticks} timer ticks while waiting 300 ms`);
  });
});
