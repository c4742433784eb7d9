import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { MemoryBus } from '../../../lib/bus/memory.bus.js';
import { MemoryCache } from '../../../lib/cache/memory.cache.js';
import { TieredCache } from '../../../lib/cache/tiered.cache.js';
import { Mode } from '../../../lib/common/mode.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { eventually } from '../../helpers/deferred.js';
import { SharedTierDouble } from '../../helpers/shared-tier-double.js';
import { WarpFactory } from '../../helpers/warp-factory.js';
import type { Warp } from '../../../lib/engine/warp.js';

const factory = new WarpFactory();
afterEach(() => factory.closeAll());

/** Two started nodes on one MemoryBus and store, each with its own L1 over one shared tier. */
async function twoNodes(): Promise<{ a: Warp; b: Warp; shared: SharedTierDouble; bus: MemoryBus; store: MemoryStore }> {
  const shared = new SharedTierDouble();
  const bus = new MemoryBus();
  const store = new MemoryStore();
  const keys = [{ key: 'k', mode: Mode.EventualDistributed }];
  const node = (nodeId: string) => factory.start({ nodeId, store, keys, heartbeatInterval: 50, bus: bus.node(), cache: new TieredCache(new MemoryCache(), shared) });
  const [a, b] = await Promise.all([node('a'), node('b')]);
  await eventually(() => a.cluster.livePeers().length === 1 && b.cluster.livePeers().length === 1);
  return { a, b, shared, bus, store };
}

describe('EventualDistributed write whose shared-tier SET failed', () => {
  // Found in review: the invalidation waited for the (slow) deletion of the shared copy, set()
  // resolved before it, and close() right after flushed an empty queue: b kept v1 forever.
  it('still reaches peers when the writer closes right after it', async () => {
    const { a, b, shared, bus } = await twoNodes();
    await a.set('k', 'v1');
    await bus.flush();
    assert.equal(await b.get('k'), 'v1');
    assert.equal(b.peekLocal('k', b.registrationOf('k')), 'v1', 'b serves v1 from its L1');

    shared.failSets = true;
    shared.deleteDelayMs = 300; // below commandTimeout (1 s): the deletion succeeds, late
    await a.set('k', 'v2');
    await a.close();
    await bus.flush();
    assert.notEqual(b.peekLocal('k', b.registrationOf('k')), 'v1', 'b kept the overwritten value after the writer closed');
    assert.equal(await b.get('k'), 'v2');
  });

  it('announces again once the shared copy is deleted, and close() waits for that', async () => {
    const { a, b, shared, bus } = await twoNodes();
    await a.set('k', 'v1');
    await bus.flush();
    shared.failSets = true;
    shared.deleteDelayMs = 200;
    await a.set('k', 'v2');
    await bus.flush();
    // b heard the first announce and read the old shared copy, which is still there.
    assert.equal(await b.get('k'), 'v1');
    const closing = performance.now();
    await a.close();
    assert.ok(performance.now() - closing >= 100, 'close() waited for the deletion and the second announce');
    await bus.flush();
    assert.equal(await b.get('k'), 'v2', 'the second announce evicted the copy b read meanwhile');
  });

  // Found in review: the overtaken check ran before the tiers were written; TieredCache writes L1
  // after L2 acknowledged, so a peer's invalidation landing meanwhile was undone by the L1 write.
  it('drops its value when a peer\'s write of the key lands while its shared-tier SET is unacknowledged', async () => {
    const { a, b, shared, bus, store } = await twoNodes();
    shared.setAckDelayMs = 100;
    const writing = a.set('k', 'va'); // store: va; its L2 SET applied, acknowledged 100 ms later
    await new Promise((resolve) => setTimeout(resolve, 20));
    shared.setAckDelayMs = 0;
    await b.set('k', 'vb'); // store: vb, announced while a's SET is unacknowledged
    await bus.flush();
    await writing;
    await bus.flush();
    assert.equal(await store.get('k'), 'vb');
    assert.equal(await a.get('k'), 'vb', 'a kept its overtaken value in its local tier');
    assert.equal(await b.get('k'), 'vb');
  });
});
