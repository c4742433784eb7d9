import type { WarpBus } from '../../lib/bus/bus.interface.js';
import type { ClusterBusFactory } from '../unit/contracts/cluster.behaviour.js';
import type { BusPair } from '../../lib/testing/bus.contract.js';
import { PartitionableBus } from './partitionable.bus.js';

/** Anything a test opened beside a bus and must close after it (an ioredis client). */
interface Closable {
  quit(): Promise<unknown>;
}

/**
 * A `BusPair` of two buses, each on its own client: `cleanup` closes both buses, then the
 * clients (the buses never close a client they were given).
 *
 * @example
 * busContract('RedisBus', async () => busPairOnClients(() => new Redis(), (client) => new RedisBus(client)));
 */
export function busPairOnClients<C extends Closable>(connect: () => C, makeBus: (client: C) => WarpBus): BusPair {
  const clients = [connect(), connect()];
  const [a, b] = clients.map(makeBus);
  return {
    a,
    b,
    cleanup: async () => {
      await Promise.all([a.close(), b.close()]);
      await Promise.all(clients.map((client) => client.quit()));
    },
  };
}

/**
 * A cluster-behaviour factory whose buses are wrapped in a `PartitionableBus`, so the suite can cut
 * a node off and heal it; `cleanup` closes every bus it made.
 */
export function partitionableBuses(makeBus: () => WarpBus): ClusterBusFactory {
  const buses: PartitionableBus[] = [];
  return {
    bus: () => {
      const bus = new PartitionableBus(makeBus());
      buses.push(bus);
      return bus;
    },
    cut: (bus) => (bus as PartitionableBus).cut(),
    heal: (bus) => (bus as PartitionableBus).heal(),
    cleanup: async () => {
      await Promise.all(buses.map((bus) => bus.close()));
    },
  };
}
