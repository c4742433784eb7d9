import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { eventually } from '../helpers/deferred.js';
import { connectionNamePrefix, NodeProcess, startNodeCluster, stopNodeCluster } from '../helpers/node-process.js';
import { killConnections, pubsubConnectionIdsNamedFrom } from '../helpers/redis-connections.js';
import { skipUnless } from '../helpers/services.js';

const skip = await skipUnless('redis');
const script = fileURLToPath(new URL('./fixtures/cluster-node.js', import.meta.url));

for (const busKind of ['redis', 'transport'] as const) {
  describe(`three Warp processes on Redis (${busKind === 'redis' ? 'RedisBus' : 'Nest Redis transport'})`, { skip }, () => {
    const namespace = `e2e-${busKind}-${randomUUID().slice(0, 8)}`;
    let nodes: NodeProcess[] = [];
    let admin: Redis;

    before(async () => {
      admin = new Redis({ host: '127.0.0.1', port: 6379 });
      nodes = await startNodeCluster(script, namespace, busKind);
    });

    after(async () => {
      await stopNodeCluster(nodes, namespace);
      admin.disconnect();
    });

    it('converges an EventualDistributed write on every process', async () => {
      await Promise.all(nodes.map((n) => n.call('get', 'ev:1')));
      await nodes[0].call('set', 'ev:1', 'v1');
      await eventually(async () => (await Promise.all(nodes.map((n) => n.call('get', 'ev:1')))).every((v) => v === 'v1'));
      await nodes[2].call('set', 'ev:1', 'v2');
      await eventually(async () => (await Promise.all(nodes.map((n) => n.call('get', 'ev:1')))).every((v) => v === 'v2'));
    });

    it('reads a StrongDistributed write on every process as soon as set resolved', async () => {
      for (let round = 0; round < 15; round++) {
        await nodes[round % 3].call('set', 'st:1', round);
        const seen = await Promise.all(nodes.map((n) => n.call('get', 'st:1')));
        assert.deepEqual(seen, [round, round, round], `round ${round}`);
      }
    });

    it('merges a counter written concurrently on three processes', async () => {
      await Promise.all(nodes.flatMap((n) => [n.call('set', 'counter', 1), n.call('set', 'counter', 1)]));
      const seen = await Promise.all(nodes.map((n) => n.call('get', 'counter')));
      assert.deepEqual(seen, [6, 6, 6]);
    });

    it('waits out the lease of a frozen peer, writes, and the thawed peer serves the new value', async () => {
      await nodes[0].call('set', 'st:2', 'before');
      assert.equal(await nodes[2].call('get', 'st:2'), 'before');
      nodes[2].signal('SIGSTOP');
      await nodes[0].call('set', 'st:2', 'during');
      nodes[2].signal('SIGCONT');
      // The thawed node must not serve the value it cached before the freeze.
      await eventually(async () => (await nodes[2].call('get', 'st:2')) === 'during', 10_000);
      await eventually(async () => (await nodes[0].call<string[]>('peers')).includes('node-2'), 10_000);
      await nodes[0].call('set', 'st:2', 'after');
      assert.deepEqual(await Promise.all(nodes.map((n) => n.call('get', 'st:2'))), ['after', 'after', 'after']);
    });

    it('drops a peer frozen past the heartbeat window, and the thawed peer serves no stale strong value', async () => {
      await nodes[0].call('set', 'st:3', 'before');
      assert.equal(await nodes[1].call('get', 'st:3'), 'before');
      nodes[1].signal('SIGSTOP');
      await eventually(async () => !(await nodes[0].call<string[]>('peers')).includes('node-1'), 10_000);
      await nodes[0].call('set', 'st:3', 'while-frozen'); // node-1 is no longer a live peer: no ack awaited
      nodes[1].signal('SIGCONT');
      assert.equal(await nodes[1].call('get', 'st:3'), 'while-frozen');
      await eventually(async () => (await nodes[0].call<string[]>('peers')).includes('node-1'), 10_000);
    });

    it('calls the loader once cluster-wide for 999 concurrent cold getOrSet calls spread over three processes', async () => {
      const before = await Promise.all(nodes.map((n) => n.call<number>('loaderCalls')));
      const calls = nodes.flatMap((n) => Array.from({ length: 333 }, () => n.call<string>('getOrSet', 'stampede:1', 50)));
      const values = await Promise.all(calls);
      const after = await Promise.all(nodes.map((n) => n.call<number>('loaderCalls')));
      const loads = after.reduce((sum, n, i) => sum + n - before[i], 0);
      assert.equal(loads, 1);
      assert.equal(new Set(values).size, 1);
    });

    it('recovers after its bus connection is killed (CLIENT KILL) without serving a missed invalidation', async () => {
      await nodes[0].call('set', 'ev:kill', 'old');
      assert.equal(await nodes[1].call('get', 'ev:kill'), 'old');
      // Kill every pub/sub connection of this cluster (never another suite's on the shared Redis):
      // each node's bus subscriber drops and reconnects.
      const ids = await pubsubConnectionIdsNamedFrom(admin, connectionNamePrefix(namespace));
      assert.ok(ids.length >= nodes.length, `one bus subscriber per node at least, found ${ids.length}`);
      await killConnections(admin, ids);
      await nodes[0].call('set', 'ev:kill', 'new');
      await eventually(async () => (await nodes[1].call('get', 'ev:kill')) === 'new', 10_000);
      await eventually(async () => (await Promise.all(nodes.map((n) => n.call<boolean>('connected')))).every(Boolean), 10_000);
      await nodes[2].call('set', 'ev:kill', 'newer');
      await eventually(async () => (await Promise.all(nodes.map((n) => n.call('get', 'ev:kill')))).every((v) => v === 'newer'));
    });
  });
}
