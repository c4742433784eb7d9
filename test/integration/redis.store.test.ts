import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedisStore } from '../../lib/store/redis.store.js';
import { SerializationError } from '../../lib/warp.errors.js';
import { redisBackendVariants, redisTestRun } from '../helpers/redis-test-run.js';
import { skipUnless } from '../helpers/services.js';
import { storeContract } from '../unit/contracts/store.contract.js';

const skip = await skipUnless('redis');
const run = redisTestRun('redis-store');

for (const { label, make } of redisBackendVariants(run)) {
  storeContract(`RedisStore${label}`, () => {
    const { client, ...options } = make();
    return new RedisStore(client, options);
  }, { skip });
}

describe('RedisStore', { skip }, () => {
  it('stores the plain value as JSON under its prefix, without expiry', async () => {
    const prefix = run.freshPrefix();
    await new RedisStore(run.client(), { prefix }).set('user:1', { name: 'Ada', tags: ['x'] });
    assert.equal(await run.client().get(`${prefix}user:1`), '{"name":"Ada","tags":["x"]}');
    assert.equal(await run.client().pttl(`${prefix}user:1`), -1);
  });

  it('rejects a value JSON cannot represent with a SerializationError naming the key, writing nothing', async () => {
    const prefix = run.freshPrefix();
    const store = new RedisStore(run.client(), { prefix });
    for (const value of [undefined, 5n, { nested: { fn: () => 1 } }]) {
      await assert.rejects(store.set('bad', value), (error: unknown) => error instanceof SerializationError && error.key === 'bad');
    }
    assert.equal(await run.client().exists(`${prefix}bad`), 0);
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
