import { Transport } from '@nestjs/microservices';
import { TransportBus } from '../../lib/bus/transport.bus.js';
import type { SyncBus } from '../../lib/bus/sync-bus.interface.js';
import { clusterBehaviour } from '../unit/contracts/cluster.behaviour.js';
import { skipUnless } from '../helpers/services.js';
import { PartitionableBus } from '../helpers/partitionable.bus.js';

const transports = [
  { name: 'the Nest Redis transport', service: 'redis', options: { transport: Transport.REDIS, options: { host: '127.0.0.1', port: 6379 } } },
  { name: 'the Nest NATS transport', service: 'nats', options: { transport: Transport.NATS, options: { servers: ['nats://127.0.0.1:4222'] } } },
  { name: 'the Nest MQTT transport', service: 'mqtt', options: { transport: Transport.MQTT, options: { url: 'mqtt://127.0.0.1:1883' } } },
] as const;

for (const { name, service, options } of transports) {
  const skip = await skipUnless(service);
  clusterBehaviour(
    name,
    () => {
      const buses: SyncBus[] = [];
      return {
        bus: () => {
          const bus = new PartitionableBus(new TransportBus(options as never));
          buses.push(bus);
          return bus;
        },
        cut: (bus) => (bus as PartitionableBus).cut(),
        heal: (bus) => (bus as PartitionableBus).heal(),
        cleanup: async () => {
          await Promise.all(buses.map((bus) => bus.close()));
        },
      };
    },
    { skip },
  );
}
