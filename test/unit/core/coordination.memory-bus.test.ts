import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { MemoryCache } from '../../../lib/cache/memory.cache.js';
import { Mode } from '../../../lib/common/mode.js';
import type { Warp } from '../../../lib/engine/warp.js';
import type { WarpOptions } from '../../../lib/interfaces/warp-options.interface.js';
import { MemoryLocker } from '../../../lib/lock/memory.locker.js';
import { eventually } from '../../helpers/deferred.js';
import { WarpFactory, type ClusterOptions } from '../../helpers/warp-factory.js';

const KEYS: WarpOptions['keys'] = [
  { key: 'ev:*', mode: Mode.EventualDistributed },
  { key: 'st:*', mode: Mode.StrongDistributed },
  { key: 'local:*', mode: Mode.StrongLocal },
];

describe('coordination across nodes over a shared MemoryBus', () => {
  const warps = new WarpFactory();
  afterEach(() => warps.closeAll());

  async function cluster(size: number, extra: ClusterOptions = {}) {
    const { nodes, memoryBus } = await warps.startCluster(size, { locks: new MemoryLocker(), keys: KEYS, heartbeatInterval: 50, ...extra });
    return { nodes, store: nodes[0]!.store, shared: memoryBus };
  }

  /** Every node reads the keys, so each holds them in its local tier. */
  async function cacheEverywhere(nodes: Array<{ warp: Warp; cache: MemoryCache }>, keys: string[]) {
    for (const { warp, cache } of nodes) {
      for (const key of keys) {
        // A node whose heartbeat echo is late (a busy machine) reads through without caching: read again.
        await eventually(async () => (await warp.get(key), cache.peek(key) !== undefined), 5000).catch(() => {
          assert.fail(`${key} never cached on ${warp.nodeId}`);
        });
      }
    }
  }

  describe('leases', () => {
    it('makes a lease granted on one node known on every node', async () => {
      const { nodes, shared } = await cluster(3);
      const lease = await nodes[0]!.warp.grantLease(60_000);
      await shared.flush();
      for (const { warp } of nodes) assert.equal(warp.leases.get(lease.id)?.ttl, 60_000);
    });

    it('invalidates the attached keys on every node when the lease is revoked on another node', async () => {
      const { nodes, store, shared } = await cluster(3);
      const [a, b] = [nodes[0]!.warp, nodes[1]!.warp];
      for (const key of ['ev:1', 'st:1', 'local:1']) await store.set(key, 'v1');
      await cacheEverywhere(nodes, ['ev:1', 'st:1', 'local:1']);
      const lease = await a.grantLease(60_000);
      for (const key of ['ev:1', 'st:1', 'local:1']) await a.attachKey(lease.id, key);
      await shared.flush();
      for (const key of ['ev:1', 'st:1', 'local:1']) await store.set(key, 'v2');
      await b.revokeLease(lease.id);
      await shared.flush();
      for (const { warp, cache } of nodes) {
        for (const key of ['ev:1', 'st:1', 'local:1']) {
          assert.equal(cache.peek(key), undefined, `${key} evicted on ${warp.nodeId}`);
          assert.equal(await warp.get(key), 'v2');
        }
        assert.equal(warp.leases.get(lease.id), undefined);
      }
    });

    it('evicts on every node the keys each node attached, wherever the revocation happens', async () => {
      const { nodes, shared } = await cluster(3);
      const [a, b, c] = nodes.map((n) => n.warp) as [Warp, Warp, Warp];
      await a.set('local:a', 'x');
      await b.set('local:b', 'y');
      await cacheEverywhere(nodes, ['local:a', 'local:b']);
      const lease = await a.grantLease(60_000);
      await shared.flush();
      await b.attachKey(lease.id, 'local:b');
      await shared.flush();
      assert.deepEqual(c.leases.keysOf(lease.id), ['local:b']);
      await a.attachKey(lease.id, 'local:a');
      await c.revokeLease(lease.id);
      await shared.flush();
      for (const { warp, cache } of nodes) {
        assert.equal(cache.peek('local:a'), undefined, `local:a on ${warp.nodeId}`);
        assert.equal(cache.peek('local:b'), undefined, `local:b on ${warp.nodeId}`);
      }
    });

    it('invalidates the attached keys on every node when the lease expires without renewal', async () => {
      const { nodes, shared, store } = await cluster(3);
      await store.set('ev:exp', 'v'); // not warp.set: its eventual invalidation could land after the reads
      await cacheEverywhere(nodes, ['ev:exp']);
      const lease = await nodes[0]!.warp.grantLease(100);
      await nodes[0]!.warp.attachKey(lease.id, 'ev:exp');
      await shared.flush();
      await eventually(() => nodes.every((n) => n.cache.peek('ev:exp') === undefined && n.warp.leases.get(lease.id) === undefined), 3000);
    });

    it('keeps the lease alive on every node while another node renews it', async () => {
      const { nodes, shared } = await cluster(2);
      await nodes[0]!.warp.set('local:r', 'v');
      await cacheEverywhere(nodes, ['local:r']);
      const lease = await nodes[0]!.warp.grantLease(300);
      await nodes[0]!.warp.attachKey(lease.id, 'local:r');
      await shared.flush();
      for (let i = 0; i < 4; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100)); // testing expiry: renewals span more than one ttl
        await nodes[1]!.warp.renewLease(lease.id);
      }
      await shared.flush();
      for (const { warp, cache } of nodes) {
        assert.notEqual(warp.leases.get(lease.id), undefined, `lease alive on ${warp.nodeId}`);
        assert.equal(cache.peek('local:r')?.value, 'v');
      }
      await eventually(() => nodes.every((n) => n.cache.peek('local:r') === undefined), 3000);
    });

    it('still expires the lease on the other nodes after the granting node is gone', async () => {
      const { nodes, shared, store } = await cluster(3);
      await store.set('ev:orphan', 'v');
      await cacheEverywhere(nodes, ['ev:orphan']);
      const lease = await nodes[0]!.warp.grantLease(150);
      await nodes[0]!.warp.attachKey(lease.id, 'ev:orphan');
      await shared.flush();
      await nodes[0]!.warp.close();
      await eventually(() => nodes.slice(1).every((n) => n.cache.peek('ev:orphan') === undefined), 3000);
    });

    it('does not bring back a revoked lease when a late renewal arrives', async () => {
      const { nodes, shared } = await cluster(2);
      const lease = await nodes[0]!.warp.grantLease(60_000);
      await shared.flush();
      const renewal = nodes[1]!.warp.renewLease(lease.id); // in flight while node-0 revokes
      await nodes[0]!.warp.revokeLease(lease.id);
      await renewal;
      await shared.flush();
      for (const { warp } of nodes) assert.equal(warp.leases.get(lease.id), undefined, `on ${warp.nodeId}`);
    });
  });

  describe('watch bus', () => {
    const bytes = (n: number) => new Uint8Array([n >> 8, n & 0xff]);
    const number = (payload: Uint8Array) => (payload[0]! << 8) | payload[1]!;

    it('delivers bytes published on one node to prefix subscribers on another node, in publish order', async () => {
      const { nodes } = await cluster(3);
      const onB = nodes[1]!.warp.watch({ prefix: 'orders.' });
      const onC = nodes[2]!.warp.watch('orders.eu');
      const local = nodes[0]!.warp.watch({ prefix: 'orders.' });
      for (let i = 0; i < 200; i++) await nodes[0]!.warp.publish(i % 2 ? 'orders.eu' : 'orders.us', bytes(i));
      await nodes[0]!.warp.publish('users.1', bytes(999));
      const seen: number[] = [];
      for await (const event of onB) {
        assert.equal(event.origin, 'node-0');
        assert.equal(event.seq, seen.length);
        seen.push(number(event.payload));
        if (seen.length === 200) break;
      }
      assert.deepEqual(seen, Array.from({ length: 200 }, (_, i) => i));
      const eu: number[] = [];
      for await (const event of onC) {
        eu.push(number(event.payload));
        if (eu.length === 100) break;
      }
      assert.deepEqual(eu, Array.from({ length: 100 }, (_, i) => 2 * i + 1));
      assert.equal(local.buffered, 200); // the publisher's own subscribers get it too
      assert.equal(onB.dropped + onC.dropped + local.dropped, 0);
    });

    it('keeps each publisher in order when two nodes publish at once', async () => {
      const { nodes, shared } = await cluster(3);
      const sub = nodes[2]!.warp.watch({ prefix: 't' });
      await Promise.all([0, 1].map(async (n) => {
        for (let i = 0; i < 100; i++) await nodes[n]!.warp.publish(`t${n}`, bytes(i));
      }));
      await shared.flush();
      const byOrigin = new Map<string, number[]>();
      for (let i = 0; i < 200; i++) {
        const { value } = await sub.next();
        byOrigin.set(value!.origin, [...(byOrigin.get(value!.origin) ?? []), number(value!.payload)]);
      }
      const expected = Array.from({ length: 100 }, (_, i) => i);
      assert.deepEqual(byOrigin.get('node-0'), expected);
      assert.deepEqual(byOrigin.get('node-1'), expected);
    });

    it('drops the oldest events for a remote subscriber that falls behind, and counts them', async () => {
      const { nodes, shared } = await cluster(2, { watch: { bufferSize: 10 } });
      const slow = nodes[1]!.warp.watch('t');
      for (let i = 0; i < 25; i++) await nodes[0]!.warp.publish('t', bytes(i));
      await shared.flush();
      assert.equal(slow.dropped, 15);
      assert.equal(slow.buffered, 10);
      assert.equal(number((await slow.next()).value!.payload), 15);
    });

    it('stops delivering to a subscriber on another node once it unsubscribed', async () => {
      const { nodes, shared } = await cluster(2);
      const sub = nodes[1]!.warp.watch({ prefix: 't' });
      sub.unsubscribe();
      await nodes[0]!.warp.publish('t1', bytes(1));
      await shared.flush();
      assert.equal(sub.buffered, 0);
      assert.equal(nodes[1]!.warp.watchBus.subscriptions, 0);
    });
  });
});
