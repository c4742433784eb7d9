import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { keyvApiTests, keyvNamespaceTest, keyvValueTests } from '@keyv/test-suite';
import Keyv from 'keyv';
import { MemoryBus } from '../../../lib/bus/memory.bus.js';
import { Mode } from '../../../lib/core/mode.js';
import type { Warp } from '../../../lib/core/warp.js';
import { WarpKeyvStore } from '../../../lib/keyv/warp-keyv.store.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { eventually } from '../../helpers/deferred.js';
import { WarpFactory } from '../../helpers/warp-factory.js';

/**
 * The slice of vitest's API that @keyv/test-suite calls (`it`, `beforeEach`, `afterEach` and the
 * context's `expect`), mapped onto node:test, so Keyv's own compliance suite runs under our runner.
 */
function vitestShim() {
  const matchers = (actual: unknown, negate = false) => {
    const check = (pass: boolean, message: string) => assert.ok(negate ? !pass : pass, `${negate ? 'not ' : ''}${message}: got ${String(actual)}`);
    return {
      toBe: (expected: unknown) => check(Object.is(actual, expected), `toBe ${String(expected)}`),
      toEqual: (expected: unknown) => (negate ? assert.notDeepEqual(actual, expected) : assert.deepEqual(actual, expected)),
      toBeTruthy: () => check(Boolean(actual), 'toBeTruthy'),
      toBeFalsy: () => check(!actual, 'toBeFalsy'),
      toBeUndefined: () => check(actual === undefined, 'toBeUndefined'),
      toBeDefined: () => check(actual !== undefined, 'toBeDefined'),
      toBeNull: () => check(actual === null, 'toBeNull'),
    };
  };
  const expect = (actual: unknown) => ({ ...matchers(actual), not: matchers(actual, true) });
  return {
    it: (name: string, fn: (context: { expect: typeof expect }) => unknown) => it(name, () => fn({ expect }) as Promise<void>),
    beforeEach: (fn: () => unknown) => beforeEach(fn as () => Promise<void>),
    afterEach: (fn: () => unknown) => afterEach(fn as () => Promise<void>),
  };
}

describe('WarpKeyvStore against the Keyv compliance suite (@keyv/test-suite)', () => {
  const factory = new WarpFactory();
  let warp: Warp;
  beforeEach(async () => {
    warp = await factory.start();
  });
  afterEach(() => factory.closeAll());
  const shim = vitestShim() as never;
  const store = () => new WarpKeyvStore(warp);
  keyvApiTests(shim, Keyv, store);
  keyvValueTests(shim, Keyv, store);
  keyvNamespaceTest(shim, Keyv, store);
  // keyvIteratorTests is not run: Keyv only builds `keyv.iterator` for a Map or for stores whose
  // `opts.dialect` is in its own list of database adapters (sqlite, redis, mongo...).
  // keyvCompressionTests needs a compression adapter and does not concern stores.
});

describe('WarpKeyvStore', () => {
  const factory = new WarpFactory();
  afterEach(() => factory.closeAll());

  it('registers its prefix with the chosen mode and stores Keyv entries under it', async () => {
    const store = new MemoryStore<unknown>();
    const warp = await factory.start({ store });
    const keyv = new Keyv({ store: new WarpKeyvStore(warp, { prefix: 'http:', mode: Mode.StrongLocal, ttl: 1000 }) });
    await keyv.set('page', { html: '<p>' });
    assert.deepEqual(await keyv.get('page'), { html: '<p>' });
    const registration = warp.registrationOf('http:keyv:page');
    assert.equal(registration.pattern, 'http:*');
    assert.equal(registration.mode, Mode.StrongLocal);
    assert.deepEqual(await store.keys('http:'), ['http:keyv:page']);
  });

  it('invalidates peers: a value set through Keyv on one node replaces the one another node cached', async () => {
    const bus = new MemoryBus();
    const shared = new MemoryStore<unknown>();
    const a = new Keyv({ store: new WarpKeyvStore(await factory.start({ bus: bus.node(), store: shared })) });
    const b = new Keyv({ store: new WarpKeyvStore(await factory.start({ bus: bus.node(), store: shared })) });
    await a.set('greeting', 'hello');
    assert.equal(await b.get('greeting'), 'hello'); // b now holds it in its local tier
    await a.set('greeting', 'bonjour');
    await eventually(async () => (await b.get('greeting')) === 'bonjour');
    await a.delete('greeting');
    await eventually(async () => (await b.get('greeting')) === undefined);
  });

  it('explains that clear() needs a store that can list keys', async () => {
    const warp = await factory.start({ store: { get: async () => undefined, set: async () => {} } });
    await assert.rejects(new WarpKeyvStore(warp).clear(), /keys\(prefix\)/);
  });
});
