import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { MemoryCache } from '../../../lib/cache/memory.cache.js';
import { Mode } from '../../../lib/common/mode.js';
import type { Warp } from '../../../lib/engine/warp.js';
import { NOOP_METRICS } from '../../../lib/metrics/warp-metrics.interface.js';
import { InvalidOptionsError, LeaseNotFoundError, UnregisteredKeyError, WarpClosedError } from '../../../lib/common/warp.errors.js';
import { ChaosStore } from '../../helpers/chaos.store.js';
import { deferred, eventually } from '../../helpers/deferred.js';
import { WarpFactory } from '../../helpers/warp-factory.js';

describe('leases on one node', () => {
  const warps = new WarpFactory();
  afterEach(() => warps.closeAll());

  async function node(extra: { store?: ChaosStore; revoked?: () => void } = {}) {
    const cache = new MemoryCache();
    const metrics = { ...NOOP_METRICS, leaseRevoked: extra.revoked ?? (() => {}) };
    const warp = await warps.start({ cache, store: extra.store, metrics, keys: [{ key: 'k:*', mode: Mode.EventualDistributed }] });
    return { warp, cache };
  }

  it('grants a lease with an id, its ttl and its expiry time', async () => {
    const { warp } = await node();
    const before = Date.now();
    const lease = await warp.grantLease(60_000);
    assert.equal(typeof lease.id, 'string');
    assert.equal(lease.ttl, 60_000);
    assert.ok(lease.expiresAt >= before + 60_000 && lease.expiresAt <= Date.now() + 60_000);
    assert.notEqual((await warp.grantLease(60_000)).id, lease.id);
  });

  it('invalidates every attached key when revoked, and counts the revocation', async () => {
    let revoked = 0;
    const { warp, cache } = await node({ revoked: () => revoked++ });
    const lease = await warp.grantLease(60_000);
    await warp.set('k:1', 'a');
    await warp.set('k:2', 'b');
    await warp.set('k:3', 'untouched');
    await warp.attachKey(lease.id, 'k:1');
    await warp.attachKey(lease.id, 'k:2');
    await warp.revokeLease(lease.id);
    assert.equal(cache.peek('k:1'), undefined);
    assert.equal(cache.peek('k:2'), undefined);
    assert.equal(cache.peek('k:3')?.value, 'untouched');
    assert.equal(await warp.get('k:1'), 'a'); // the store keeps the value: only the cache was invalidated
    assert.equal(revoked, 1);
  });

  it('throws LeaseNotFoundError for an unknown, revoked or expired lease', async () => {
    const { warp } = await node();
    await assert.rejects(warp.revokeLease('nope'), LeaseNotFoundError);
    const lease = await warp.grantLease(60_000);
    await warp.revokeLease(lease.id);
    await assert.rejects(warp.revokeLease(lease.id), (error: unknown) => error instanceof LeaseNotFoundError && error.key === lease.id);
    await assert.rejects(warp.renewLease(lease.id), LeaseNotFoundError);
    await assert.rejects(warp.attachKey(lease.id, 'k:1'), LeaseNotFoundError);
    const short = await warp.grantLease(20);
    await eventually(() => warp.leases.get(short.id) === undefined);
    await assert.rejects(warp.renewLease(short.id), LeaseNotFoundError);
  });

  it('rejects an invalid ttl and an unregistered key', async () => {
    const { warp } = await node();
    for (const ttl of [0, -1, Number.NaN, Infinity, 2 ** 31]) await assert.rejects(warp.grantLease(ttl), InvalidOptionsError);
    const lease = await warp.grantLease(60_000);
    await assert.rejects(warp.attachKey(lease.id, 'other'), UnregisteredKeyError);
  });

  it('invalidates the attached keys when the lease expires without renewal', async () => {
    const { warp, cache } = await node();
    const lease = await warp.grantLease(50);
    await warp.set('k:1', 'a');
    await warp.attachKey(lease.id, 'k:1');
    assert.equal(cache.peek('k:1')?.value, 'a');
    await eventually(() => cache.peek('k:1') === undefined, 2000);
    assert.equal(warp.leases.get(lease.id), undefined);
  });

  it('stays alive while renewed, and renewal moves the expiry forward', async () => {
    const { warp, cache } = await node();
    const lease = await warp.grantLease(300);
    await warp.set('k:1', 'a');
    await warp.attachKey(lease.id, 'k:1');
    let renewed = lease;
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100)); // testing expiry: 400 ms in all, past the 300 ms ttl
      renewed = await warp.renewLease(lease.id);
    }
    assert.ok(renewed.expiresAt > lease.expiresAt);
    assert.equal(cache.peek('k:1')?.value, 'a');
    await eventually(() => cache.peek('k:1') === undefined, 2000);
  });

  it('does not let a load that started before the revocation fill the cache with the old value', async () => {
    const store = new ChaosStore();
    const { warp, cache } = await node({ store });
    await store.inner.set('k:1', 'old');
    const lease = await warp.grantLease(60_000);
    await warp.attachKey(lease.id, 'k:1');
    const gate = deferred();
    const reached = deferred();
    store.readGate = gate.promise;
    store.onGatedRead = () => reached.resolve();
    const load = warp.get('k:1');
    await reached.promise;
    await warp.revokeLease(lease.id);
    store.readGate = undefined;
    gate.resolve();
    assert.equal(await load, 'old');
    assert.equal(cache.peek('k:1'), undefined);
  });

  it('forgets its leases and refuses new ones once closed', async () => {
    const { warp } = await node();
    const lease = await warp.grantLease(60_000);
    await warp.close();
    assert.equal(warp.leases.size, 0);
    await assert.rejects(warp.grantLease(1000), WarpClosedError);
    await assert.rejects(warp.renewLease(lease.id), WarpClosedError);
  });
});

describe('leases with keys that escape to large messages', () => {
  const factory = new WarpFactory();
  afterEach(() => factory.closeAll());

  async function setAndAttach(warp: Warp, leaseId: string, keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      await warp.set(key, 'v');
      await warp.attachKey(leaseId, key);
    }
  }

  const bigKeys = Array.from({ length: 200 }, (_, i) => `k:${String(i).padStart(3, '0')}${'\u0001'.repeat(1015)}`);

  it('revokes and evicts every key: revocations are split by encoded size', async () => {
    const warp = await factory.start({ keys: [{ key: 'k:*', mode: Mode.StrongLocal }] });
    const lease = await warp.grantLease(60_000);
    await setAndAttach(warp, lease.id, bigKeys);
    await warp.revokeLease(lease.id);
    assert.ok(bigKeys.every((key) => warp.cache.peek?.(key) === undefined));
  });

  it('expires without an unhandled rejection and evicts every key', async () => {
    const warp = await factory.start({ keys: [{ key: 'k:*', mode: Mode.StrongLocal }] });
    const lease = await warp.grantLease(50);
    await setAndAttach(warp, lease.id, bigKeys);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await eventually(() => bigKeys.every((key) => warp.cache.peek?.(key) === undefined), 5000);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
  });
});
