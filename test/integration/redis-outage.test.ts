import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { RedisBus } from '../../lib/bus/redis.bus.js';
import { MemoryCache } from '../../lib/cache/memory.cache.js';
import { RedisCache } from '../../lib/cache/redis.cache.js';
import { TieredCache } from '../../lib/cache/tiered.cache.js';
import { Mode } from '../../lib/common/mode.js';
import type { Warp } from '../../lib/engine/warp.js';
import { PrometheusWarpMetrics } from '../../lib/metrics/prometheus.metrics.js';
import { RedisStore } from '../../lib/store/redis.store.js';
import { WarpError } from '../../lib/common/warp.errors.js';
import { eventually } from '../helpers/deferred.js';
import { skipUnlessOnPath } from '../helpers/services.js';
import { metricValue } from '../helpers/prometheus-text.js';
import { redisOutageRun } from '../helpers/redis-outage-run.js';


const skip = await skipUnlessOnPath(['redis-server'], 'a private redis-server');

describe('a Redis outage under traffic (private redis-server killed and restarted)', { skip }, () => {
  const { redis, client: connect, factory, unhandled } = redisOutageRun();

  async function node(nodeId: string, registry: Registry): Promise<Warp> {
    // Fail commands after one reconnection attempt instead of queueing them for the whole outage.
    const client = connect({ maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    return factory.start({
      nodeId,
      namespace: 'outage',
      keys: [{ key: 'item:*', mode: Mode.EventualDistributed }],
      cache: new TieredCache(new MemoryCache(), new RedisCache(client, { prefix: 'outage:cache:' })),
      store: new RedisStore(client, { prefix: 'outage:store:' }),
      bus: new RedisBus(client),
      metrics: new PrometheusWarpMetrics({ registry }),
      storeTimeout: 300,
      failSafe: { grace: 60_000 },
      heartbeatInterval: 100,
    });
  }

  it('serves last known values during the outage, shows it in the metrics, and serves no stale value after recovery', async () => {
    const registryA = new Registry();
    const registryB = new Registry();
    const a = await node('outage-a', registryA);
    const b = await node('outage-b', registryB);
    await eventually(() => a.cluster.livePeers().length === 1 && b.cluster.livePeers().length === 1);
    await a.set('item:1', 'v1');
    // B reads once it heard the write: a read that overlaps the invalidation of the value it reads
    // neither caches nor remembers it (it cannot tell which is newer), and the invalidation leaves
    // with the shared-tier write, so in one process it lands while B's first read is in flight.
    await eventually(async () => metricValue(await registryB.metrics(), 'warp_invalidations_received_total') >= 1);
    assert.equal(await b.get('item:1'), 'v1');

    // Background traffic on both nodes during the outage: only WarpErrors may come out. It stops
    // in `finally`, so a failed assertion ends the test instead of leaving the loop spinning.
    const failures: unknown[] = [];
    let traffic = true;
    let i = 0;
    const loop = (async () => {
      while (traffic) {
        const warp = i++ % 2 === 0 ? a : b;
        await (i % 3 === 0 ? warp.set(`item:${i % 5}`, `t${i}`) : warp.get(`item:${i % 5}`)).catch((error: unknown) => {
          if (!(error instanceof WarpError)) failures.push(error);
        });
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    try {
      await redis().kill();
      await eventually(() => !a.cluster.connected && !b.cluster.connected, 10_000);
      // Cut off from the bus, each node dropped distributed keys from L1: reads go to the dead store
      // and are answered from the last known values.
      assert.equal(await b.get('item:1'), 'v1');
      await assert.rejects(a.set('item:1', 'lost'), { name: 'StoreError' }, 'writes fail loudly');
      const during = await registryB.metrics();
      assert.equal(metricValue(during, 'warp_bus_connected'), 0);
      assert.ok(metricValue(during, 'warp_failsafe_served_total', { pattern: 'item:*' }) >= 1);
      assert.ok(metricValue(during, 'warp_store_errors_total', { pattern: 'item:*', operation: 'read' }) >= 1);

      await redis().start(); // empty: no persistence
      await eventually(() => a.cluster.connected && b.cluster.connected, 15_000);
      await eventually(() => a.cluster.livePeers().length === 1 && b.cluster.livePeers().length === 1, 15_000);
    } finally {
      traffic = false;
      await loop;
    }

    await a.set('item:1', 'v2');
    assert.equal(await a.get('item:1'), 'v2');
    await eventually(async () => (await b.get('item:1')) === 'v2', 5000);
    for (let n = 0; n < 20; n++) assert.equal(await b.get('item:1'), 'v2', 'no stale value after recovery');
    assert.equal(metricValue(await registryB.metrics(), 'warp_bus_connected'), 1);

    assert.deepEqual(failures, [], 'traffic saw only WarpErrors');
    assert.deepEqual(unhandled, [], 'no unhandled rejection');
  });
});
