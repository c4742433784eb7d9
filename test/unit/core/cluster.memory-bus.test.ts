import { MemoryBus, type MemoryBusNode } from '../../../lib/bus/memory.bus.js';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Mode } from '../../../lib/common/mode.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { NOOP_METRICS } from '../../../lib/metrics/warp-metrics.interface.js';
import { eventually } from '../../helpers/deferred.js';
import { WarpFactory } from '../../helpers/warp-factory.js';
import { clusterBehaviour } from '../contracts/cluster.behaviour.js';

clusterBehaviour('the memory bus', () => {
  const shared = new MemoryBus();
  return {
    bus: () => shared.node(),
    cut: (bus) => (bus as MemoryBusNode).disconnect(),
    heal: (bus) => (bus as MemoryBusNode).reconnect(),
  };
});

describe('cluster membership with a shared secret', () => {
  const factory = new WarpFactory();
  after(() => factory.closeAll());

  it('ignores a node that signs with another secret and counts its dropped messages', async () => {
    const bus = new MemoryBus();
    const dropped: string[] = [];
    const metrics = { ...NOOP_METRICS, busDropped: (reason: string) => dropped.push(reason) };
    const keys = [{ key: 'k', mode: Mode.StrongDistributed }];
    const common = { namespace: 'signed', keys, heartbeatInterval: 50, store: new MemoryStore() };
    const a = await factory.start({ ...common, nodeId: 'a', bus: bus.node(), secret: 's3cret', metrics });
    const b = await factory.start({ ...common, nodeId: 'b', bus: bus.node(), secret: 's3cret' });
    const intruder = await factory.start({ ...common, nodeId: 'x', bus: bus.node(), secret: 'other' });
    await eventually(() => a.cluster.livePeers().includes('b') && dropped.includes('bad-signature'));
    assert.deepEqual(a.cluster.livePeers(), ['b']);
    await a.set('k', 1);
    assert.equal(await b.get('k'), 1);
    assert.deepEqual(intruder.cluster.livePeers(), []);
  });

  it('ignores nodes of another namespace on the same bus', async () => {
    const bus = new MemoryBus();
    const a = await factory.start({ namespace: 'one', nodeId: 'a', bus: bus.node(), heartbeatInterval: 50 });
    await factory.start({ namespace: 'two', nodeId: 'b', bus: bus.node(), heartbeatInterval: 50 });
    const c = await factory.start({ namespace: 'one', nodeId: 'c', bus: bus.node(), heartbeatInterval: 50 });
    await eventually(() => a.cluster.livePeers().includes('c'));
    await new Promise((r) => setTimeout(r, 120));
    assert.deepEqual(a.cluster.livePeers(), ['c']);
    assert.deepEqual(c.cluster.livePeers(), ['a']);
  });
});
