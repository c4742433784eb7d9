import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import {
  MemoryCache,
  Mode,
  RedisBus,
  RedisCache,
  RedisLocker,
  RedisStore,
  TieredCache,
  WarpModule,
  WarpService,
} from '../../lib/index.js';
import { eventually } from '../helpers/deferred.js';
import { deleteKeysWithPrefix } from '../helpers/redis-cleanup.js';
import { SERVICES, skipUnless } from '../helpers/services.js';

const skip = await skipUnless('redis');

/** Handles that keep a process alive (sockets, timers...), counted by type. */
function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

function added(baseline: Map<string, number>): string[] {
  const extra: string[] = [];
  for (const [type, count] of activeResources()) {
    if (count > (baseline.get(type) ?? 0)) extra.push(`${type} x${count - (baseline.get(type) ?? 0)}`);
  }
  return extra;
}

describe('graceful shutdown of a Nest app on Redis (RedisBus, RedisCache, RedisStore, RedisLocker)', { skip }, () => {
  const prefix = `warp-test:shutdown:${randomUUID()}:`;
  // What a failed test left open (apps, clients): closed here, so a failure ends the file instead
  // of keeping its event loop alive until the runner's timeout.
  const leftOpen: Array<() => Promise<unknown>> = [];
  after(async () => {
    await Promise.allSettled(leftOpen.splice(0).map((close) => close()));
    const cleaner = new Redis({ ...SERVICES.redis });
    await deleteKeysWithPrefix(cleaner, prefix);
    await cleaner.quit();
  });

  async function node(client: Redis, nodeId: string): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        WarpModule.forRoot({
          nodeId,
          namespace: `shutdown-${prefix.slice(-8, -1)}`,
          keys: [
            { key: 'item:*', mode: Mode.EventualDistributed, ttl: 60_000 },
            { key: 'strong:*', mode: Mode.StrongDistributed },
          ],
          cache: new TieredCache(new MemoryCache(), new RedisCache(client, { prefix: `${prefix}cache:` })),
          store: new RedisStore(client, { prefix: `${prefix}store:` }),
          bus: new RedisBus(client),
          locks: new RedisLocker(client, { prefix: `${prefix}lock:` }),
          validator: { mode: 'alert', interval: 50 },
          failSafe: { grace: 1000 },
          storeTimeout: 1000,
          metrics: true,
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  }

  it('leaves no socket or timer behind after app.close(), having flushed its pending invalidations', async () => {
    // The service probe's socket may still be closing: start from a process with no socket at all.
    await eventually(() => !process.getActiveResourcesInfo().some((type) => type === 'TCPSocketWrap' || type === 'ConnectWrap'));
    const baseline = activeResources();
    const clientA = new Redis({ ...SERVICES.redis });
    const clientB = new Redis({ ...SERVICES.redis });
    leftOpen.push(async () => clientA.disconnect(), async () => clientB.disconnect());
    const a = await node(clientA, 'shutdown-a');
    leftOpen.unshift(() => a.close());
    const b = await node(clientB, 'shutdown-b');
    leftOpen.unshift(() => b.close());
    const warpA = a.get(WarpService);
    const warpB = b.get(WarpService);
    await eventually(() => warpA.engine.cluster.livePeers().length === 1 && warpB.engine.cluster.livePeers().length === 1, 15_000);

    // Traffic: writes, reads, read-through, strong writes acknowledged by the peer, locks.
    for (let i = 0; i < 20; i++) await warpA.set(`item:${i}`, { i });
    for (let i = 0; i < 20; i++) assert.deepEqual(await warpB.get(`item:${i}`), { i });
    assert.equal(await warpB.getOrSet('item:loaded', async () => 'loaded'), 'loaded');
    await warpA.set('strong:1', 1);
    assert.equal(await warpB.get('strong:1'), 1);
    await warpA.withLock('job', async () => warpB.getMany(['item:1', 'item:2']));
    await warpB.validator.runOnce();

    // A write whose invalidation is still queued (batched) when the app closes.
    assert.deepEqual(await warpB.get('item:0'), { i: 0 });
    await warpA.set('item:0', { i: 'new' });
    await a.close();
    // The invalidation reached b: its old copy is gone (a refill with the new value, e.g. by a
    // validator pass, is as good as the eviction; only the old value means a lost invalidation).
    const oldCopyGone = () => (warpB.engine.cache.peek!('item:0')?.value as { i: unknown } | undefined)?.i !== 0;
    await eventually(oldCopyGone).catch(() => {
      assert.fail(`b still holds the old item:0 in its local tier 5 s after a.close(): ${JSON.stringify(warpB.engine.cache.peek!('item:0'))}`);
    });
    assert.deepEqual(await warpB.get('item:0'), { i: 'new' });
    await b.close();

    // The user owns the clients: Warp closed only what it opened (its subscriber connections).
    assert.equal(clientA.status, 'ready');
    await Promise.all([clientA.quit(), clientB.quit()]);
    leftOpen.length = 0; // all closed
    await eventually(() => added(baseline).length === 0, 5000).catch(() => undefined);
    assert.deepEqual(added(baseline), [], `handles left open: ${JSON.stringify(process.getActiveResourcesInfo())}`);
  });
});
