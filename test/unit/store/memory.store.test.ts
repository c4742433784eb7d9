import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { DEFAULT_FENCE_TOMBSTONE_TTL, toFence } from '../../../lib/store/fence.js';
import { FenceLedger } from '../../../lib/store/fence-ledger.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { FenceRejectedError, InvalidOptionsError } from '../../../lib/common/warp.errors.js';

describe('MemoryStore fencing', () => {
  beforeEach(() => mock.timers.enable({ apis: ['Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('forgets the fence of a deleted key after fenceTombstoneTtl, not before', async () => {
    const store = new MemoryStore<string>(undefined, { fenceTombstoneTtl: 60_000 });
    await store.set('k', 'v', { fence: 5n });
    await store.delete('k', { fence: 5n });
    mock.timers.tick(59_999);
    await assert.rejects(store.set('k', 'stale', { fence: 4n }), FenceRejectedError);
    mock.timers.tick(1);
    await store.set('k', 'fresh start', { fence: 1n });
    assert.equal(await store.get('k'), 'fresh start');
  });

  it('keeps a live fence for as long as the value, however long that is', async () => {
    const store = new MemoryStore<string>(undefined, { fenceTombstoneTtl: 1_000 });
    await store.set('k', 'v', { fence: 5n });
    mock.timers.tick(10 * DEFAULT_FENCE_TOMBSTONE_TTL);
    await assert.rejects(store.set('k', 'stale', { fence: 4n }), FenceRejectedError);
  });

  it('rejects a fence that is not a bigint >= 0n, changing nothing', async () => {
    const store = new MemoryStore<string>();
    for (const fence of [-1n, 3, '3', null] as unknown[]) {
      await assert.rejects(store.set('k', 'v', { fence } as never), InvalidOptionsError);
      await assert.rejects(store.delete('k', { fence } as never), InvalidOptionsError);
    }
    await assert.rejects(store.set('k', 'v', 'fence' as never), InvalidOptionsError);
    assert.equal(await store.get('k'), undefined);
  });

  it('rejects a fenceTombstoneTtl that is not a number of ms > 0', () => {
    for (const fenceTombstoneTtl of [0, -1, Number.NaN, Infinity, '10' as never]) {
      assert.throws(() => new MemoryStore(undefined, { fenceTombstoneTtl }), /MemoryStore option "fenceTombstoneTtl"/);
    }
  });
});

describe('FenceLedger', () => {
  beforeEach(() => mock.timers.enable({ apis: ['Date'], now: 0 }));
  afterEach(() => mock.timers.reset());

  it('sweeps expired tombstones as writes go on, so deleted keys do not pile up', () => {
    const ledger = new FenceLedger(100);
    for (let i = 0; i < 1_000; i++) ledger.deleteDone(`old:${i}`, 1n);
    mock.timers.tick(100);
    for (let i = 0; i < 100; i++) ledger.setDone(`new:${i}`, 1n);
    assert.equal(ledger.size, 100);
  });

  it('keeps no record for keys never written with a fence', () => {
    const ledger = new FenceLedger(100);
    ledger.setDone('a', undefined);
    ledger.deleteDone('b', undefined);
    assert.equal(ledger.size, 0);
  });
});

describe('toFence', () => {
  it('turns a lock fencing token (number or bigint) into a store fence', () => {
    assert.equal(toFence(42), 42n);
    assert.equal(toFence(0), 0n);
    assert.equal(toFence(2n ** 64n), 2n ** 64n);
  });

  it('rejects what is not a non-negative integer', () => {
    for (const token of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1, -1n]) {
      assert.throws(() => toFence(token), InvalidOptionsError, String(token));
    }
  });
});
