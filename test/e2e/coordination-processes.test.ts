import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Lease } from '../../lib/index.js';
import { eventually } from '../helpers/deferred.js';
import { NodeProcess, startNodeCluster, stopNodeCluster } from '../helpers/node-process.js';
import { skipUnless } from '../helpers/services.js';

const skip = await skipUnless('redis');
const script = fileURLToPath(new URL('./fixtures/coordination-node.js', import.meta.url));

type Taken = { events: Array<{ topic: string; payload: string; origin: string; seq: number }>; dropped: number };

for (const busKind of ['redis', 'transport'] as const) {
  describe(`leases and the watch bus across three processes on Redis (${busKind === 'redis' ? 'RedisBus' : 'Nest Redis transport'})`, { skip }, () => {
    const namespace = `e2e-coord-${busKind}-${randomUUID().slice(0, 8)}`;
    let nodes: NodeProcess[] = [];

    before(async () => {
      nodes = await startNodeCluster(script, namespace, busKind);
    });

    after(async () => {
      await stopNodeCluster(nodes, namespace);
    });

    /**
     * Every process reads `key`, so each holds `value` in its local tier. Values are put in the
     * store directly: a `set` would send an eventual invalidation that could land after the reads.
     */
    async function cacheEverywhere(key: string, value: unknown): Promise<void> {
      for (const node of nodes) {
        assert.equal(await node.call('get', key), value);
        // A node whose heartbeat echo is late (a busy machine) reads through without caching: read again.
        await eventually(async () => (await node.call('get', key), await node.call<boolean>('cachedLocally', key)), 10_000).catch(() => {
          assert.fail(`${key} never cached on ${node.name}`);
        });
      }
    }

    it('invalidates the keys of a lease revoked on process A on process B', async () => {
      const [a, b] = nodes as [NodeProcess, NodeProcess, NodeProcess];
      await a.call('storeSet', 'ev:lease', 'v1');
      await a.call('storeSet', 'local:lease', 'v1');
      await cacheEverywhere('ev:lease', 'v1');
      await cacheEverywhere('local:lease', 'v1');
      const lease = await a.call<Lease>('grantLease', 60_000);
      await a.call('attachKey', lease.id, 'ev:lease');
      await a.call('attachKey', lease.id, 'local:lease'); // StrongLocal: only the lease message reaches B
      await eventually(() => b.call<boolean>('leaseKnown', lease.id), 10_000);
      await a.call('storeSet', 'ev:lease', 'v2');
      await a.call('storeSet', 'local:lease', 'v2');
      await a.call('revokeLease', lease.id);
      for (const node of nodes) {
        await eventually(async () => !(await node.call<boolean>('cachedLocally', 'ev:lease')) && !(await node.call<boolean>('cachedLocally', 'local:lease')), 10_000);
        assert.equal(await node.call('get', 'ev:lease'), 'v2', `ev:lease on ${node.name}`);
        assert.equal(await node.call('get', 'local:lease'), 'v2', `local:lease on ${node.name}`);
        assert.equal(await node.call('leaseKnown', lease.id), false);
      }
      await assert.rejects(b.call('renewLease', lease.id), { name: 'LeaseNotFoundError' });
    });

    it('invalidates a key attached on process B when process C revokes a lease granted on process A', async () => {
      const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
      await b.call('storeSet', 'local:abc', 'old');
      await cacheEverywhere('local:abc', 'old');
      const lease = await a.call<Lease>('grantLease', 60_000);
      await eventually(() => b.call<boolean>('leaseKnown', lease.id), 10_000);
      await b.call('attachKey', lease.id, 'local:abc');
      await eventually(() => c.call<boolean>('leaseKnown', lease.id), 10_000);
      await c.call('revokeLease', lease.id);
      for (const node of nodes) await eventually(async () => !(await node.call<boolean>('cachedLocally', 'local:abc')), 10_000);
    });

    it('invalidates the keys on every process when the lease expires without renewal', async () => {
      const [a] = nodes as [NodeProcess, NodeProcess, NodeProcess];
      await a.call('storeSet', 'ev:expiring', 'v');
      await cacheEverywhere('ev:expiring', 'v');
      const lease = await a.call<Lease>('grantLease', 500);
      await a.call('attachKey', lease.id, 'ev:expiring');
      for (const node of nodes) await eventually(async () => !(await node.call<boolean>('cachedLocally', 'ev:expiring')), 10_000);
    });

    it('delivers bytes to prefix subscribers on other processes in publish order', async () => {
      const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
      await b.call('watch', 'feed', { prefix: 'feed.' });
      await c.call('watch', 'eu', 'feed.eu');
      await c.call('watch', 'other', { prefix: 'other.' });
      const payloads = Array.from({ length: 300 }, (_, i) => Buffer.from([i & 0xff, i >> 8, 0x00, 0xff]).toString('base64'));
      await a.call('publishAll', payloads.map((payload, i) => [i % 3 === 0 ? 'feed.eu' : 'feed.us', payload]));
      const feed = await b.call<Taken>('take', 'feed', 300);
      assert.deepEqual(feed.events.map((e) => e.payload), payloads);
      assert.ok(feed.events.every((e) => e.origin === 'node-0'));
      const seqs = feed.events.map((e) => e.seq);
      assert.deepEqual(seqs, seqs.slice().sort((x, y) => x - y));
      assert.equal(feed.dropped, 0);
      const eu = await c.call<Taken>('take', 'eu', 100);
      assert.deepEqual(eu.events.map((e) => e.payload), payloads.filter((_, i) => i % 3 === 0));
      assert.ok(eu.events.every((e) => e.topic === 'feed.eu'));
      assert.equal((await c.call<Taken>('take', 'other', 0)).events.length, 0);
      for (const [node, name] of [[b, 'feed'], [c, 'eu'], [c, 'other']] as const) await node.call('unwatch', name);
    });
  });
}
