import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedisCache } from '../../lib/cache/redis.cache.js';
import type { Envelope } from '../../lib/common/envelope.js';
import { SerializationError } from '../../lib/common/warp.errors.js';
import { redisBackendVariants, redisTestRun } from '../helpers/redis-test-run.js';
import { skipUnless } from '../helpers/services.js';
import { cacheContract } from '../../lib/testing/cache.contract.js';

const skip = await skipUnless('redis');
const run = redisTestRun('redis-cache');

for (const { label, make } of redisBackendVariants(run)) {
  cacheContract(`RedisCache${label}`, () => {
    const { client, ...options } = make();
    return new RedisCache(client, options);
  }, { skip });
}

const entry = (value: unknown): Envelope => ({ value, ts: 1_700_000_000_000, origin: 'node-a' });

describe('RedisCache', { skip }, () => {
  it('stores the envelope as JSON under its prefix with a PX expiry', async () => {
    const prefix = run.freshPrefix();
    const cache = new RedisCache(run.client(), { prefix });
    await cache.set('user:1', { ...entry({ name: 'Ada' }), expiresAt: 5 } as Envelope, 10_000);
    assert.deepEqual(JSON.parse((await run.client().get(`${prefix}user:1`))!), entry({ name: 'Ada' }));
    const pttl = await run.client().pttl(`${prefix}user:1`);
    assert.ok(pttl > 0 && pttl <= 10_000, `pttl ${pttl}`);
  });

  it('rounds a fractional ttl up to whole milliseconds', async () => {
    const prefix = run.freshPrefix();
    await new RedisCache(run.client(), { prefix }).set('k', entry(1), 1_000.2);
    const pttl = await run.client().pttl(`${prefix}k`);
    assert.ok(pttl > 0 && pttl <= 1_001, `pttl ${pttl}`);
  });

  for (const [what, value, path] of [
    ['a BigInt', 1n, '$ is a BigInt'],
    ['a cyclic structure', (() => { const a: Record<string, unknown> = {}; a.self = a; return a; })(), '$.self is a circular reference to $'],
    ['a nested function', { user: { save: () => 1 } }, '$.user.save is a function'],
    ['a symbol', Symbol('s'), '$ is a symbol'],
    ['a nested NaN (never null in silence)', { items: [{ price: Number.NaN }] }, '$.items[0].price is NaN'],
    ['Infinity', Infinity, '$ is Infinity'],
  ] as const) {
    it(`rejects ${what} with a SerializationError naming the key and the path in the value, writing nothing`, async () => {
      const prefix = run.freshPrefix();
      const cache = new RedisCache(run.client(), { prefix });
      await assert.rejects(cache.set('bad:1', entry(value)), (error: unknown) => {
        assert.ok(error instanceof SerializationError);
        assert.equal(error.key, 'bad:1');
        assert.match(error.message, /"bad:1"/);
        assert.ok(error.message.endsWith(path), `${error.message} ends with ${path}`);
        return true;
      });
      await assert.rejects(cache.setIfAbsent('bad:1', entry(value)), SerializationError);
      assert.equal(await run.client().exists(`${prefix}bad:1`), 0);
    });
  }

  it('rejects stored data that is not an envelope with a SerializationError naming the key', async () => {
    const prefix = run.freshPrefix();
    const cache = new RedisCache(run.client(), { prefix });
    await run.client().set(`${prefix}garbage`, '{not json');
    await run.client().set(`${prefix}alien`, '{"hello":"world"}');
    await assert.rejects(cache.get('garbage'), (error: unknown) => error instanceof SerializationError && error.key === 'garbage');
    await assert.rejects(cache.get('alien'), /"alien" is not a Warp envelope/);
    await assert.rejects(cache.getWithTtl('alien'), SerializationError);
  });

  it('neutralises a prototype-pollution payload written by someone else', async () => {
    const prefix = run.freshPrefix();
    await run.client().set(`${prefix}evil`, '{"value":{"__proto__":{"admin":true}},"ts":1,"origin":"x"}');
    const found = await new RedisCache(run.client(), { prefix }).get('evil');
    const value = found?.value as Record<string, unknown>;
    assert.equal(Object.hasOwn(value, '__proto__'), false);
    assert.equal((Object.assign({}, value) as { admin?: boolean }).admin, undefined);
  });

  it('clears and lists only the keys under its own prefix', async () => {
    const mine = new RedisCache(run.client(), { prefix: run.freshPrefix() });
    const neighbour = new RedisCache(run.client(), { prefix: run.freshPrefix() });
    await mine.set('a', entry(1));
    await neighbour.set('a', entry(2));
    await neighbour.set('b', entry(3));
    assert.deepEqual(await mine.keys(), ['a']);
    await mine.clear();
    assert.equal(await mine.get('a'), undefined);
    assert.deepEqual((await neighbour.keys()).sort(), ['a', 'b']);
    await neighbour.clear();
  });

  it('clears many keys in SCAN batches', async () => {
    const cache = new RedisCache(run.client(), { prefix: run.freshPrefix() });
    await Promise.all(Array.from({ length: 2_000 }, (_, i) => cache.set(`k:${i}`, entry(i))));
    assert.equal((await cache.keys()).length, 2_000);
    await cache.clear();
    assert.deepEqual(await cache.keys(), []);
  });

  it('leaves the user client open after close', async () => {
    const client = run.connect();
    const cache = new RedisCache(client, { prefix: run.freshPrefix() });
    await cache.set('k', entry(1));
    await cache.close();
    assert.equal(client.status, 'ready');
    assert.equal(await client.ping(), 'PONG');
    assert.equal((await cache.get('k'))?.value, 1);
  });

  it('rejects when the client is disconnected', async () => {
    const offline = run.connect({ lazyConnect: true, enableOfflineQueue: false });
    const cache = new RedisCache(offline, { prefix: run.freshPrefix() });
    await assert.rejects(cache.set('k', entry(1)));
    await assert.rejects(cache.get('k'));
    await assert.rejects(cache.getWithTtl('k'));
  });
});
