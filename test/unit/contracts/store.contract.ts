import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import type { Store } from '../../../lib/store/store.interface.js';

/** Options of a contract run. */
export interface StoreContractOptions {
  /** Skip reason (e.g. from `skipUnless('redis')`), or `false` to run. */
  skip?: string | false;
  /** Runs once after the suite: close connections, delete what the stores wrote. */
  cleanup?: () => Promise<void>;
}

const NESTED = {
  id: 7,
  name: 'Zoë ✓ 名前',
  address: { city: 'Kraków', lines: ['1 Main St', ''], geo: { lat: 50.06, lng: 19.94 } },
  roles: [{ name: 'admin', since: '2024-01-01' }],
  active: false,
};

/**
 * The `Store` contract: every store (memory, Redis, a user's adapter over their database) must
 * pass it. `make` returns a fresh, empty store for each test (a new instance, or a new prefix or
 * table on a shared backend). Optional methods (`delete`, `keys`, `getMany`) are checked only when
 * the store has them.
 *
 * @example
 * storeContract('MemoryStore', () => new MemoryStore());
 */
export function storeContract(name: string, make: () => Promise<Store> | Store, opts: StoreContractOptions = {}): void {
  describe(`${name} (Store contract)`, { skip: opts.skip }, () => {
    let store: Store;

    beforeEach(async () => {
      store = await make();
    });

    if (opts.cleanup !== undefined) after(opts.cleanup);

    it('returns undefined for a key that was never set', async () => {
      assert.equal(await store.get('missing'), undefined);
    });

    it('returns a nested value as it was set, not an envelope', async () => {
      await store.set('user:7', NESTED);
      assert.deepEqual(await store.get('user:7'), NESTED);
    });

    it('round-trips strings, numbers, booleans and arrays', async () => {
      const values: Array<[string, unknown]> = [
        ['s', 'text'],
        ['n', 12.5],
        ['b', true],
        ['a', [1, 'two', { three: 3 }]],
      ];
      for (const [key, value] of values) await store.set(key, value);
      for (const [key, value] of values) assert.deepEqual(await store.get(key), value, `value of ${key}`);
    });

    it('keeps values under unicode keys apart', async () => {
      await store.set('ключ:1', { v: 'кириллица' });
      await store.set('キー:1', { v: 'カタカナ' });
      await store.set('emoji:🔑', { v: '🎉' });
      assert.deepEqual(await store.get('ключ:1'), { v: 'кириллица' });
      assert.deepEqual(await store.get('キー:1'), { v: 'カタカナ' });
      assert.deepEqual(await store.get('emoji:🔑'), { v: '🎉' });
    });

    it('replaces a value on overwrite', async () => {
      await store.set('k', { version: 1 });
      await store.set('k', { version: 2, extra: true });
      assert.deepEqual(await store.get('k'), { version: 2, extra: true });
    });

    it('deletes a value, and accepts deleting a missing key', async (t) => {
      if (store.delete === undefined) return t.skip('no delete');
      await store.set('k', 'v');
      await store.set('other', 'o');
      await store.delete('k');
      await store.delete('never-set');
      assert.equal(await store.get('k'), undefined);
      assert.equal(await store.get('other'), 'o');
    });

    it('lists keys by prefix, matching the prefix literally', async (t) => {
      if (store.keys === undefined) return t.skip('no keys');
      for (const key of ['user:1', 'user:2', 'users', 'order:1', 'a*:1', 'ab:1', 'ключ:1']) await store.set(key, key);
      assert.deepEqual((await store.keys('user:')).sort(), ['user:1', 'user:2']);
      assert.deepEqual((await store.keys('a*')).sort(), ['a*:1']);
      assert.deepEqual(await store.keys('ключ:'), ['ключ:1']);
      assert.deepEqual(await store.keys('nothing:'), []);
      const all = await store.keys();
      for (const key of ['user:1', 'users', 'order:1', 'ab:1']) assert.ok(all.includes(key), `keys() includes ${key}`);
    });

    it('stops listing a deleted key', async (t) => {
      if (store.keys === undefined || store.delete === undefined) return t.skip('no keys or delete');
      await store.set('item:1', 1);
      await store.set('item:2', 2);
      await store.delete('item:1');
      assert.deepEqual(await store.keys('item:'), ['item:2']);
    });

    it('reads many values in order, with undefined for missing keys', async (t) => {
      if (store.getMany === undefined) return t.skip('no getMany');
      await store.set('m:1', { n: 1 });
      await store.set('m:2', 'two');
      await store.set('m:ü', [3]);
      assert.deepEqual(await store.getMany(['m:2', 'missing', 'm:1', 'm:ü', 'm:2']), ['two', undefined, { n: 1 }, [3], 'two']);
      assert.deepEqual(await store.getMany([]), []);
    });

    it('reads many values across a large batch', async (t) => {
      if (store.getMany === undefined) return t.skip('no getMany');
      const keys = Array.from({ length: 1_500 }, (_, i) => `bulk:${i}`);
      await Promise.all(keys.map((key, i) => (i % 3 === 0 ? Promise.resolve() : store.set(key, i))));
      const values = await store.getMany(keys);
      assert.equal(values.length, keys.length);
      values.forEach((value, i) => assert.equal(value, i % 3 === 0 ? undefined : i, keys[i]));
    });
  });
}
