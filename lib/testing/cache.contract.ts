import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import type { WarpCache } from '../cache/cache.interface.js';
import type { Envelope } from '../common/envelope.js';
import { eventually } from './eventually.js';

/** Options of a contract run. */
export interface CacheContractOptions {
  /** Skip reason (e.g. from `skipUnless('redis')`), or `false` to run. */
  skip?: string | false;
  /** Runs once after the suite: close connections, delete leftover keys. */
  cleanup?: () => Promise<void>;
}

/** Long enough never to expire during a test. */
const LONG_TTL = 60_000;
/** Short enough to expire within a poll. */
const SHORT_TTL = 50;

let clock = 1;
/** A fresh envelope; `ts` grows so two entries never compare equal by accident. */
function envelope(value: unknown, origin = 'node-a'): Envelope {
  return { value, ts: clock++, origin };
}

/** The envelope's own fields: a backend may return an object carrying more (a memory tier's expiry). */
function fields(found: Envelope | undefined): Envelope | undefined {
  return found === undefined ? undefined : { value: found.value, ts: found.ts, origin: found.origin };
}

const NESTED = {
  id: 42,
  name: 'Zoë ✓ 名前',
  tags: ['a', 'b'],
  profile: { active: true, score: 1.5, parent: null, items: [{ sku: 'x-1', qty: 2 }, []] },
};

/**
 * The `WarpCache` contract: every backend (memory, Redis, tiered...) must pass it. `make` returns a
 * fresh, empty cache for each test (a new instance, or a new prefix on a shared backend); the
 * suite clears and closes it after the test. Optional methods (`peek`, `evictLocal`,
 * `clearLocal`, `setIfAbsent`, `getWithTtl`, `size`) are checked only when the backend has them.
 *
 * @example
 * cacheContract('MemoryCache', () => new MemoryCache());
 */
export function cacheContract(name: string, make: () => Promise<WarpCache> | WarpCache, opts: CacheContractOptions = {}): void {
  describe(`${name} (Cache contract)`, { skip: opts.skip }, () => {
    let cache: WarpCache;

    beforeEach(async () => {
      cache = await make();
    });

    afterEach(async () => {
      await cache.clear();
      await cache.close?.();
    });

    if (opts.cleanup !== undefined) after(opts.cleanup);

    /** Writes `key` with a short ttl and waits until it is gone: entries written before with a short ttl are gone too. */
    const expire = async (key = 'probe'): Promise<void> => {
      await cache.set(key, envelope('short-lived'), SHORT_TTL);
      await eventually(async () => (await cache.get(key)) === undefined, 5_000);
    };

    it('returns undefined for a key that was never set', async () => {
      assert.equal(await cache.get('missing'), undefined);
    });

    it('returns an envelope with a nested JSON value as it was set', async () => {
      const entry = envelope(NESTED, 'node-ü');
      await cache.set('user:1', entry);
      assert.deepEqual(fields(await cache.get('user:1')), entry);
    });

    it('round-trips scalar values, empty containers and unicode keys', async () => {
      const values: Array<[string, unknown]> = [
        ['s', 'text'],
        ['empty-string', ''],
        ['n', -0.25],
        ['zero', 0],
        ['t', true],
        ['f', false],
        ['null', null],
        ['arr', []],
        ['obj', {}],
        ['ключ:🔑', 'значение'],
      ];
      for (const [key, value] of values) await cache.set(key, envelope(value), LONG_TTL);
      for (const [key, value] of values) assert.deepEqual((await cache.get(key))?.value, value, `value of ${key}`);
    });

    it('replaces an entry on overwrite', async () => {
      await cache.set('k', envelope('old'));
      const newer = envelope({ v: 'new' }, 'node-b');
      await cache.set('k', newer);
      assert.deepEqual(fields(await cache.get('k')), newer);
    });

    it('expires an entry after its ttl', async () => {
      await cache.set('long', envelope('stays'), LONG_TTL);
      await expire('short');
      assert.equal((await cache.get('long'))?.value, 'stays');
    });

    it('keeps an entry whose ttl is 0 or undefined', async () => {
      await cache.set('zero', envelope('z'), 0);
      await cache.set('none', envelope('n'));
      await expire();
      assert.equal((await cache.get('zero'))?.value, 'z');
      assert.equal((await cache.get('none'))?.value, 'n');
    });

    it('gives an overwritten entry the new ttl', async () => {
      await cache.set('k', envelope('first'), SHORT_TTL);
      await cache.set('k', envelope('second'), LONG_TTL);
      await expire();
      assert.equal((await cache.get('k'))?.value, 'second');
    });

    it('deletes an entry', async () => {
      await cache.set('k', envelope('v'));
      await cache.set('other', envelope('o'));
      await cache.delete('k');
      assert.equal(await cache.get('k'), undefined);
      assert.equal((await cache.get('other'))?.value, 'o');
    });

    it('accepts deleting a missing key', async () => {
      await cache.delete('never-set');
      assert.equal(await cache.get('never-set'), undefined);
    });

    it('clears every entry', async () => {
      await cache.set('a', envelope(1));
      await cache.set('b', envelope(2), LONG_TTL);
      await cache.clear();
      assert.equal(await cache.get('a'), undefined);
      assert.equal(await cache.get('b'), undefined);
      assert.deepEqual(await cache.keys(), []);
    });

    it('lists the keys it holds, including keys with glob characters', async () => {
      const keys = ['user:1', 'user:2', 'order:*', 'a?[b]\\c', 'ключ'];
      for (const key of keys) await cache.set(key, envelope(key), LONG_TTL);
      assert.deepEqual((await cache.keys()).sort(), [...keys].sort());
      await cache.delete('user:1');
      assert.deepEqual((await cache.keys()).sort(), keys.filter((key) => key !== 'user:1').sort());
    });

    it('lists no keys when empty', async () => {
      assert.deepEqual(await cache.keys(), []);
    });

    describe('setIfAbsent', () => {
      it('writes when the key is absent and reports it', async (t) => {
        if (cache.setIfAbsent === undefined) return t.skip('no setIfAbsent');
        const entry = envelope('filled');
        assert.equal(await cache.setIfAbsent('k', entry, LONG_TTL), true);
        assert.deepEqual(fields(await cache.get('k')), entry);
      });

      it('leaves an existing entry alone and reports it', async (t) => {
        if (cache.setIfAbsent === undefined) return t.skip('no setIfAbsent');
        const current = envelope('current');
        await cache.set('k', current);
        assert.equal(await cache.setIfAbsent('k', envelope('fill')), false);
        assert.deepEqual(fields(await cache.get('k')), current);
      });

      it('writes again once the entry expired or was deleted', async (t) => {
        if (cache.setIfAbsent === undefined) return t.skip('no setIfAbsent');
        assert.equal(await cache.setIfAbsent('k', envelope('first'), SHORT_TTL), true);
        await eventually(async () => (await cache.get('k')) === undefined, 5_000);
        assert.equal(await cache.setIfAbsent('k', envelope('second'), LONG_TTL), true);
        await cache.delete('k');
        assert.equal(await cache.setIfAbsent('k', envelope('third')), true);
        assert.equal((await cache.get('k'))?.value, 'third');
      });

      it('lets exactly one of concurrent fills win', async (t) => {
        if (cache.setIfAbsent === undefined) return t.skip('no setIfAbsent');
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => cache.setIfAbsent!('race', envelope(i), LONG_TTL)),
        );
        assert.equal(results.filter(Boolean).length, 1);
        assert.equal((await cache.get('race'))?.value, results.indexOf(true));
      });
    });

    describe('getWithTtl', () => {
      it('returns undefined for a missing key', async (t) => {
        if (cache.getWithTtl === undefined) return t.skip('no getWithTtl');
        assert.equal(await cache.getWithTtl('missing'), undefined);
      });

      it('returns the entry with its remaining ttl, or undefined ttl when it never expires', async (t) => {
        if (cache.getWithTtl === undefined) return t.skip('no getWithTtl');
        const entry = envelope(NESTED);
        await cache.set('ttl', entry, LONG_TTL);
        await cache.set('forever', entry);
        const withTtl = await cache.getWithTtl('ttl');
        assert.ok(withTtl !== undefined);
        assert.deepEqual(fields(withTtl.entry), entry);
        assert.ok(withTtl.ttlMs !== undefined && withTtl.ttlMs > 0 && withTtl.ttlMs <= LONG_TTL, `ttl ${withTtl.ttlMs}`);
        const forever = await cache.getWithTtl('forever');
        assert.deepEqual(fields(forever?.entry), entry);
        assert.equal(forever?.ttlMs, undefined);
      });
    });

    describe('node-local tier', () => {
      it('peeks at an entry synchronously', async (t) => {
        if (cache.peek === undefined) return t.skip('no node-local tier');
        const entry = envelope(NESTED);
        await cache.set('k', entry);
        assert.deepEqual(fields(cache.peek('k')), entry);
        assert.equal(cache.peek('missing'), undefined);
      });

      it('peeks past an expired entry', async (t) => {
        if (cache.peek === undefined) return t.skip('no node-local tier');
        await cache.set('k', envelope('v'), SHORT_TTL);
        await eventually(() => cache.peek!('k') === undefined, 5_000);
      });

      it('evicts keys from the local tier only, never changing what get returns to another value', async (t) => {
        if (cache.evictLocal === undefined || cache.peek === undefined) return t.skip('no node-local tier');
        const a = envelope('a');
        await cache.set('a', a);
        await cache.set('b', envelope('b'));
        cache.evictLocal(['a', 'missing']);
        assert.equal(cache.peek('a'), undefined);
        assert.equal(cache.peek('b')?.value, 'b');
        // A single-tier cache has lost the entry; a tiered one still has it in its shared tier.
        const after = await cache.get('a');
        assert.ok(after === undefined || after.value === 'a', 'get returns the entry or nothing');
      });

      it('clears the local tier, or only the keys a predicate selects', async (t) => {
        if (cache.clearLocal === undefined || cache.peek === undefined) return t.skip('no node-local tier');
        for (const key of ['user:1', 'user:2', 'order:1']) await cache.set(key, envelope(key));
        cache.clearLocal((key) => key.startsWith('user:'));
        assert.equal(cache.peek('user:1'), undefined);
        assert.equal(cache.peek('user:2'), undefined);
        assert.equal(cache.peek('order:1')?.value, 'order:1');
        cache.clearLocal();
        assert.equal(cache.peek('order:1'), undefined);
      });

      it('counts the entries of the local tier', async (t) => {
        if (cache.size === undefined) return t.skip('no size');
        assert.equal(cache.size, 0);
        await cache.set('a', envelope(1));
        await cache.set('b', envelope(2));
        assert.equal(cache.size, 2);
        await cache.delete('a');
        assert.equal(cache.size, 1);
      });
    });
  });
}
