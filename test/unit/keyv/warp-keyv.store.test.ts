import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import Keyv from 'keyv';
import { MemoryBus } from '../../../lib/bus/memory.bus.js';
import { Mode } from '../../../lib/common/mode.js';
import type { Warp } from '../../../lib/engine/warp.js';
import { WarpKeyvStore } from '../../../lib/keyv/warp-keyv.store.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { eventually } from '../../helpers/deferred.js';
import { WarpFactory } from '../../helpers/warp-factory.js';
import { keyvStoreContract } from '../contracts/keyv-store.contract.js';

{
  const factory = new WarpFactory();
  let warp: Warp;
  keyvStoreContract('WarpKeyvStore', () => new WarpKeyvStore(warp), {
    setup: async () => {
      warp = await factory.start();
    },
    teardown: () => factory.closeAll(),
  });
}

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
