import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { MemoryBus } from '../../../lib/bus/memory.bus.js';
import { Mode } from '../../../lib/common/mode.js';
import { Warp } from '../../../lib/engine/warp.js';
import { PrometheusWarpMetrics } from '../../../lib/metrics/prometheus.metrics.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { metricValue } from '../../helpers/prometheus-text.js';
import { WarpFactory } from '../../helpers/warp-factory.js';

async function sample(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricValue(await registry.metrics(), name, labels);
}

describe('PrometheusWarpMetrics', () => {
  const factory = new WarpFactory();
  afterEach(() => factory.closeAll());

  it('counts hits, misses, loads and sets labelled by registration pattern, never by raw key', async () => {
    const registry = new Registry();
    const store = new MemoryStore<unknown>([['user:1', 'Ada']]);
    const warp = await factory.start({ store, metrics: new PrometheusWarpMetrics({ registry }), keys: [{ key: 'user:*', mode: Mode.StrongLocal }] });
    await warp.get('user:1'); // miss + load
    await warp.get('user:1'); // hit
    await warp.set('user:2', 'Bob');
    assert.equal(await sample(registry, 'warp_cache_misses_total', { pattern: 'user:*' }), 1);
    assert.equal(await sample(registry, 'warp_cache_hits_total', { pattern: 'user:*' }), 1);
    assert.equal(await sample(registry, 'warp_loads_total', { pattern: 'user:*' }), 1);
    assert.equal(await sample(registry, 'warp_sets_total', { pattern: 'user:*' }), 1);
    const text = await registry.metrics();
    assert.doesNotMatch(text, /user:1|user:2/);
    assert.match(text, /warp_load_duration_seconds_count\{pattern="user:\*"\} 1/);
  });

  it('reports cache size, bus connection and membership at scrape time, and forgets a closed engine', async () => {
    const registry = new Registry();
    const bus = new MemoryBus();
    const metrics = new PrometheusWarpMetrics({ registry });
    const a = await factory.start({ bus: bus.node(), nodeId: 'a', metrics, keys: [{ key: 'k:*', mode: Mode.EventualDistributed }] });
    const b = await factory.start({ bus: bus.node(), nodeId: 'b', keys: [{ key: 'k:*', mode: Mode.EventualDistributed }] });
    await a.set('k:1', 1);
    await a.set('k:2', 2);
    await bus.flush();
    assert.equal(await sample(registry, 'warp_cache_entries', { node: 'a' }), 2);
    assert.equal(await sample(registry, 'warp_bus_connected', { node: 'a' }), 1);
    assert.equal(await sample(registry, 'warp_cluster_members', { node: 'a' }), 2);
    await b.close();
    await a.close();
    assert.doesNotMatch(await registry.metrics(), /node="a"/);
  });

  it('shares one set of metrics between instances on the same registry instead of failing to register twice', async () => {
    const registry = new Registry();
    const first = new PrometheusWarpMetrics({ registry });
    const second = new PrometheusWarpMetrics({ registry });
    first.hit('a:*');
    second.hit('a:*');
    assert.equal(await sample(registry, 'warp_cache_hits_total', { pattern: 'a:*' }), 2);
  });

  it('counts invalidations, bus drops, evictions, validator outcomes, fail-safe reads and store errors', async () => {
    const registry = new Registry();
    const metrics = new PrometheusWarpMetrics({ registry });
    metrics.invalidationsSent(3);
    metrics.invalidationsReceived(2);
    metrics.busDropped('oversized');
    metrics.evictions(4, 'lru');
    metrics.validator('mismatch', 1);
    metrics.failSafeServed('p:*');
    metrics.storeError('p:*', 'read');
    metrics.busLag(5);
    metrics.lockWait(1);
    metrics.leaseRevoked();
    assert.equal(await sample(registry, 'warp_invalidations_sent_total'), 3);
    assert.equal(await sample(registry, 'warp_invalidations_received_total'), 2);
    assert.equal(await sample(registry, 'warp_bus_dropped_total', { reason: 'oversized' }), 1);
    assert.equal(await sample(registry, 'warp_evictions_total', { reason: 'lru' }), 4);
    assert.equal(await sample(registry, 'warp_validator_keys_total', { outcome: 'mismatch' }), 1);
    assert.equal(await sample(registry, 'warp_failsafe_served_total', { pattern: 'p:*' }), 1);
    assert.equal(await sample(registry, 'warp_store_errors_total', { pattern: 'p:*', operation: 'read' }), 1);
    assert.equal(await sample(registry, 'warp_lease_revocations_total'), 1);
    assert.match(await registry.metrics(), /warp_bus_lag_seconds_count 1/);
  });
});

describe('lock metrics through the engine', () => {
  it('records how long locks were waited for and held, once per release', async () => {
    const registry = new Registry();
    const warp = new Warp({ metrics: new PrometheusWarpMetrics({ registry }), logger: { log() {}, warn() {}, error() {} } });
    await warp.start();
    try {
      const handle = await warp.lock('report');
      assert.equal(handle.lost, false);
      assert.ok(handle.fencingToken > 0);
      await new Promise((r) => setTimeout(r, 20));
      await handle.release();
      await handle.release();
      await warp.withLock('report', () => undefined);
      const text = await registry.metrics();
      assert.match(text, /warp_lock_wait_seconds_count 2/);
      assert.match(text, /warp_lock_hold_seconds_count 2/);
      const sum = Number(/warp_lock_hold_seconds_sum ([\d.e-]+)/.exec(text)?.[1]);
      assert.ok(sum >= 0.015, `held ${sum}s`);
    } finally {
      await warp.close();
    }
  });
});
