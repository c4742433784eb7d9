import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { MemoryBus } from '../../../lib/bus/memory.bus.js';
import { Mode } from '../../../lib/common/mode.js';
import { PrometheusWarpMetrics } from '../../../lib/metrics/prometheus.metrics.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { digest, type MismatchEvent } from '../../../lib/validator/validator.js';
import { ChaosStore } from '../../helpers/chaos.store.js';
import { deferred, eventually } from '../../helpers/deferred.js';
import { metricValue } from '../../helpers/prometheus-text.js';
import { RecordingLogger, WarpFactory } from '../../helpers/warp-factory.js';

describe('Validator', () => {
  const factory = new WarpFactory();
  afterEach(() => factory.closeAll());

  it('digests equal values equally whatever their key order, and different values differently', () => {
    assert.equal(digest({ a: 1, b: { c: [1, 2], d: null } }), digest({ b: { d: null, c: [1, 2] }, a: 1 }));
    assert.notEqual(digest({ a: 1 }), digest({ a: 2 }));
    assert.notEqual(digest('1'), digest(1));
    assert.notEqual(digest(JSON.parse('{"__proto__":{"x":1}}')), digest({}));
  });

  it('in noop mode counts a value changed in the store behind Warp\'s back and leaves the cache alone', async () => {
    const store = new MemoryStore<unknown>();
    const registry = new Registry();
    const warp = await factory.start({ store, metrics: new PrometheusWarpMetrics({ registry }), keys: [{ key: 'user:*', mode: Mode.StrongLocal }] });
    await warp.set('user:1', { name: 'Ada' });
    await warp.set('user:2', { name: 'Bob' });
    await store.set('user:1', { name: 'Changed' });
    const report = await warp.validator.runOnce();
    assert.deepEqual(report, { checked: 2, mismatched: 1, healed: 0, errors: [] });
    assert.deepEqual(await warp.get('user:1'), { name: 'Ada' });
    const text = await registry.metrics();
    assert.equal(metricValue(text, 'warp_validator_keys_total', { outcome: 'checked' }), 2);
    assert.equal(metricValue(text, 'warp_validator_keys_total', { outcome: 'mismatch' }), 1);
  });

  it('in alert mode logs, counts and tells onMismatch listeners, without healing', async () => {
    const store = new MemoryStore<unknown>();
    const logger = new RecordingLogger();
    const warp = await factory.start({
      store,
      logger,
      validator: { mode: 'alert', interval: 60_000 },
      keys: [{ key: 'user:*', mode: Mode.StrongLocal }],
    });
    const events: MismatchEvent[] = [];
    const remove = warp.validator.onMismatch((event) => events.push(event));
    await warp.set('user:1', 'a');
    await store.set('user:1', 'b');
    const report = await warp.validator.runOnce();
    assert.equal(report.mismatched, 1);
    assert.equal(report.healed, 0);
    assert.equal(events.length, 1);
    assert.deepEqual({ ...events[0], cachedDigest: undefined }, { key: 'user:1', pattern: 'user:*', cachedDigest: undefined, storeDigest: digest('b'), healed: false });
    assert.ok(logger.lines.some((line) => line.startsWith('warn: Warp validator') && line.includes('user:1')));
    assert.equal(await warp.get('user:1'), 'a');
    remove();
    await warp.validator.runOnce();
    assert.equal(events.length, 1, 'a removed listener hears nothing');
  });

  it('in autoheal mode replaces the cached value from the store and invalidates the key on peers', async () => {
    const bus = new MemoryBus();
    const store = new MemoryStore<unknown>();
    const keys = [{ key: 'product:*', mode: Mode.EventualDistributed }];
    const healer = await factory.start({ bus: bus.node(), store, keys, validator: { mode: 'autoheal', interval: 60_000 } });
    const peer = await factory.start({ bus: bus.node(), store, keys });
    await healer.set('product:1', { price: 10 });
    await bus.flush();
    assert.deepEqual(await peer.get('product:1'), { price: 10 }); // the peer caches it too
    await store.set('product:1', { price: 12 }); // a write that bypassed Warp
    const report = await healer.validator.runOnce();
    assert.deepEqual(report, { checked: 1, mismatched: 1, healed: 1, errors: [] });
    assert.deepEqual(healer.cache.peek!('product:1')?.value, { price: 12 }, 'the healer cached the store value');
    // Eventual invalidations leave in a batch within invalidationDelay: wait for it, do not sleep.
    await eventually(() => peer.cache.peek!('product:1') === undefined);
    assert.deepEqual(await peer.get('product:1'), { price: 12 });
    assert.deepEqual(await healer.validator.runOnce(), { checked: 1, mismatched: 0, healed: 0, errors: [] });
  });

  it('checks at most batchSize keys per run, continuing where the last run stopped', async () => {
    const warp = await factory.start({ validator: { mode: 'noop', interval: 60_000, batchSize: 2 }, keys: [{ key: 'k:*', mode: Mode.StrongLocal }] });
    for (let i = 0; i < 5; i++) await warp.set(`k:${i}`, i);
    const checked = [];
    for (let run = 0; run < 4; run++) checked.push((await warp.validator.runOnce()).checked);
    assert.deepEqual(checked, [2, 2, 1, 2]);
  });

  it('runs on its interval and stops when Warp closes', async () => {
    const store = new MemoryStore<unknown>();
    const warp = await factory.start({ store, validator: { mode: 'alert', interval: 5 }, keys: [{ key: 'k:*', mode: Mode.StrongLocal }] });
    await warp.set('k:1', 1);
    const heard = deferred<MismatchEvent>();
    warp.validator.onMismatch(heard.resolve);
    await store.set('k:1', 2);
    // The validator's timer is unref'ed by design: keep the process alive while waiting for it.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      assert.equal((await heard.promise).key, 'k:1');
    } finally {
      clearInterval(keepAlive);
    }
    await warp.close();
    assert.equal((warp.validator as unknown as { timer?: unknown }).timer, undefined);
  });

  it('reports a key whose store read fails instead of rejecting the run', async () => {
    const store = new ChaosStore<unknown>();
    const warp = await factory.start({ store, keys: [{ key: 'k:*', mode: Mode.StrongLocal }] });
    await warp.set('k:1', 1);
    await warp.set('k:2', 2);
    store.failReads = 1;
    const report = await warp.validator.runOnce();
    assert.equal(report.checked, 1);
    assert.equal(report.errors.length, 1);
    assert.equal(report.errors[0]!.error.name, 'StoreError');
  });

  it('does not report a key a listener sees as consistent: equal values stored with another key order', async () => {
    const store = new MemoryStore<unknown>();
    const warp = await factory.start({ store, keys: [{ key: 'k:*', mode: Mode.StrongLocal }] });
    await warp.set('k:1', { a: 1, b: 2 });
    await store.set('k:1', { b: 2, a: 1 });
    assert.equal((await warp.validator.runOnce()).mismatched, 0);
  });

  it('rejects invalid validator options with InvalidOptionsError', async () => {
    for (const validator of [null, { mode: 'fix', interval: 1 }, { mode: 'noop', interval: 0 }, { mode: 'noop', interval: 1, batchSize: 1.5 }, { mode: 'noop', interval: 2 ** 31 }]) {
      await assert.rejects(factory.start({ validator: validator as never }), { name: 'InvalidOptionsError' });
    }
  });
});
