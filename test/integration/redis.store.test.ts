import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cluster } from 'ioredis';
import { DEFAULT_FENCE_TOMBSTONE_TTL } from '../../lib/store/fence.js';
import { RedisStore } from '../../lib/store/redis.store.js';
import { FenceRejectedError, InvalidOptionsError, SerializationError } from '../../lib/common/warp.errors.js';
import { commandsDuring } from '../helpers/redis-monitor.js';
import { redisBackendVariants, redisTestRun } from '../helpers/redis-test-run.js';
import { SERVICES, skipUnless } from '../helpers/services.js';
import { storeContract } from '../../lib/testing/store.contract.js';

const skip = await skipUnless('redis');
const run = redisTestRun('redis-store');

for (const { label, make } of redisBackendVariants(run)) {
  storeContract(`RedisStore${label}`, () => {
    const { client, ...options } = make();
    return new RedisStore(client, options);
  }, { skip, fencing: true });
}

describe('RedisStore', { skip }, () => {
  it('stores the plain value as JSON under its prefix, without expiry', async () => {
    const prefix = run.freshPrefix();
    await new RedisStore(run.client(), { prefix }).set('user:1', { name: 'Ada', tags: ['x'] });
    assert.equal(await run.client().get(`${prefix}user:1`), '{"name":"Ada","tags":["x"]}');
    assert.equal(await run.client().pttl(`${prefix}user:1`), -1);
  });

  it('rejects a value JSON cannot round-trip with a SerializationError naming the key and the path, writing nothing', async () => {
    const prefix = run.freshPrefix();
    const store = new RedisStore(run.client(), { prefix });
    for (const [value, path] of [
      [undefined, '$ is undefined'],
      [5n, '$ is a BigInt'],
      [{ nested: { fn: () => 1 } }, '$.nested.fn is a function'],
      [{ items: [{ price: 1 }, { price: Number.NaN }] }, '$.items[1].price is NaN'],
      [{ total: -Infinity }, '$.total is -Infinity'],
      [{ tags: new Set(['a']) }, '$.tags is a Set'],
    ] as const) {
      await assert.rejects(store.set('bad', value, { fence: 1n }), (error: unknown) => {
        assert.ok(error instanceof SerializationError && error.key === 'bad', String(error));
        assert.ok(error.message.includes(`"bad": ${path}`), error.message);
        return true;
      });
    }
    assert.equal(await run.client().exists(`${prefix}bad`), 0);
    assert.equal((await run.client().keys(`${prefix.slice(0, -1)}#fence:*`)).length, 0, 'no fence record either');
  });

  it('rejects undecodable stored data with a SerializationError naming the key', async () => {
    const prefix = run.freshPrefix();
    const store = new RedisStore(run.client(), { prefix });
    await run.client().set(`${prefix}broken`, '{"a":');
    await store.set('fine', 1);
    await assert.rejects(store.get('broken'), (error: unknown) => error instanceof SerializationError && error.key === 'broken');
    await assert.rejects(store.getMany(['fine', 'broken']), /"broken"/);
  });

  it('lists only keys under its own prefix', async () => {
    const mine = new RedisStore(run.client(), { prefix: run.freshPrefix() });
    const neighbour = new RedisStore(run.client(), { prefix: run.freshPrefix() });
    await mine.set('a', 1);
    await neighbour.set('b', 2);
    assert.deepEqual(await mine.keys(), ['a']);
    assert.deepEqual(await neighbour.keys(''), ['b']);
  });

  it('leaves the user client open', async () => {
    const client = run.connect();
    const store = new RedisStore(client, { prefix: run.freshPrefix() });
    await store.set('k', 'v');
    assert.equal(client.status, 'ready');
    assert.equal(await store.get('k'), 'v');
  });
});

describe('RedisStore fence records', { skip }, () => {
  /** The fence records of a store whose prefix is `prefix` (default fencePrefix), with their PTTL. */
  async function fenceRecords(prefix: string): Promise<Array<[string, string | null, number]>> {
    const fencePrefix = `${prefix.slice(0, -1)}#fence:`;
    const keys = await run.client().keys(`${fencePrefix}*`); // a fresh prefix: a handful of keys
    return Promise.all(keys.map(async (key) => [key.slice(fencePrefix.length), await run.client().get(key), await run.client().pttl(key)] as [string, string | null, number]));
  }

  it('keeps one record per fenced key, next to the values, for as long as the value', async () => {
    const prefix = run.freshPrefix();
    const store = new RedisStore(run.client(), { prefix });
    await store.set('acct:1', 10, { fence: 12n });
    await store.set('acct:2', 20);
    const [[name, fence, pttl], ...others] = await fenceRecords(prefix);
    assert.deepEqual(others, []);
    assert.match(name, /^\{[0-9a-z]+\}acct:1$/);
    assert.equal(fence, '12');
    assert.equal(pttl, -1);
  });

  it('turns the record into a tombstone on delete, and back to a live record when the key is set again', async () => {
    const prefix = run.freshPrefix();
    const store = new RedisStore(run.client(), { prefix, fenceTombstoneTtl: 3_600_000 });
    await store.set('k', 'v', { fence: 3n });
    await store.delete('k', { fence: 4n });
    let [[, fence, pttl]] = await fenceRecords(prefix);
    assert.equal(fence, '4');
    assert.ok(pttl > 3_500_000 && pttl <= 3_600_000, `tombstone PTTL ${pttl}`);
    await store.set('k', 'back');
    [[, fence, pttl]] = await fenceRecords(prefix);
    assert.deepEqual([fence, pttl], ['4', -1]);
    await store.delete('k');
    [[, fence, pttl]] = await fenceRecords(prefix);
    assert.equal(fence, '4');
    assert.ok(pttl > 0, `an unfenced delete leaves a tombstone too (PTTL ${pttl})`);
  });

  it('keeps a tombstone for 24 hours by default', async () => {
    const prefix = run.freshPrefix();
    const store = new RedisStore(run.client(), { prefix });
    await store.delete('k', { fence: 1n });
    const [[, , pttl]] = await fenceRecords(prefix);
    assert.equal(DEFAULT_FENCE_TOMBSTONE_TTL, 24 * 3_600_000);
    assert.ok(pttl > DEFAULT_FENCE_TOMBSTONE_TTL - 60_000 && pttl <= DEFAULT_FENCE_TOMBSTONE_TTL, `PTTL ${pttl}`);
  });

  it('refuses a stale write with a FenceRejectedError and leaves value and record untouched', async () => {
    const prefix = run.freshPrefix();
    const store = new RedisStore(run.client(), { prefix });
    await store.set('k', 'v', { fence: 9n });
    await assert.rejects(store.set('k', 'stale', { fence: 8n }), FenceRejectedError);
    await assert.rejects(store.delete('k', { fence: 8n }), FenceRejectedError);
    assert.equal(await run.client().get(`${prefix}k`), '"v"');
    assert.deepEqual((await fenceRecords(prefix)).map(([, fence, pttl]) => [fence, pttl]), [['9', -1]]);
  });

  it('writes records under an explicit fencePrefix', async () => {
    const prefix = run.freshPrefix();
    const fencePrefix = run.freshPrefix();
    const store = new RedisStore(run.client(), { prefix, fencePrefix });
    await store.set('k', 1, { fence: 1n });
    assert.equal((await run.client().keys(`${fencePrefix}*`)).length, 1);
    assert.deepEqual(await store.keys(), ['k']);
  });

  it('rejects options that would mix records with values or split them across slots', () => {
    const client = run.client();
    const invalid: Array<[string, () => unknown]> = [
      ['an empty prefix', () => new RedisStore(client, { prefix: '' })],
      ['a fencePrefix with braces', () => new RedisStore(client, { fencePrefix: 'f:{x}:' })],
      ['a fencePrefix under the prefix', () => new RedisStore(client, { prefix: 'shop:', fencePrefix: 'shop:fence:' })],
      ['a prefix under the fencePrefix', () => new RedisStore(client, { prefix: 'fence:shop:', fencePrefix: 'fence:' })],
      ['a zero tombstone ttl', () => new RedisStore(client, { fenceTombstoneTtl: 0 })],
    ];
    for (const keyPrefix of ['app{', 'app{}:']) {
      const cluster = new Cluster([SERVICES.redis], { lazyConnect: true, keyPrefix });
      invalid.push([`a Cluster keyPrefix ${keyPrefix}`, () => new RedisStore(cluster, {})]);
    }
    for (const [what, make] of invalid) assert.throws(make, InvalidOptionsError, what);
    assert.ok(new RedisStore(new Cluster([SERVICES.redis], { lazyConnect: true, keyPrefix: '{app}:' })));
  });

  it('rejects an invalid fence before touching Redis', async () => {
    const store = new RedisStore(run.client(), { prefix: run.freshPrefix() });
    await assert.rejects(store.set('k', 1, { fence: -1n }), InvalidOptionsError);
    await assert.rejects(store.delete('k', { fence: 1 as never }), InvalidOptionsError);
    assert.equal(await store.get('k'), undefined);
  });
});

describe('RedisStore.getMany on a standalone server', { skip }, () => {
  it('reads 100 keys with one MGET and no GET', async () => {
    const prefix = run.freshPrefix();
    const store = new RedisStore<number>(run.client(), { prefix });
    const keys = Array.from({ length: 100 }, (_, i) => `item:${i}`);
    await Promise.all(keys.map((key, i) => (i % 2 === 0 ? store.set(key, i) : undefined)));
    let values: (number | undefined)[] = [];
    const commands = await commandsDuring([SERVICES.redis], prefix, async () => (values = await store.getMany(keys)));
    assert.deepEqual(commands.map((c) => [c.name, c.args.length]), [['MGET', 100]]);
    assert.deepEqual(values, keys.map((_, i) => (i % 2 === 0 ? i : undefined)));
  });

  it('splits a batch larger than 1000 keys into MGETs of 1000', async () => {
    const prefix = run.freshPrefix();
    const store = new RedisStore<number>(run.client(), { prefix });
    const keys = Array.from({ length: 2_500 }, (_, i) => `item:${i}`);
    const commands = await commandsDuring([SERVICES.redis], prefix, () => store.getMany(keys));
    assert.deepEqual(commands.map((c) => [c.name, c.args.length]), [['MGET', 1000], ['MGET', 1000], ['MGET', 500]]);
  });
});
