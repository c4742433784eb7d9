import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { LOGICAL_TICKS_PER_MS } from '../../../lib/common/hlc.js';
import { Mode } from '../../../lib/common/mode.js';
import { VersionedCache } from '../../../lib/versioned/versioned-cache.js';
import { InvalidOptionsError, StoreError, UnregisteredKeyError } from '../../../lib/common/warp.errors.js';
import { ChaosStore } from '../../helpers/chaos.store.js';
import { WarpFactory } from '../../helpers/warp-factory.js';

/** An HLC timestamp at wall-clock `ms` with logical counter `tick`. */
const at = (ms: number, tick = 0) => ms * LOGICAL_TICKS_PER_MS + tick;

describe('VersionedCache', () => {
  it('returns the history of a key oldest first, with millisecond timestamps and origins', () => {
    const versions = new VersionedCache();
    versions.record('k', { value: 'a', ts: at(1000), origin: 'n1' });
    versions.record('k', { value: 'b', ts: at(2000, 5), origin: 'n2' });
    assert.deepEqual(versions.history('k'), [
      { value: 'a', ts: 1000, origin: 'n1' },
      { value: 'b', ts: 2000, origin: 'n2' },
    ]);
    assert.deepEqual(versions.history('unknown'), []);
  });

  it('keeps only the last maxVersions values of a key', () => {
    const versions = new VersionedCache({ maxVersions: 3 });
    for (let i = 1; i <= 5; i++) versions.record('k', { value: i, ts: at(i * 100), origin: 'n' });
    assert.deepEqual(versions.history('k').map((v) => v.value), [3, 4, 5]);
  });

  it('orders versions that arrive out of order and ignores duplicates', () => {
    const versions = new VersionedCache({ maxVersions: 3 });
    versions.record('k', { value: 'b', ts: at(200), origin: 'n' });
    versions.record('k', { value: 'a', ts: at(100), origin: 'n' });
    versions.record('k', { value: 'b', ts: at(200), origin: 'n' });
    versions.record('k', { value: 'c', ts: at(300), origin: 'n' });
    versions.record('k', { value: 'too-old', ts: at(50), origin: 'n' });
    assert.deepEqual(versions.history('k').map((v) => v.value), ['a', 'b', 'c']);
  });

  it('answers getAt with the value current at that time, or undefined before the first version', () => {
    const versions = new VersionedCache();
    versions.record('k', { value: 'a', ts: at(1000), origin: 'n' });
    versions.record('k', { value: 'b', ts: at(2000), origin: 'n' });
    assert.equal(versions.getAt('k', 999), undefined);
    assert.equal(versions.getAt('k', 1000), 'a');
    assert.equal(versions.getAt('k', 1999), 'a');
    assert.equal(versions.getAt('k', new Date(2000)), 'b');
    assert.equal(versions.getAt('k', 5000), 'b');
    assert.equal(versions.getAt('unknown', 5000), undefined);
  });

  it('drops the least recently used key beyond maxEntries', () => {
    const versions = new VersionedCache({ maxEntries: 2 });
    versions.record('a', { value: 1, ts: at(1), origin: 'n' });
    versions.record('b', { value: 2, ts: at(2), origin: 'n' });
    versions.history('a'); // a is now more recent than b
    versions.record('c', { value: 3, ts: at(3), origin: 'n' });
    assert.equal(versions.size, 2);
    assert.deepEqual(versions.history('b'), []);
    assert.equal(versions.getAt('a', 10), 1);
    assert.equal(versions.getAt('c', 10), 3);
  });

  it('rejects invalid bounds and invalid times with InvalidOptionsError', () => {
    assert.throws(() => new VersionedCache({ maxVersions: 0 }), InvalidOptionsError);
    assert.throws(() => new VersionedCache({ maxEntries: 1.5 }), InvalidOptionsError);
    assert.throws(() => new VersionedCache().getAt('k', new Date('nope')), InvalidOptionsError);
    assert.throws(() => new VersionedCache().getAt('k', Number.NaN), InvalidOptionsError);
  });
});

describe('Warp history and getAt', () => {
  const warps = new WarpFactory();
  afterEach(() => warps.closeAll());

  it('records every successful set on this node and answers getAt between writes', async () => {
    const warp = await warps.start({ keys: [{ key: 'price:*', mode: Mode.StrongLocal }], versions: { maxVersions: 2 } });
    await warp.set('price:1', 10);
    const history = await warp.history<number>('price:1');
    assert.deepEqual(history.map((v) => [v.value, v.origin]), [[10, warp.nodeId]]);
    const afterFirst = history[0]!.ts;
    await new Promise((resolve) => setTimeout(resolve, 5)); // the next write must land in a later millisecond
    await warp.set('price:1', 20);
    await warp.set('price:1', 30);
    assert.deepEqual((await warp.history<number>('price:1')).map((v) => v.value), [20, 30]);
    assert.equal(await warp.getAt('price:1', Date.now()), 30);
    assert.equal(await warp.getAt('price:1', afterFirst), undefined); // 10 was dropped by maxVersions
  });

  it('does not record a fill from the store, which carries no timestamp', async () => {
    const warp = await warps.start({ keys: [{ key: 'k', mode: Mode.StrongLocal }], versions: {} });
    await warp.store.set('k', 'from-store');
    assert.equal(await warp.get('k'), 'from-store');
    assert.deepEqual(await warp.history('k'), []);
  });

  it('is off unless the versions option is set, and says how to turn it on', async () => {
    const warp = await warps.start({ keys: [{ key: 'k', mode: Mode.StrongLocal }] });
    await warp.set('k', 1);
    await assert.rejects(warp.history('k'), (error: Error) => error instanceof InvalidOptionsError && /versions/.test(error.message));
    await assert.rejects(warp.getAt('k', Date.now()), InvalidOptionsError);
  });

  it('does not record a set the store refused', async () => {
    const store = new ChaosStore();
    const warp = await warps.start({ store, keys: [{ key: 'k', mode: Mode.StrongLocal }], versions: {} });
    store.failWrites = 1;
    await assert.rejects(warp.set('k', 'lost'), StoreError);
    assert.deepEqual(await warp.history('k'), []);
  });

  it('throws UnregisteredKeyError for a key with no registration', async () => {
    const warp = await warps.start();
    await assert.rejects(warp.history('nope'), UnregisteredKeyError);
    await assert.rejects(warp.getAt('nope', Date.now()), UnregisteredKeyError);
  });

  it('validates the versions options at construction', async () => {
    await assert.rejects(warps.start({ versions: { maxVersions: 0 } }), /versions\.maxVersions/);
    await assert.rejects(warps.start({ versions: { maxEntries: -1 } }), /versions\.maxEntries/);
  });
});
