// The peer range is `ioredis ^5.4 || ^6`: the Redis backends' contract suites, run here on
// clients of ioredis 5 (the `ioredis5` devDependency alias), as the other integration files run
// them on ioredis 6. The clients are typed as v5 too, so this file also checks that a v5 client
// type-checks where Warp takes one, while Warp's own types come from ioredis 6.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { Redis as Redis5, type RedisOptions as Redis5Options } from 'ioredis5';
import { RedisBus } from '../../lib/bus/redis.bus.js';
import { RedisCache } from '../../lib/cache/redis.cache.js';
import { RedisLocker } from '../../lib/lock/redis.locker.js';
import { RedisStore } from '../../lib/store/redis.store.js';
import { busPairOnClients } from '../helpers/bus-factories.js';
import { checkRecoveryFromKilledConnections } from '../helpers/redis-connections.js';
import { redisBackendVariants, redisTestRun } from '../helpers/redis-test-run.js';
import { SERVICES, skipUnless } from '../helpers/services.js';
import { cacheContract } from '../../lib/testing/cache.contract.js';
import { lockerContract } from '../../lib/testing/locker.contract.js';
import { storeContract } from '../../lib/testing/store.contract.js';
import { busContract } from '../../lib/testing/bus.contract.js';

const skip = await skipUnless('redis');
const run = redisTestRun('ioredis5');
const connect5 = (options: Redis5Options = {}): Redis5 => run.track(new Redis5({ ...SERVICES.redis, ...options }));

describe('the ioredis 5 alias', { skip }, () => {
  it('is a 5.x client, so the suites below do not silently run on ioredis 6', () => {
    const { version } = createRequire(import.meta.url)('ioredis5/package.json') as { version: string };
    assert.match(version, /^5\./);
  });
});

for (const { label, make } of redisBackendVariants(run, connect5)) {
  cacheContract(`RedisCache on ioredis 5${label}`, () => {
    const { client, ...options } = make();
    return new RedisCache(client, options);
  }, { skip });
  storeContract(`RedisStore on ioredis 5${label}`, () => {
    const { client, ...options } = make();
    return new RedisStore(client, options);
  }, { skip });
}

let lockerClient: Redis5 | undefined;
lockerContract('RedisLocker on ioredis 5', () => new RedisLocker((lockerClient ??= connect5()), { prefix: `${run.freshPrefix()}lock:` }), { skip });

busContract('RedisBus on ioredis 5', async () => busPairOnClients(() => new Redis5(SERVICES.redis), (client) => new RedisBus(client)), { skip });

describe('RedisBus on ioredis 5', { skip }, () => {
  it('reports a killed subscriber connection as disconnected, resubscribes, reports connected, and delivers again', async () => {
    const name = `warp-bus-test-${randomUUID()}`;
    const bus = new RedisBus(connect5(), { connectionName: name });
    const publisher = new RedisBus(connect5());
    try {
      await checkRecoveryFromKilledConnections({ bus, publisher, admin: run.client(), name, connections: 1 });
    } finally {
      await Promise.all([bus.close(), publisher.close()]);
    }
  });
});
