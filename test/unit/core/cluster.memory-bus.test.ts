import { MemoryBus, type MemoryBusNode } from '../../../lib/bus/memory.bus.js';
import { clusterBehaviour } from '../contracts/cluster.behaviour.js';

clusterBehaviour('the memory bus', () => {
  const shared = new MemoryBus();
  return {
    bus: () => shared.node(),
    cut: (bus) => (bus as MemoryBusNode).disconnect(),
    heal: (bus) => (bus as MemoryBusNode).reconnect(),
  };
});
