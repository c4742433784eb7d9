import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedisBus } from '../../lib/bus/redis.bus.js';
import { MemoryCache } from '../../lib/cache/memory.cache.js';
import { RedisCache } from '../../lib/cache/redis.cache.js';
import { TieredCache } from '../../lib/cache/tiered.cache.js';
import { Mode } from '../../lib/common/mode.js';
import type { Warp } from '../../lib/engine/warp.js';
import { WarpError } from '../../lib/common/warp.errors.js';
import { eventually } from '../helpers/deferred.js';
import { postgresTestRun } from '../helpers/postgres-test-run.js';
import { redisOutageRun } from '../helpers/redis-outage-run.js';
import { skipUnless, skipUnlessOnPath } from '../helpers/services.js';
import { PgKvStore } from '../helpers/store-adapters/pg-kv.store.js';

const STORE_TIMEOUT = 300;
/** What a request may take at worst during the outage: a strong write's lock round trip is bounded by the Redis command timeout. */
const REQUEST_BOUND = 2_500;

const skip = (await skipUnlessOnPath(['redis-server'], 'a private redis-server')) || (await skipUnless('postgres'));
const run = postgresTestRun('outage');

interface Sample {
  op: 'get' | 'set' | 'strong-set';
  phase: 'before' | 'outage' | 'after';
  ms: number;
  failed?: unknown;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/**
 * The issue's scenario: two nodes whose cache, bus and locks are on one Redis, with a healthy
 * PostgreSQL store behind them; Redis is SIGKILLed under traffic. The ioredis clients have their
 * DEFAULT options (offline queue, 20 retries per request): Warp alone must bound every request.
 */
describe('a Redis outage behind two nodes with a healthy PostgreSQL store (ioredis defaults)', { skip }, () => {
  const { redis, client: connect, factory, unhandled } = redisOutageRun();

  async function node(nodeId: string, store: PgKvStore): Promise<Warp> {
    const client = connect(); // ioredis defaults
    return factory.start({
      nodeId,
      namespace: 'outage-pg',
      keys: [
        { key: 'product:*', mode: Mode.EventualDistributed },
        { key: 'stock:*', mode: Mode.StrongDistributed },
      ],
      cache: new TieredCache(new MemoryCache(), new RedisCache(client, { prefix: 'outage-pg:cache:' })),
      store,
      bus: new RedisBus(client),
      storeTimeout: STORE_TIMEOUT,
      failSafe: { grace: 60_000 },
      heartbeatInterval: 100,
    });
  }

  it('answers every read within storeTimeout + 50 ms at p99 from PostgreSQL, hangs no request, and recovers', async () => {
    const store = new PgKvStore(run.pool(), run.freshTable());
    await store.createTable();
    const a = await node('outage-pg-a', store);
    const b = await node('outage-pg-b', store);
    await eventually(() => a.cluster.livePeers().length === 1 && b.cluster.livePeers().length === 1);
    for (let i = 0; i < 5; i++) await a.set(`product:${i}`, `p${i}`);
    await a.set('stock:1', 1);

    const samples: Sample[] = [];
    let phase: Sample['phase'] = 'before';
    let traffic = true;
    const timed = async (op: Sample['op'], work: () => Promise<unknown>): Promise<void> => {
      const at = phase;
      const started = performance.now();
      let failed: unknown;
      try {
        await work();
      } catch (error) {
        failed = error;
      }
      samples.push({ op, phase: at, ms: performance.now() - started, failed });
    };
    const worker = async (warp: Warp, seed: number): Promise<void> => {
      for (let i = seed; traffic; i++) {
        if (i % 10 === 0) await timed('strong-set', () => warp.set('stock:1', i));
        else if (i % 4 === 0) await timed('set', () => warp.set(`product:${i % 5}`, `v${i}`));
        else await timed('get', () => warp.get(`product:${i % 5}`));
      }
    };
    const workers = [worker(a, 0), worker(a, 1), worker(b, 2), worker(b, 3)];
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      phase = 'outage';
      await redis().kill();
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      phase = 'after';
      await redis().start(); // empty: no persistence
      await eventually(() => a.cluster.connected && b.cluster.connected, 15_000);
      await eventually(() => a.cluster.livePeers().length === 1 && b.cluster.livePeers().length === 1, 15_000);
    } finally {
      traffic = false;
      await Promise.all(workers);
    }

    const during = samples.filter((s) => s.phase === 'outage');
    const reads = during.filter((s) => s.op === 'get');
    const readP99 = percentile(reads.map((s) => s.ms), 99);
    const slowest = Math.max(...samples.map((s) => s.ms));
    const failedReads = reads.filter((s) => s.failed !== undefined);
    const eventualWrites = during.filter((s) => s.op === 'set');
    const strongWrites = during.filter((s) => s.op === 'strong-set');
    console.log(
      `outage: ${reads.length} reads p50 ${percentile(reads.map((s) => s.ms), 50).toFixed(1)} ms p99 ${readP99.toFixed(1)} ms, ` +
        `${failedReads.length} failed; ${eventualWrites.length} eventual writes (${eventualWrites.filter((s) => s.failed).length} failed), ` +
        `${strongWrites.length} strong writes (${strongWrites.filter((s) => s.failed).length} failed); slowest request ${slowest.toFixed(0)} ms`,
    );
    const slowestFive = [...samples].sort((x, y) => y.ms - x.ms).slice(0, 5);
    console.log(`slowest: ${slowestFive.map((s) => `${s.op}/${s.phase} ${s.ms.toFixed(0)} ms ${s.failed === undefined ? 'ok' : String(s.failed)}`).join('; ')}`);
    assert.ok(reads.length >= 50, `enough reads during the outage (${reads.length})`);
    assert.ok(readP99 <= STORE_TIMEOUT + 50, `read p99 ${readP99.toFixed(1)} ms ≤ storeTimeout + 50 ms`);
    assert.deepEqual(failedReads.map((s) => String(s.failed)), [], 'PostgreSQL answers every read');
    assert.ok(slowest <= REQUEST_BOUND, `no request hangs (slowest ${slowest.toFixed(0)} ms)`);
    assert.deepEqual(
      samples.filter((s) => s.failed !== undefined && !(s.failed instanceof WarpError)).map((s) => String(s.failed)),
      [],
      'only WarpErrors',
    );
    assert.ok(eventualWrites.some((s) => s.failed === undefined), 'eventual writes to the healthy store go on');

    // Recovery: a write on one node is read on the other.
    await a.set('product:1', 'recovered');
    await eventually(async () => (await b.get('product:1')) === 'recovered', 5_000);
    await a.set('stock:1', 'recovered');
    assert.equal(await b.get('stock:1'), 'recovered');
    assert.deepEqual(unhandled, [], 'no unhandled rejection');
  });
});
