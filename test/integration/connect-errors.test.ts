import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import { Transport } from '@nestjs/microservices';
import { Redis } from 'ioredis';
import { RedisBus } from '../../lib/bus/redis.bus.js';
import { TransportBus, type TransportBusOptions } from '../../lib/bus/transport.bus.js';
import { BusError } from '../../lib/common/warp.errors.js';

// Nest's transports log each failed attempt as an error; the assertions read the BusError instead.
Logger.overrideLogger(false);

/** Asserts a BusError whose message names the endpoint and the socket's own error, and keeps it as cause. */
function namesItsCause(endpoint: string, cause: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof BusError, `expected a BusError, got ${String(error)}`);
    assert.ok(error.message.includes(endpoint), `"${error.message}" names ${endpoint}`);
    assert.match(error.message, cause);
    assert.ok(error.cause instanceof Error);
    return true;
  };
}

// Nothing listens on port 1 of the loopback: connecting is refused at once, no service needed.
describe('a bus that cannot connect names where and why', () => {
  const clients: Redis[] = [];
  after(() => clients.forEach((client) => client.disconnect()));

  it('RedisBus: host:port and ECONNREFUSED, not only "Connection is closed."', async () => {
    const client = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, retryStrategy: () => null });
    clients.push(client);
    const bus = new RedisBus(client);
    await assert.rejects(bus.connect(), namesItsCause('127.0.0.1:1', /ECONNREFUSED/));
    await bus.close();
  });

  it('RedisBus: an unknown host is named with the resolver error', async () => {
    const client = new Redis({ host: 'warp-no-such-host.invalid', port: 6390, lazyConnect: true, retryStrategy: () => null });
    clients.push(client);
    const bus = new RedisBus(client);
    await assert.rejects(bus.connect(), namesItsCause('warp-no-such-host.invalid:6390', /ENOTFOUND|EAI_AGAIN/));
    await bus.close();
  });

  const transports: Array<[string, TransportBusOptions, string, RegExp]> = [
    ['REDIS', { transport: Transport.REDIS, options: { host: '127.0.0.1', port: 1 } }, '127.0.0.1:1', /ECONNREFUSED/],
    ['NATS', { transport: Transport.NATS, options: { servers: ['nats://127.0.0.1:1'], maxReconnectAttempts: 0 } }, 'nats://127.0.0.1:1', /refused/i],
  ];
  for (const [name, options, endpoint, cause] of transports) {
    it(`TransportBus over ${name}: the transport, its endpoint and the underlying error`, async () => {
      const bus = new TransportBus(options);
      await assert.rejects(bus.connect(), (error: unknown) => namesItsCause(endpoint, cause)(error) && error instanceof Error && error.message.includes(name));
      await bus.close();
    });
  }

  it('TransportBus over MQTT: an unreachable broker fails start-up with a BusError within 5 s instead of never calling back', async () => {
    const bus = new TransportBus({ transport: Transport.MQTT, options: { url: 'mqtt://127.0.0.1:1' } });
    const started = performance.now();
    await assert.rejects(bus.connect(), (error: unknown) => {
      assert.ok(error instanceof BusError, String(error));
      assert.match(error.message, /MQTT bus transport failed to connect to mqtt:\/\/127\.0\.0\.1:1: no connection within 5000 ms/);
      return true;
    });
    assert.ok(performance.now() - started < 6_000);
    await bus.close();
  });
});
