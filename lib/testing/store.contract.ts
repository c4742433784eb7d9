import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import type { WarpStore } from '../store/store.interface.js';
import { FenceRejectedError } from '../common/warp.errors.js';

/** Options of a contract run. */
export interface StoreContractOptions {
  /** Skip reason (e.g. from `skipUnless('redis')`), or `false` to run. */
  skip?: string | false;
  /** Runs once after the suite: close connections, delete what the stores wrote. */
  cleanup?: () => Promise<void>;
  /**
   * The store refuses fences lower than the one it accepted (`StoreWrite.fence`): run the fencing
   * cases. Without it, the suite only checks that fenced writes are accepted.
   */
  fencing?: boolean;
}

/** Asserts that `write` rejects with a `FenceRejectedError` for `key`, `attempted` and `accepted`. */
async function assertFenceRejected(write: Promise<void>, key: string, attempted: bigint, accepted: bigint): Promise<void> {
  await assert.rejects(write, (error: unknown) => {
    assert.ok(error instanceof FenceRejectedError, `expected a FenceRejectedError, got ${String(error)}`);
    assert.equal(error.code, 'E_WARP_FENCE_REJECTED');
    assert.deepEqual([error.key, error.attempted, error.accepted], [key, attempted, accepted]);
    return true;
  });
}

const NESTED = {
  id: 7,
  name: 'Zoë ✓ 名前',
  address: { city: 'Kraków', lines: ['1 Main St', ''], geo: { lat: 50.06, lng: 19.94 } },
  roles: [{ name: 'admin', since: '2024-01-01' }],
  active: false,
};

/**
 * The `WarpStore` contract: every store (memory, Redis, a user's adapter over their database) must
 * pass it. `make` returns a fresh, empty store for each test (a new instance, or a new prefix or
 * table on a shared backend). Optional methods (`delete`, `keys`, `getMany`) are checked only when
 * the store has them; the fencing rules only with `fencing: true`.
 *
 * @example
 * storeContract('MemoryStore', () => new MemoryStore());
 */
export function storeContract(name: string, make: () => Promise<WarpStore> | WarpStore, opts: StoreContractOptions = {}): void {
  describe(`${name} (Store contract)`, { skip: opts.skip }, () => {
    let store: WarpStore;

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

    it('accepts writes that carry a fence', async () => {
      await store.set('fenced', { v: 1 }, { fence: 1n });
      await store.set('fenced', { v: 2 }, { fence: 2n });
      assert.deepEqual(await store.get('fenced'), { v: 2 });
      if (store.delete === undefined) return;
      await store.delete('fenced', { fence: 3n });
      assert.equal(await store.get('fenced'), undefined);
    });

    if (opts.fencing !== true) return;

    describe('fencing', () => {
      it('refuses a set fenced lower than the accepted fence, keeping the value', async () => {
        await store.set('acct:1', { balance: 10 }, { fence: 5n });
        await assertFenceRejected(store.set('acct:1', { balance: 99 }, { fence: 4n }), 'acct:1', 4n, 5n);
        assert.deepEqual(await store.get('acct:1'), { balance: 10 });
      });

      it('accepts an equal fence (the same holder retrying) and a higher one, which becomes the bar', async () => {
        await store.set('acct:1', 'first', { fence: 5n });
        await store.set('acct:1', 'retry', { fence: 5n });
        assert.equal(await store.get('acct:1'), 'retry');
        await store.set('acct:1', 'next', { fence: 6n });
        await assertFenceRejected(store.set('acct:1', 'stale', { fence: 5n }), 'acct:1', 5n, 6n);
        assert.equal(await store.get('acct:1'), 'next');
      });

      it('always accepts a write without a fence, and keeps the accepted fence', async () => {
        await store.set('acct:1', 'fenced', { fence: 7n });
        await store.set('acct:1', 'unfenced');
        await store.set('acct:1', 'unfenced again', {});
        assert.equal(await store.get('acct:1'), 'unfenced again');
        await assertFenceRejected(store.set('acct:1', 'stale', { fence: 6n }), 'acct:1', 6n, 7n);
        await store.set('acct:1', 'current', { fence: 7n });
        assert.equal(await store.get('acct:1'), 'current');
      });

      it('accepts any first fence, 0n included, and fences each key on its own', async () => {
        await store.set('a', 'a0', { fence: 0n });
        await store.set('b', 'b9', { fence: 9n });
        await store.set('a', 'a1', { fence: 1n });
        await assertFenceRejected(store.set('b', 'b1', { fence: 1n }), 'b', 1n, 9n);
        assert.deepEqual([await store.get('a'), await store.get('b')], ['a1', 'b9']);
      });

      it('compares fences as integers, beyond 2^53 and across digit counts', async () => {
        const big = 2n ** 63n - 1n; // the largest Redis INCR counter
        await store.set('k', 'nine', { fence: 9n });
        await store.set('k', 'ten', { fence: 10n }); // "10" < "9" as text, not as a number
        await store.set('k', 'big', { fence: big });
        await assertFenceRejected(store.set('k', 'big - 1', { fence: big - 1n }), 'k', big - 1n, big);
        await assertFenceRejected(store.set('k', 'small', { fence: 10n }), 'k', 10n, big);
        assert.equal(await store.get('k'), 'big');
      });

      it('refuses a delete fenced lower than the accepted fence, keeping the value', async (t) => {
        if (store.delete === undefined) return t.skip('no delete');
        await store.set('k', 'v', { fence: 3n });
        await assertFenceRejected(store.delete('k', { fence: 2n }), 'k', 2n, 3n);
        assert.equal(await store.get('k'), 'v');
        await store.delete('k', { fence: 3n });
        assert.equal(await store.get('k'), undefined);
      });

      it('remembers the fence of a deleted key: a stale writer cannot bring it back', async (t) => {
        if (store.delete === undefined) return t.skip('no delete');
        await store.set('k', 'v', { fence: 3n });
        await store.delete('k', { fence: 4n });
        await assertFenceRejected(store.set('k', 'stale', { fence: 3n }), 'k', 3n, 4n);
        assert.equal(await store.get('k'), undefined);
        await store.set('k', 'next', { fence: 4n });
        assert.equal(await store.get('k'), 'next');
      });

      it('keeps the accepted fence across a delete without a fence', async (t) => {
        if (store.delete === undefined) return t.skip('no delete');
        await store.set('k', 'v', { fence: 8n });
        await store.delete('k');
        await assertFenceRejected(store.set('k', 'stale', { fence: 7n }), 'k', 7n, 8n);
        await assertFenceRejected(store.delete('k', { fence: 7n }), 'k', 7n, 8n);
        assert.equal(await store.get('k'), undefined);
      });

      it('lists and reads fenced keys like any other, and nothing of their fences', async (t) => {
        await store.set('f:1', 1, { fence: 1n });
        await store.set('f:2', 2, { fence: 2n });
        await store.set('f:3', 3);
        if (store.delete !== undefined) await store.delete('f:2', { fence: 2n });
        if (store.getMany !== undefined) assert.deepEqual(await store.getMany(['f:1', 'f:2', 'f:3']), [1, undefined, 3]);
        if (store.keys === undefined) return t.skip('no keys');
        assert.deepEqual((await store.keys()).sort(), ['f:1', 'f:3']);
      });
    });
  });
}
