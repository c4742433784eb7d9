import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Mode } from '../../../lib/common/mode.js';
import { MemoryBus } from '../../../lib/bus/memory.bus.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { createWarpCluster } from '../../../lib/testing/warp-cluster.js';
import { eventually } from '../../../lib/testing/eventually.js';

describe('createWarpCluster', () => {
  it('starts N nodes that see each other, share one store, and read each other\'s writes', async () => {
    const cluster = await createWarpCluster({ nodes: 3, keys: [{ key: 'user:*', mode: Mode.EventualDistributed }] });
    try {
      assert.deepEqual(cluster.nodes.map((node) => node.nodeId), ['node-0', 'node-1', 'node-2']);
      for (const node of cluster.nodes) assert.equal(await node.get('user:1'), undefined);
      await cluster.nodes[0].set('user:1', 'Ada');
      assert.equal(await cluster.store.get('user:1'), 'Ada');
      await eventually(async () => (await Promise.all(cluster.nodes.map((node) => node.get('user:1')))).every((value) => value === 'Ada'));
    } finally {
      await cluster.close();
    }
    assert.ok(cluster.nodes.every((node) => node.closed));
  });

  it('gives each cluster its own namespace, so concurrent clusters do not hear each other', async () => {
    const [a, b] = await Promise.all([createWarpCluster(), createWarpCluster()]);
    try {
      assert.notEqual(a.nodes[0].namespace, b.nodes[0].namespace);
      assert.equal(a.nodes[0].namespace, a.nodes[1].namespace);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('builds node i from perNode\'s parts over the shared ones: its own bus, store or cache', async () => {
    const ownBus = new MemoryBus();
    const stores = [new MemoryStore(), undefined];
    const cluster = await createWarpCluster({
      nodes: 2,
      keys: [{ key: 'user:*', mode: Mode.EventualDistributed }],
      perNode: (i) => ({ bus: ownBus.node(), store: stores[i] }),
    });
    try {
      assert.equal(cluster.views.length, 0, 'no node is on the cluster\'s MemoryBus');
      assert.equal(cluster.nodes[0].store, stores[0]);
      assert.equal(cluster.nodes[1].store, cluster.store, 'a part left undefined falls back to the shared one');
      await cluster.nodes[1].set('user:1', 'Ada');
      assert.equal(await cluster.nodes[0].get('user:1'), undefined, 'node 0 reads its own store');
      assert.equal(await cluster.nodes[1].get('user:1'), 'Ada');
    } finally {
      await cluster.close();
    }
  });

  it('closes the nodes it started when one option is invalid', async () => {
    await assert.rejects(createWarpCluster({ nodes: 2, heartbeatInterval: -1 }), { code: 'E_WARP_INVALID_OPTIONS' });
  });
});
