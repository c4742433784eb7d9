import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, describe, it } from 'node:test';
import { Cluster, type ClusterOptions } from 'ioredis';
import { RedisBus } from '../../lib/bus/redis.bus.js';
import { MemoryCache } from '../../lib/cache/memory.cache.js';
import { RedisCache } from '../../lib/cache/redis.cache.js';
import { TieredCache } from '../../lib/cache/tiered.cache.js';
import type { Codec } from '../../lib/codec/codec.interface.js';
import { Mode } from '../../lib/common/mode.js';
import { RedisLocker } from '../../lib/lock/redis.locker.js';
import { RedisStore } from '../../lib/store/redis.store.js';
import { FenceRejectedError } from '../../lib/common/warp.errors.js';
import { BinaryTestCodec } from '../helpers/binary.codec.js';
import { busPairOnClients, partitionableBuses } from '../helpers/bus-factories.js';
import { commandsDuring } from '../helpers/redis-monitor.js';
import { eventually } from '../helpers/deferred.js';
import { skipUnlessRedisCluster, startRedisCluster, type RedisClusterHandle } from '../helpers/redis-cluster.js';
import { WarpFactory } from '../helpers/warp-factory.js';
import { cacheContract } from '../../lib/testing/cache.contract.js';
import { clusterBehaviour } from '../unit/contracts/cluster.behaviour.js';
import { lockerContract } from '../../lib/testing/locker.contract.js';
import { storeContract } from '../../lib/testing/store.contract.js';
import { busContract } from '../../lib/testing/bus.contract.js';

const skip = await skipUnlessRedisCluster();
const redisCluster: RedisClusterHandle | undefined = skip === false ? await startRedisCluster() : undefined;

/** Every Cluster client this file opened; quit before the servers are stopped. */
const clients: Cluster[] = [];
/**
 * A new client. Its periodic slot refresh is off: this cluster's topology never changes, and the
 * locker contract counts every timer the process creates during a test (a client's refresh timer
 * is the user's, not the locker's, but would be counted whenever it fired then).
 */
function connect(options: ClusterOptions = {}): Cluster {
  const client = new Cluster(redisCluster!.nodes, { slotsRefreshInterval: 0, ...options });
  clients.push(client);
  return client;
}
let shared: Cluster | undefined;
const client = (): Cluster => (shared ??= connect());
const freshPrefix = (): string => `warp-test:${randomUUID()}:`;

after(async () => {
  await Promise.all(clients.filter((c) => c.status !== 'end').map((c) => (c.status === 'ready' ? c.quit() : c.disconnect())));
  await redisCluster?.stop();
});

/** The masters (`host:port`) owning the slots of `redisKeys`, as the client's slot table says. */
async function mastersOf(cluster: Cluster, redisKeys: readonly string[]): Promise<Set<string>> {
  const masters = new Set<string>();
  for (const key of redisKeys) {
    const slot = Number(await cluster.cluster('KEYSLOT', key));
    masters.add(cluster.slots[slot][0]);
  }
  return masters;
}

/**
 * The setups each Cluster-backed contract runs under, as on standalone Redis: plain, a prefix of
 * glob characters (SCAN must match it literally on every master), a Cluster with ioredis'
 * `keyPrefix`, and a binary codec (values read as Buffers).
 */
const variants: Array<{ label: string; make(): { client: Cluster; prefix: string; codec?: Codec } }> = [
  { label: '', make: () => ({ client: client(), prefix: freshPrefix() }) },
  { label: ' with glob characters in its prefix', make: () => ({ client: client(), prefix: `${freshPrefix()}[*?]\\:` }) },
  { label: ' on a Cluster with a keyPrefix', make: () => ({ client: connect({ keyPrefix: freshPrefix() }), prefix: 'backend:' }) },
  { label: ' with a binary codec', make: () => ({ client: client(), prefix: freshPrefix(), codec: new BinaryTestCodec() }) },
];

for (const { label, make } of variants) {
  cacheContract(`RedisCache on a Redis Cluster${label}`, () => {
    const { client: cluster, ...options } = make();
    return new RedisCache(cluster, options);
  }, { skip });
  storeContract(`RedisStore on a Redis Cluster${label}`, () => {
    const { client: cluster, ...options } = make();
    return new RedisStore(cluster, options);
  }, { skip, fencing: true });
}

lockerContract('RedisLocker on a Redis Cluster', () => new RedisLocker(client(), { prefix: `${freshPrefix()}lock:` }), { skip });

busContract('RedisBus on a Redis Cluster', async () => busPairOnClients(connect, (cluster) => new RedisBus(cluster)), { skip });

clusterBehaviour('RedisBus on a Redis Cluster', () => partitionableBuses(() => new RedisBus(connect())), { skip });

describe('Redis backends on a Redis Cluster', { skip }, () => {
  const keys = Array.from({ length: 300 }, (_, i) => `item:${i}`);

  it('lists keys(prefix) and reads getMany over keys spread across every master', async () => {
    const prefix = freshPrefix();
    const store = new RedisStore<number>(client(), { prefix });
    await Promise.all(keys.map((key, i) => store.set(key, i)));
    await store.set('other:1', -1);
    assert.equal((await mastersOf(client(), keys.map((key) => prefix + key))).size, redisCluster!.nodes.length);
    assert.deepEqual((await store.keys('item:')).sort(), [...keys].sort());
    assert.equal((await store.keys()).length, keys.length + 1);
    const read = await store.getMany(['missing', ...keys]);
    assert.deepEqual(read, [undefined, ...keys.map((_, i) => i)]);
  });

  it('reads getMany with one MGET per hash slot, in the order asked', async () => {
    const prefix = freshPrefix();
    const store = new RedisStore<number>(client(), { prefix });
    // 40 keys in 4 slots (hash tags), asked for interleaved, plus misses.
    const asked = Array.from({ length: 40 }, (_, i) => `{tag${i % 4}}:${i}`);
    await Promise.all(asked.map((key, i) => (i % 5 === 0 ? undefined : store.set(key, i))));
    let read: (number | undefined)[] = [];
    const commands = await commandsDuring(redisCluster!.nodes, prefix, async () => (read = await store.getMany(asked)));
    assert.deepEqual(read, asked.map((_, i) => (i % 5 === 0 ? undefined : i)));
    assert.deepEqual(commands.map((c) => [c.name, c.args.length]), Array.from({ length: 4 }, () => ['MGET', 10]));
  });

  it('fences keys whose names hold braces, in the slot of their value', async () => {
    const store = new RedisStore(client(), { prefix: freshPrefix() });
    for (const key of ['user:{42}', '}starts-with-brace', '{}', 'a{b', '{x}{y}', 'ключ:{🔑}']) {
      await store.set(key, 'v1', { fence: 2n });
      await assert.rejects(store.set(key, 'stale', { fence: 1n }), FenceRejectedError, key);
      await store.delete(key, { fence: 3n });
      await assert.rejects(store.set(key, 'stale', { fence: 2n }), FenceRejectedError, key);
      assert.equal(await store.get(key), undefined, key);
    }
  });

  it('lists and clears cache keys spread across every master', async () => {
    const cache = new RedisCache(client(), { prefix: freshPrefix() });
    await Promise.all(keys.map((key, i) => cache.set(key, { value: i, ts: i + 1, origin: 'node-a' })));
    assert.deepEqual((await cache.keys()).sort(), [...keys].sort());
    await cache.clear();
    assert.deepEqual(await cache.keys(), []);
  });

  it('locks names with braces, even one starting with "}", in one slot with their fencing counter', async () => {
    const locker = new RedisLocker(client(), { prefix: `${freshPrefix()}lock:` });
    try {
      for (const name of ['}starts-with-brace', 'user:{42}', '{}']) {
        const first = await locker.acquire(name, { ttl: 5_000, waitTimeout: 0 });
        await first.release();
        const second = await locker.acquire(name, { ttl: 5_000, waitTimeout: 0 });
        assert.ok(second.fencingToken > first.fencingToken);
        await second.release();
      }
    } finally {
      await locker.close();
    }
  });

  it('hands a lock from one Cluster client to a waiter on another when released, with a higher fencing token', async () => {
    const prefix = `${freshPrefix()}lock:`;
    const first = new RedisLocker(connect(), { prefix });
    // Polling alone would take up to a minute: only the release notification can wake the waiter in time.
    const second = new RedisLocker(connect(), { prefix, retryMinMs: 60_000, retryMaxMs: 60_000 });
    try {
      const held = await first.acquire('invoice:42', { ttl: 30_000, waitTimeout: 0 });
      const waiting = second.acquire('invoice:42', { ttl: 30_000, waitTimeout: 20_000 });
      await new Promise((resolve) => setTimeout(resolve, 100)); // let the waiter subscribe and sleep
      await held.release();
      const next = await waiting;
      assert.ok(next.fencingToken > held.fencingToken, `${next.fencingToken} > ${held.fencingToken}`);
      await next.release();
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});

describe('Warp on a Redis Cluster (tiered memory + Redis cache, Redis store and locks)', { skip }, () => {
  const warps = new WarpFactory();
  afterEach(() => warps.closeAll());

  async function node(namespace: string, prefix: string, nodeId: string) {
    const cluster = client();
    const store = new RedisStore(cluster, { prefix: `${prefix}store:` });
    const warp = await warps.start({
      nodeId,
      namespace,
      cache: new TieredCache(new MemoryCache(), new RedisCache(cluster, { prefix: `${prefix}cache:` })),
      store,
      locks: new RedisLocker(cluster, { prefix: `${prefix}lock:` }),
      bus: new RedisBus(connect()),
      heartbeatInterval: 50,
      keys: [
        { key: 'user:*', mode: Mode.EventualDistributed },
        { key: 'acct:*', mode: Mode.StrongDistributed },
        { key: 'calc:*', mode: Mode.StrongLocal },
      ],
    });
    return { warp, store };
  }

  it('sets, gets, invalidates, computes and warms up keys in many slots', async () => {
    const namespace = `t${randomUUID().slice(0, 8)}`;
    const prefix = freshPrefix();
    const { warp, store } = await node(namespace, prefix, 'node-a');
    const users = Array.from({ length: 60 }, (_, i) => `user:${i}`);
    const accounts = Array.from({ length: 20 }, (_, i) => `acct:${i}`);
    assert.equal((await mastersOf(client(), users.map((key) => `${prefix}store:${key}`))).size, redisCluster!.nodes.length);

    await warp.setMany(users.map((key, i) => [key, { id: i }]));
    for (const [i, key] of accounts.entries()) await warp.set(key, 100 + i); // each under a cluster lock
    assert.deepEqual(await warp.getMany(users), users.map((_, i) => ({ id: i })));
    for (const [i, key] of accounts.entries()) assert.equal(await warp.get(key), 100 + i);
    assert.deepEqual(await store.getMany(users), users.map((_, i) => ({ id: i })));

    await store.set('user:7', { id: 7, renamed: true });
    await warp.invalidate('user:7');
    assert.deepEqual(await warp.get('user:7'), { id: 7, renamed: true });

    let calls = 0;
    const loader = async () => ++calls;
    const computed = await Promise.all(Array.from({ length: 40 }, (_, i) => warp.getOrSet(`calc:${i % 10}`, loader)));
    assert.equal(calls, 10);
    assert.deepEqual(new Set(computed).size, 10);
    assert.equal(await warp.getOrSet('calc:3', loader), computed[3]);

    // A second node of the same cluster warms its memory tier from the Redis store's keys.
    const { warp: other } = await node(namespace, prefix, 'node-b');
    // A StrongDistributed set waits for the peers it knows: let the nodes hear each other first.
    await eventually(() => warp.cluster.livePeers().includes('node-b') && other.cluster.livePeers().includes('node-a'), 5_000);
    const report = await other.warmup();
    assert.deepEqual(report.failed, []);
    assert.deepEqual(report.unlistedPatterns, []);
    // getOrSet is cache-aside: its computed values never reached the store, so they are not warmed.
    assert.equal(report.loaded, users.length + accounts.length);
    assert.deepEqual(await other.get('user:7'), { id: 7, renamed: true });
    await other.set('acct:3', 999);
    assert.equal(await other.get('acct:3'), 999);
    assert.equal(await warp.get('acct:3'), 999);
  });
});
