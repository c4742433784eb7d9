import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis, type RedisOptions } from 'ioredis';
import { RedisBus } from '../../../lib/bus/redis.bus.js';
import { MemoryCache } from '../../../lib/cache/memory.cache.js';
import { RedisCache } from '../../../lib/cache/redis.cache.js';
import { TieredCache } from '../../../lib/cache/tiered.cache.js';
import { describeRedisClientWarnings } from '../../../lib/engine/startup-summary.js';
import { Warp } from '../../../lib/engine/warp.js';
import { redisClientWarnings } from '../../../lib/redis/client-checks.js';

/** A client that never connects (lazyConnect, never used): only its options are read. */
function client(options: RedisOptions): Redis {
  return new Redis({ lazyConnect: true, port: 6390, ...options });
}

describe('warnings about the ioredis clients Warp is given', () => {
  it('flags a client that would queue commands for a whole outage, and one without an error listener', () => {
    const queueing = client({ maxRetriesPerRequest: null });
    queueing.on('error', () => undefined);
    assert.match(redisClientWarnings(queueing).join('\n'), /localhost:6390 queues commands .* set maxRetriesPerRequest/);
    const silent = client({ maxRetriesPerRequest: 1 });
    assert.deepEqual(redisClientWarnings(silent).length, 1);
    assert.match(redisClientWarnings(silent)[0]!, /no 'error' listener/);
  });

  it('accepts a client with bounded retries, a command timeout or no offline queue, and an error listener', () => {
    const accepted: RedisOptions[] = [{}, { maxRetriesPerRequest: 1 }, { maxRetriesPerRequest: null, commandTimeout: 500 }, { maxRetriesPerRequest: null, enableOfflineQueue: false }];
    for (const options of accepted) {
      const ok = client(options);
      ok.on('error', () => undefined);
      assert.deepEqual(redisClientWarnings(ok), [], JSON.stringify(options));
    }
  });

  it('finds each client once across the cache tiers, store, bus and locker of an engine', () => {
    const shared = client({ maxRetriesPerRequest: null });
    const warp = new Warp({ cache: new TieredCache(new MemoryCache(), new RedisCache(shared)), bus: new RedisBus(shared), logger: { log() {}, warn() {}, error() {} } });
    const warnings = describeRedisClientWarnings(warp);
    assert.equal(warnings.length, 2, warnings.join('\n')); // one client, two problems, said once
    assert.ok(warnings.every((warning) => warning.startsWith('Warp: the ioredis client for localhost:6390')));
  });
});
