import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { assertKey } from '../../../lib/common/keys.js';
import { MAX_TTL_MS } from '../../../lib/common/limits.js';
import { Mode } from '../../../lib/common/mode.js';
import { KeyRegistry } from '../../../lib/common/registry.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { InvalidKeyError, InvalidOptionsError } from '../../../lib/common/warp.errors.js';
import { WarpFactory } from '../../helpers/warp-factory.js';

const factory = new WarpFactory();
afterEach(() => factory.closeAll());

/** Pairs of different JS strings that encode to the same UTF-8 bytes (each lone surrogate becomes U+FFFD). */
const COLLIDING = [
  ['user:\uD800', 'user:\uDBFF'],
  ['user:\uDC00x', 'user:\uDFFFx'],
  ['user:a\uD83D', 'user:a\uFFFD'],
] as const;

describe('keys with lone UTF-16 surrogates', () => {
  it('are refused up front: they would share one entry in Redis or the store with another key', async () => {
    for (const [a, b] of COLLIDING) assert.deepEqual(Buffer.from(a), Buffer.from(b), 'the premise: one UTF-8 encoding');
    const warp = await factory.start({ keys: [{ key: 'user:*', mode: Mode.StrongLocal }] });
    for (const key of ['user:\uD800', 'user:\uDC00x', 'user:a\uD83D', 'user:\uDE00\uD83D']) {
      await assert.rejects(warp.get(key), (error: unknown) => error instanceof InvalidKeyError && /lone UTF-16 surrogate/.test(error.message));
      await assert.rejects(warp.set(key, 1), InvalidKeyError);
      await assert.rejects(warp.invalidate(key), InvalidKeyError);
      await assert.rejects(warp.getMany([key]), InvalidKeyError);
    }
  });

  it('are refused in registrations and patterns', () => {
    const registry = new KeyRegistry();
    assert.throws(() => registry.register('user:\uD800*', Mode.StrongLocal), InvalidKeyError);
    assert.throws(() => registry.register('\uDFFF', Mode.StrongLocal), InvalidKeyError);
  });

  it('leave well-formed text alone: surrogate pairs (emoji), accents and CJK are keys', async () => {
    const warp = await factory.start({ keys: [{ key: 'user:*', mode: Mode.StrongLocal }] });
    for (const key of ['user:\uD83D\uDE00', 'user:😀x', 'user:é', 'user:東京', 'user:\uFFFD']) {
      assertKey(key);
      await warp.set(key, key);
      assert.equal(await warp.get(key), key);
    }
  });

  it('keep the check cheap on the hot path: well under a microsecond per key', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `user:${i}:profile:${'x'.repeat(i % 40)}`);
    const n = 200_000;
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) assertKey(keys[i % keys.length]);
    const perKeyNs = Number(process.hrtime.bigint() - started) / n;
    // Measured about 15-40 ns per key on these machines (the whole check); 1 µs leaves room for noisy CI.
    assert.ok(perKeyNs < 1000, `assertKey took ${perKeyNs.toFixed(0)} ns per key`);
  });
});

describe('TTLs above what every backend honours (2147483647 ms)', () => {
  it('are refused at registration, with the bound in the message', async () => {
    const warp = await factory.start();
    assert.throws(
      () => warp.register('big:*', Mode.StrongLocal, { ttl: 1e20 }),
      (error: unknown) => error instanceof InvalidOptionsError && /2147483647/.test(error.message),
    );
    assert.throws(() => warp.register('big:*', Mode.StrongLocal, { ttl: MAX_TTL_MS + 1 }), InvalidOptionsError);
    warp.register('big:*', Mode.StrongLocal, { ttl: MAX_TTL_MS });
  });

  it('are refused by set, for the cache ttl and the store ttl, before anything is written', async () => {
    const store = new MemoryStore();
    const warp = await factory.start({ store, keys: [{ key: 'k', mode: Mode.StrongLocal }] });
    await assert.rejects(warp.set('k', 1, { ttl: 1e20 }), (error: unknown) => error instanceof InvalidOptionsError && /"k"/.test(error.message));
    await assert.rejects(warp.set('k', 1, { storeTtl: 1e20 }), (error: unknown) => error instanceof InvalidOptionsError && /storeTtl/.test(error.message));
    await assert.rejects(warp.set('k', 1, { storeTtl: -1 }), InvalidOptionsError);
    assert.equal(store.size, 0);
    await warp.set('k', 1, { ttl: MAX_TTL_MS, storeTtl: MAX_TTL_MS });
    assert.equal(await warp.get('k'), 1);
  });

  it('are refused as defaultTtl when the engine is built', () => {
    assert.throws(() => factory.create({ defaultTtl: 1e20 }), InvalidOptionsError);
  });
});
