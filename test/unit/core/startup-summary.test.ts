import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Transport } from '@nestjs/microservices';
import { Cluster, Redis } from 'ioredis';
import { RedisBus } from '../../../lib/bus/redis.bus.js';
import { TransportBus } from '../../../lib/bus/transport.bus.js';
import { MemoryCache } from '../../../lib/cache/memory.cache.js';
import { RedisCache } from '../../../lib/cache/redis.cache.js';
import { TieredCache } from '../../../lib/cache/tiered.cache.js';
import { Mode } from '../../../lib/common/mode.js';
import { describeStartup } from '../../../lib/engine/startup-summary.js';
import { RedisLocker } from '../../../lib/lock/redis.locker.js';
import { RedisStore } from '../../../lib/store/redis.store.js';
import { Warp } from '../../../lib/engine/warp.js';
import type { WarpOptions } from '../../../lib/interfaces/warp-options.interface.js';
import { RecordingLogger } from '../../helpers/warp-factory.js';

// Clients that never connect, engines never started nor closed (closing says goodbye on the
// bus, which would connect): the summary reads options only.
const lazy = (options: object) => new Redis({ lazyConnect: true, ...options });
const factory = { create: (options: WarpOptions = {}) => new Warp({ logger: new RecordingLogger(), ...options }) };

describe('the startup line', () => {
  const clients: Array<Redis | Cluster> = [];
  after(() => clients.forEach((client) => client.disconnect()));

  it('names the Redis endpoints of the bus, each cache tier and the store', () => {
    const cacheClient = lazy({ host: 'cache.internal', port: 6380 });
    const busClient = lazy({ host: 'bus.internal', port: 6381 });
    clients.push(cacheClient, busClient);
    const warp = factory.create({
      nodeId: 'api-1',
      namespace: 'shop',
      cache: new TieredCache(new MemoryCache({ sweepIntervalMs: 0 }), new RedisCache(cacheClient)),
      store: new RedisStore(cacheClient),
      bus: new RedisBus(busClient),
      locks: new RedisLocker(cacheClient),
      keys: [{ key: 'product:*', mode: Mode.EventualDistributed }],
    });
    assert.equal(
      describeStartup(warp),
      `Warp started: node api-1 (incarnation ${warp.incarnation}), namespace "shop", bus RedisBus (bus.internal:6381), ` +
        'cache TieredCache (L1 MemoryCache, L2 RedisCache (cache.internal:6380)), store RedisStore (cache.internal:6380), ' +
        'locker RedisLocker (cache.internal:6380), 1 key registration',
    );
  });

  it('names a Nest transport bus by transport and endpoint, a Cluster by its startup nodes, and a process-local locker', () => {
    const cluster = new Cluster([{ host: 'r1', port: 7000 }, 'r2:7001'], { lazyConnect: true });
    clients.push(cluster);
    const warp = factory.create({
      cache: new RedisCache(cluster),
      bus: new TransportBus({ transport: Transport.NATS, options: { servers: ['nats://n1:4222', 'nats://n2:4222'] } }),
    });
    const line = describeStartup(warp);
    assert.match(line, /bus TransportBus \(NATS nats:\/\/n1:4222, nats:\/\/n2:4222\)/);
    assert.match(line, /cache RedisCache \(cluster r1:7000, r2:7001\)/);
    assert.match(line, /locker RedisLocker \(cluster r1:7000, r2:7001\), 0 key registrations$/);
    const local = factory.create({ bus: new TransportBus({ transport: Transport.MQTT, options: { url: 'mqtt://broker:1883' } }) });
    assert.match(describeStartup(local), /bus TransportBus \(MQTT mqtt:\/\/broker:1883\), cache MemoryCache, store MemoryStore, locker MemoryLocker \(this process only\)/);
  });

  it('gives each engine its own incarnation, stamped on its bus messages', () => {
    const [a, b] = [factory.create(), factory.create({ nodeId: 'same' })];
    assert.notEqual(a.incarnation, b.incarnation);
    assert.match(a.incarnation, /^[0-9a-f]{16}$/);
  });
});
