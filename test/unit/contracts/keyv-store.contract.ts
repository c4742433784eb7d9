import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Keyv, { type KeyvStoreAdapter } from 'keyv';

/** Options of a contract run. */
export interface KeyvStoreContractOptions {
  /** Runs before each test: e.g. start a fresh engine the stores of that test share. */
  setup?: () => Promise<void>;
  /** Runs after each test: close what `setup` opened. */
  teardown?: () => Promise<void>;
}

/**
 * The Keyv store adapter contract, as Keyv itself uses a store: the behaviours of Keyv's own
 * compliance suite (`@keyv/test-suite`: api, values, namespaces) that a store over Warp must
 * keep, written for node:test. We own it instead of depending on that package, whose
 * dependencies compile sqlite3 from C on every fresh install.
 *
 * `make` returns a new adapter over the backend of the current test: like Keyv's suite, several
 * `Keyv` instances of one test share that backend through different adapter objects.
 *
 * Not covered, as in Keyv's suite for stores like ours: `keyv.iterator()` (Keyv only builds it
 * for a Map or for its own database adapters) and compression (no concern of a store).
 *
 * @example
 * keyvStoreContract('WarpKeyvStore', () => new WarpKeyvStore(warp), { setup, teardown });
 */
export function keyvStoreContract(name: string, make: () => KeyvStoreAdapter, opts: KeyvStoreContractOptions = {}): void {
  describe(`${name} (Keyv store contract)`, () => {
    const keyv = (namespace?: string) => new Keyv({ store: make(), ...(namespace === undefined ? {} : { namespace }) });

    beforeEach(async () => {
      await opts.setup?.();
      await keyv().clear();
    });
    if (opts.teardown !== undefined) afterEach(opts.teardown);

    describe('get, set, has', () => {
      it('resolves set() to true and get() to the value set', async () => {
        const store = keyv();
        assert.equal(await store.set('foo', 'bar'), true);
        assert.equal(await store.get('foo'), 'bar');
      });

      it('resolves get() of a key never set to undefined', async () => {
        assert.equal(await keyv().get('foo'), undefined);
      });

      it('answers has() from what was set', async () => {
        const store = keyv();
        await store.set('foo', 'bar');
        assert.equal(await store.has('foo'), true);
        assert.equal(await store.has('fizz'), false);
      });

      it('forgets a value once its Keyv TTL has passed', async (t) => {
        const store = keyv();
        await store.set('foo', 'bar', 1000);
        assert.equal(await store.get('foo'), 'bar');
        // Keyv checks its own `expires` against Date.now(): move the clock instead of sleeping.
        const now = Date.now();
        t.mock.method(Date, 'now', () => now + 1001);
        assert.equal(await store.get('foo'), undefined);
        assert.equal(await store.has('foo'), false);
      });
    });

    describe('many keys at once', () => {
      it('reads several keys with get([keys]) in order, undefined where missing', async () => {
        const store = keyv();
        await store.set('foo', 'bar', 3000);
        await store.set('foo2', 'bar2', 3000);
        assert.deepEqual(await store.get(['foo', 'foo1', 'foo2']), ['bar', undefined, 'bar2']);
        assert.deepEqual(await store.get(['none', 'none1', 'none2']), [undefined, undefined, undefined]);
      });

      it('gives undefined in get([keys]) for an expired key and keeps the others', async (t) => {
        const store = keyv();
        await store.set('foo', 'bar');
        await store.set('foo1', 'bar1', 1);
        await store.set('foo2', 'bar2');
        const now = Date.now();
        t.mock.method(Date, 'now', () => now + 30);
        assert.deepEqual(await store.get(['foo', 'foo1', 'foo2']), ['bar', undefined, 'bar2']);
      });

      it('deletes several keys with delete([keys]): true when they existed, false when none did', async () => {
        const store = keyv();
        for (const key of ['foo', 'foo1', 'foo2']) await store.set(key, `value of ${key}`);
        assert.equal(await store.delete(['foo', 'foo1', 'foo2']), true);
        assert.deepEqual(await store.get(['foo', 'foo1', 'foo2']), [undefined, undefined, undefined]);
        assert.equal(await store.delete(['foo', 'foo1', 'foo2']), false);
      });
    });

    describe('delete and clear', () => {
      it('resolves delete() to true for a key that existed, and removes it', async () => {
        const store = keyv();
        await store.set('foo', 'bar');
        assert.equal(await store.delete('foo'), true);
        assert.equal(await store.get('foo'), undefined);
      });

      it('resolves delete() of a missing key to false', async () => {
        assert.equal(await keyv().delete('foo'), false);
      });

      it('removes every entry with clear(), which resolves to undefined', async () => {
        const store = keyv();
        assert.equal(await store.clear(), undefined);
        await store.set('foo', 'bar');
        await store.set('fizz', 'buzz');
        assert.equal(await store.clear(), undefined);
        assert.deepEqual(await store.get(['foo', 'fizz']), [undefined, undefined]);
      });
    });

    describe('values', () => {
      const roundTrips: Array<[string, unknown]> = [
        ['false', false],
        ['null', null],
        ['zero', 0],
        ['a string', 'bar'],
        ['an object', { fizz: 'buzz' }],
        ['a double quote', '"'],
        ['single quotes', "''"],
        ['an object holding a Buffer', { buff: Buffer.from('buzz') }],
      ];
      for (const [label, value] of roundTrips) {
        it(`round-trips ${label}`, async () => {
          const store = keyv();
          await store.set('foo', value);
          assert.deepEqual(await store.get('foo'), value);
        });
      }

      it('round-trips a Buffer', async () => {
        const store = keyv();
        await store.set('foo', Buffer.from('bar'));
        const found = await store.get<Buffer>('foo');
        assert.ok(Buffer.isBuffer(found) && found.equals(Buffer.from('bar')), `got ${String(found)}`);
      });

      it('reads undefined back for a value set to undefined', async () => {
        const store = keyv();
        await store.set('foo', undefined);
        assert.equal(await store.get('foo'), undefined);
      });

      it('rejects a Symbol, which Keyv cannot serialize', async () => {
        await assert.rejects(keyv().set('foo', Symbol('value')), { message: 'symbol cannot be serialized' });
      });

      it("keeps a BigInt through Keyv's serialize/deserialize options", async () => {
        const serialize = (data: unknown) => JSON.stringify(data, (_key, v) => (typeof v === 'bigint' ? `${v}n` : v));
        const deserialize = <T>(text: string) => JSON.parse(text, (_key, v) => (typeof v === 'string' && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v)) as T;
        const store = new Keyv({ store: make(), serialize, deserialize });
        await store.set('foo', 9223372036854775807n);
        assert.equal(await store.get('foo'), 9223372036854775807n);
      });

      it('stores under keys holding quotes', async () => {
        const store = keyv();
        await store.set("'", 'single');
        await store.set('"', 'double');
        assert.equal(await store.get("'"), 'single');
        assert.equal(await store.get('"'), 'double');
      });
    });

    describe('namespaces', () => {
      afterEach(async () => {
        await keyv('keyv1').clear();
        await keyv('keyv2').clear();
      });

      it('keeps the same key in two namespaces apart', async () => {
        const [one, two] = [keyv('keyv1'), keyv('keyv2')];
        await one.set('foo', 'keyv1');
        await two.set('foo', 'keyv2');
        assert.equal(await one.get('foo'), 'keyv1');
        assert.equal(await two.get('foo'), 'keyv2');
      });

      it('deletes only from its own namespace', async () => {
        const [one, two] = [keyv('keyv1'), keyv('keyv2')];
        await one.set('foo', 'keyv1');
        await two.set('foo', 'keyv2');
        assert.equal(await one.delete('foo'), true);
        assert.equal(await one.get('foo'), undefined);
        assert.equal(await two.get('foo'), 'keyv2');
      });

      it('clears only its own namespace', async () => {
        const [one, two] = [keyv('keyv1'), keyv('keyv2')];
        for (const store of [one, two]) {
          await store.set('foo', store.namespace);
          await store.set('bar', store.namespace);
        }
        await one.clear();
        assert.deepEqual(await one.get(['foo', 'bar']), [undefined, undefined]);
        assert.deepEqual(await two.get(['foo', 'bar']), ['keyv2', 'keyv2']);
      });
    });
  });
}
