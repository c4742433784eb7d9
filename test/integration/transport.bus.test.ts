import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { Redis } from 'ioredis';
import { MemoryBus } from '../../lib/bus/memory.bus.js';
import { isTransportBusOptions, TransportBus, type TransportBusOptions } from '../../lib/bus/transport.bus.js';
import { BusError, InvalidOptionsError } from '../../lib/common/warp.errors.js';
import { BusInbox } from '../../lib/testing/bus-inbox.js';
import { checkRecoveryFromKilledConnections } from '../helpers/redis-connections.js';
import { SERVICES, skipUnless } from '../helpers/services.js';
import { busContract } from '../../lib/testing/bus.contract.js';

const TRANSPORTS: Array<{ label: string; service: 'redis' | 'nats' | 'mqtt'; options: () => TransportBusOptions }> = [
  {
    label: 'Transport.REDIS',
    service: 'redis',
    options: () => ({ transport: Transport.REDIS, options: { ...SERVICES.redis } }),
  },
  {
    label: 'Transport.NATS',
    service: 'nats',
    options: () => ({ transport: Transport.NATS, options: { servers: [`nats://${SERVICES.nats.host}:${SERVICES.nats.port}`] } }),
  },
  {
    label: 'Transport.MQTT',
    service: 'mqtt',
    options: () => ({ transport: Transport.MQTT, options: { url: `mqtt://${SERVICES.mqtt.host}:${SERVICES.mqtt.port}` } }),
  },
];

// The Nest transports log every (re)connection; keep the test output to warnings and errors.
Logger.overrideLogger(['error', 'warn']);

const skips = {
  redis: await skipUnless('redis'),
  nats: await skipUnless('nats'),
  mqtt: await skipUnless('mqtt'),
};

for (const { label, service, options } of TRANSPORTS) {
  busContract(
    `TransportBus over ${label}`,
    async () => {
      const a = new TransportBus(options());
      const b = new TransportBus(options());
      return { a, b, cleanup: async () => void (await Promise.all([a.close(), b.close()])) };
    },
    { skip: skips[service] },
  );

  describe(`TransportBus over ${label}`, { skip: skips[service] }, () => {
    it('publishes through a ClientProxy it was given, and leaves it open on close', async () => {
      const client = ClientProxyFactory.create(options() as never) as unknown as ClientProxy;
      const sender = new TransportBus({ ...options(), client });
      const receiver = new TransportBus(options());
      const channel = `warp.test-${randomUUID().slice(0, 8)}.sync`;
      const inbox = new BusInbox();
      try {
        await receiver.subscribe(channel, inbox.handler);
        await sender.publish(channel, Buffer.from('via the given client'));
        assert.equal((await inbox.take(1))[0].toString(), 'via the given client');
        await sender.close();
        const direct = new BusInbox();
        await receiver.subscribe(channel, direct.handler);
        await new Promise<void>((resolve, reject) => client.emit(channel, Buffer.from('still open').toString('base64')).subscribe({ error: reject, complete: resolve }));
        assert.equal((await direct.take(1))[0].toString(), 'still open');
      } finally {
        await Promise.all([sender.close(), receiver.close(), client.close()]);
      }
    });

    it('delivers to every node subscribed to a channel, never to just one of them', async () => {
      const nodes = [new TransportBus(options()), new TransportBus(options()), new TransportBus(options())];
      const channel = `warp.test-${randomUUID().slice(0, 8)}.sync`;
      const inboxes = nodes.map(() => new BusInbox());
      try {
        await Promise.all(nodes.map((bus, i) => bus.subscribe(channel, inboxes[i].handler)));
        for (let i = 0; i < 10; i++) await nodes[0].publish(channel, Buffer.from(String(i)));
        for (const inbox of inboxes) assert.equal((await inbox.take(10)).length, 10);
      } finally {
        await Promise.all(nodes.map((bus) => bus.close()));
      }
    });
  });
}

describe('TransportBus over Transport.REDIS, connection loss', { skip: skips.redis }, () => {
  it('reports the killed connections as disconnected, then connected once resubscribed, and delivers again', async () => {
    const name = `warp-transport-test-${randomUUID()}`;
    const bus = new TransportBus({
      transport: Transport.REDIS,
      options: { ...SERVICES.redis, connectionName: name, retryDelay: 50 },
    });
    const publisher = new TransportBus({ transport: Transport.REDIS, options: { ...SERVICES.redis } });
    const admin = new Redis(SERVICES.redis);
    try {
      // The Nest Redis server strategy and client each open a publisher and a subscriber.
      await checkRecoveryFromKilledConnections({ bus, publisher, admin, name, connections: 4 });
    } finally {
      await Promise.all([bus.close(), publisher.close()]);
      await admin.quit();
    }
  });
});

describe('TransportBus options', () => {
  it('recognises transport options and tells them from bus instances', () => {
    assert.equal(isTransportBusOptions({ transport: Transport.NATS, options: {} }), true);
    assert.equal(isTransportBusOptions({ transport: Transport.REDIS }), true);
    assert.equal(isTransportBusOptions(new MemoryBus()), false);
    assert.equal(isTransportBusOptions({ options: {} }), false);
    assert.equal(isTransportBusOptions(undefined), false);
    assert.equal(isTransportBusOptions('redis'), false);
  });

  it('rejects transports other than Redis, NATS and MQTT with InvalidOptionsError', () => {
    for (const transport of [Transport.TCP, Transport.RMQ, Transport.KAFKA, Transport.GRPC, 42]) {
      assert.throws(() => new TransportBus({ transport } as unknown as TransportBusOptions), InvalidOptionsError);
    }
  });

  it('rejects connect with BusError when the broker cannot be reached', async () => {
    const bus = new TransportBus({ transport: Transport.NATS, options: { servers: ['nats://127.0.0.1:1'], maxReconnectAttempts: 0 } });
    await assert.rejects(bus.connect(), BusError);
    assert.equal(bus.connected, false);
    await bus.close();
    await assert.rejects(bus.publish('warp.x.y', Buffer.from('x')), BusError);
  });
});

describe('TransportBus over Transport.REDIS receiving frames that are not its own', { skip: skips.redis }, () => {
  it('never answers a request-shaped frame (one with an id), and still delivers it as an event', async () => {
    const channel = `warp.reflect-${randomUUID().slice(0, 8)}.sync`;
    const bus = new TransportBus({ transport: Transport.REDIS, options: { ...SERVICES.redis } });
    const listener = new Redis(SERVICES.redis);
    const publisher = new Redis(SERVICES.redis);
    try {
      await bus.connect();
      const delivered: string[] = [];
      await bus.subscribe(channel, (payload) => delivered.push(Buffer.from(payload).toString()));
      const replies: string[] = [];
      await listener.subscribe(`${channel}.reply`);
      listener.on('message', (_channel, message) => replies.push(message));
      const frame = { pattern: channel, data: Buffer.from('hello').toString('base64'), id: 'forged-request' };
      await publisher.publish(channel, JSON.stringify(frame));
      const deadline = Date.now() + 1_000;
      while (delivered.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 100)); // a reply, if any, would have left by now
      assert.deepEqual(delivered, ['hello']);
      assert.deepEqual(replies, []);
    } finally {
      await bus.close();
      listener.disconnect();
      publisher.disconnect();
    }
  });
});
