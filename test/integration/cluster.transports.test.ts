import { Transport } from '@nestjs/microservices';
import { TransportBus } from '../../lib/bus/transport.bus.js';
import { clusterBehaviour } from '../unit/contracts/cluster.behaviour.js';
import { partitionableBuses } from '../helpers/bus-factories.js';
import { skipUnless } from '../helpers/services.js';

const transports = [
  { name: 'the Nest Redis transport', service: 'redis', options: { transport: Transport.REDIS, options: { host: '127.0.0.1', port: 6379 } } },
  { name: 'the Nest NATS transport', service: 'nats', options: { transport: Transport.NATS, options: { servers: ['nats://127.0.0.1:4222'] } } },
  { name: 'the Nest MQTT transport', service: 'mqtt', options: { transport: Transport.MQTT, options: { url: 'mqtt://127.0.0.1:1883' } } },
] as const;

for (const { name, service, options } of transports) {
  const skip = await skipUnless(service);
  // Each node's TransportBus sits in a PartitionableBus so the suite can cut one node off.
  clusterBehaviour(name, () => partitionableBuses(() => new TransportBus(options as never)), { skip });
}
