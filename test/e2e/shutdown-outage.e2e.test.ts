import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { Transport } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { Redis, type RedisOptions } from 'ioredis';
import { MemoryCache, Mode, RedisBus, RedisCache, TieredCache, WarpModule, type WarpModuleOptions } from '../../lib/index.js';
import { PrivateBroker, type BrokerKind } from '../helpers/private-broker.js';
import { RecordingLogger } from '../helpers/warp-factory.js';
import { skipUnlessOnPath } from '../helpers/services.js';

/** The documented bound (`shutdownTimeout`, default 2000 ms) and what the test allows on top of it. */
const SHUTDOWN_BOUND_MS = 2_000 + 500;

const skip = await skipUnlessOnPath(['redis-server', 'nats-server', 'mosquitto'], 'private redis-server, nats-server and mosquitto');

interface Case {
  name: string;
  broker: BrokerKind;
  options(broker: PrivateBroker, clients: Redis[]): Partial<WarpModuleOptions>;
}

function redisClient(broker: PrivateBroker, clients: Redis[], extra: RedisOptions = {}): Redis {
  const client = new Redis({ host: broker.host, port: broker.port, ...extra });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

const CASES: Case[] = [
  {
    name: 'RedisBus and RedisCache on an ioredis client with its defaults',
    broker: 'redis',
    options: (broker, clients) => {
      const client = redisClient(broker, clients);
      return { bus: new RedisBus(client), cache: new TieredCache(new MemoryCache(), new RedisCache(client)) };
    },
  },
  {
    name: 'RedisBus on an ioredis client with maxRetriesPerRequest: 1',
    broker: 'redis',
    options: (broker, clients) => ({ bus: new RedisBus(redisClient(broker, clients, { maxRetriesPerRequest: 1 })) }),
  },
  {
    name: 'the Nest Redis transport',
    broker: 'redis',
    options: (broker) => ({ bus: { transport: Transport.REDIS, options: { host: broker.host, port: broker.port } } }),
  },
  {
    name: 'the Nest NATS transport',
    broker: 'nats',
    options: (broker) => ({ bus: { transport: Transport.NATS, options: { servers: [`nats://${broker.host}:${broker.port}`] } } }),
  },
  {
    name: 'the Nest MQTT transport',
    broker: 'mqtt',
    options: (broker) => ({ bus: { transport: Transport.MQTT, options: { url: `mqtt://${broker.host}:${broker.port}` } } }),
  },
];

describe('app.close() is bounded whatever the state of the bus broker', { skip }, () => {
  const clients: Redis[] = [];
  after(() => {
    for (const client of clients) client.disconnect();
  });

  for (const testCase of CASES) {
    it(`finishes within shutdownTimeout when the broker died 300 ms before: ${testCase.name}`, async () => {
      const broker = await PrivateBroker.start(testCase.broker);
      const logger = new RecordingLogger();
      let app: INestApplication | undefined;
      try {
        const moduleRef = await Test.createTestingModule({
          imports: [
            WarpModule.forRoot({
              namespace: 'shutdown-outage',
              keys: [{ key: 'item:*', mode: Mode.StrongLocal }], // no distributed key: no cluster-wide locker needed
              heartbeatInterval: 100,
              logger,
              ...testCase.options(broker, clients),
            } as WarpModuleOptions),
          ],
        }).compile();
        app = moduleRef.createNestApplication({ logger: false });
        await app.init();
        await broker.kill();
        await new Promise((resolve) => setTimeout(resolve, 300));
        const started = performance.now();
        await app.close();
        const took = performance.now() - started;
        console.log(`app.close() with the ${testCase.broker} broker dead (${testCase.name}): ${took.toFixed(0)} ms`);
        assert.ok(took <= SHUTDOWN_BOUND_MS, `app.close() took ${took.toFixed(0)} ms`);
      } finally {
        await broker.kill();
      }
    });
  }
});
