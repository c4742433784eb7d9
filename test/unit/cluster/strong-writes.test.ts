import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Mode } from '../../../lib/common/mode.js';
import type { KeyRegistration } from '../../../lib/interfaces/warp-options.interface.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { LockLostError } from '../../../lib/common/warp.errors.js';
import { DelayedAckStore } from '../../helpers/delayed-ack.store.js';
import { deferred, eventually } from '../../helpers/deferred.js';
import { WarpFactory } from '../../helpers/warp-factory.js';

const HEARTBEAT = 40;
const factory = new WarpFactory();
afterEach(() => factory.closeAll());

/** Nodes on one MemoryBus sharing one store; node i writes through `stores[i]` (a view of it). */
async function cluster(size: number, keys: KeyRegistration[], extra: { writeLockTtl?: number } = {}) {
  const shared = new MemoryStore();
  const stores = Array.from({ length: size }, () => new DelayedAckStore(shared));
  const { nodes } = await factory.startCluster(size, { store: (i) => stores[i], keys, heartbeatInterval: HEARTBEAT, ...extra });
  return { nodes: nodes.map((n) => n.warp), stores, caches: nodes.map((n) => n.cache), shared };
}

describe('StrongDistributed writes', () => {
  it('never returns the old value after any node returned the new one, while the write is between store and peers', async () => {
    const { nodes, stores, caches, shared } = await cluster(3, [{ key: 'st', mode: Mode.StrongDistributed }]);
    await nodes[0].set('st', 'old');
    // Node 2 caches its copy once the write's commit reached it; node 1 holds none.
    await eventually(async () => (await nodes[2].get('st')) === 'old' && caches[2].peek('st')?.value === 'old');
    assert.equal(caches[1].peek('st'), undefined);
    const committed = deferred();
    const release = deferred();
    stores[0].ackGate = release.promise;
    stores[0].onCommitted = () => committed.resolve();
    const write = nodes[0].set('st', 'new');
    await committed.promise;
    assert.equal(await shared.get('st'), 'new');
    // The store holds the new value: a node without a copy reads it, and so must the node with one.
    assert.equal(await nodes[1].get('st'), 'new');
    assert.equal(await nodes[2].get('st'), 'new');
    release.resolve();
    await write;
    for (const node of nodes) assert.equal(await node.get('st'), 'new');
  });

  it('refuses to persist with LockLostError when the writer stalled past its lock, and changes nothing', async () => {
    let stalls = 1;
    const merge = (current: number, incoming: number): number => {
      // A GC pause or VM freeze inside the write, longer than the lock's TTL.
      if (stalls-- > 0) for (const end = Date.now() + 150; Date.now() < end; );
      return current + incoming;
    };
    const { nodes, shared } = await cluster(2, [{ key: 'cnt', mode: Mode.StrongDistributed, merge }], { writeLockTtl: 60 });
    await shared.set('cnt', 10);
    await assert.rejects(nodes[0].set('cnt', 1), LockLostError);
    assert.equal(await shared.get('cnt'), 10);
    await nodes[1].set('cnt', 5);
    assert.equal(await shared.get('cnt'), 15);
    for (const node of nodes) assert.equal(await node.get('cnt'), 15);
  });

  it('sums a merged counter exactly when two nodes of one MemoryBus write concurrently (their locker is shared)', async () => {
    const merge = (current: number, incoming: number): number => current + incoming;
    const { nodes, shared } = await cluster(2, [{ key: 'sum', mode: Mode.StrongDistributed, merge }]);
    await Promise.all(Array.from({ length: 20 }, (_, i) => nodes[i % 2].set('sum', 1)));
    assert.equal(await shared.get('sum'), 20);
    for (const node of nodes) assert.equal(await node.get('sum'), 20);
  });
});

describe('EventualDistributed writes', () => {
  it('do not cache their own value when a peer wrote the key while their store write was acknowledging', async () => {
    const { nodes, stores, shared } = await cluster(2, [{ key: 'ev', mode: Mode.EventualDistributed }]);
    stores[0].ackDelayMs = 30;
    const slow = nodes[0].set('ev', 'x'); // committed now, acknowledged in 30 ms
    await new Promise((resolve) => setTimeout(resolve, 5));
    await nodes[1].set('ev', 'y'); // the store's last write
    await slow;
    assert.equal(await shared.get('ev'), 'y');
    await eventually(async () => (await nodes[0].get('ev')) === 'y' && (await nodes[1].get('ev')) === 'y', 1_000);
  });
});
