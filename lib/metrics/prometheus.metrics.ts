import { createRequire } from 'node:module';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ObservedWarp, WarpMetrics } from './warp-metrics.interface.js';

/** Options of {@link PrometheusWarpMetrics}. */
export interface PrometheusWarpMetricsOptions {
  /**
   * Registry the metrics are registered in. Default: prom-client's global `register`, the one
   * `PrometheusModule.register()` of `@willsoto/nestjs-prometheus` serves on `/metrics`.
   */
  registry?: Registry;
  /** Buckets, in seconds, of the load, lock-wait and bus-lag histograms. Default 0.5 ms to 10 s. */
  buckets?: number[];
}

const DEFAULT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type PromClient = typeof import('prom-client');
type LabelledCounter = Counter<string>;

/** The metrics of one registry, shared by every `PrometheusWarpMetrics` on it (names register once). */
interface RegistryMetrics {
  hits: LabelledCounter;
  misses: LabelledCounter;
  loads: LabelledCounter;
  loadDuration: Histogram<string>;
  sets: LabelledCounter;
  staleFills: LabelledCounter;
  failSafeServed: LabelledCounter;
  storeErrors: LabelledCounter;
  invalidationsSent: Counter;
  invalidationsReceived: Counter;
  evictions: LabelledCounter;
  busDropped: LabelledCounter;
  busLag: Histogram;
  lockWait: Histogram;
  lockHold: Histogram;
  leaseRevocations: Counter;
  validator: LabelledCounter;
  cacheEntries: Gauge<string>;
  busConnected: Gauge<string>;
  clusterMembers: Gauge<string>;
  /** Engines read by the gauges at scrape time. */
  observed: Set<ObservedWarp>;
}

const byRegistry = new WeakMap<Registry, RegistryMetrics>();

/**
 * Counters of one label value, cached so recording a hit is a `Map` lookup and an increment,
 * with no label object built per call.
 */
class Children<C> {
  private readonly children = new Map<string, C>();
  constructor(private readonly make: (label: string) => C) {}
  of(label: string): C {
    let child = this.children.get(label);
    if (child === undefined) {
      child = this.make(label);
      this.children.set(label, child);
    }
    return child;
  }
}

/**
 * `WarpMetrics` recorded with prom-client. Every metric is named `warp_*`; per-key metrics are
 * labelled by the key's registration `pattern` (`user:*`), never by the raw key, so cardinality
 * stays bounded by the number of registrations. See `docs/metrics.md` for the full list.
 *
 * prom-client is loaded when the first instance is built, so importing Warp does not require it.
 * Several instances on one registry (several Warp modules in one process) share the same metrics.
 *
 * @example
 * // Nest: import PrometheusModule.register() next to WarpModule.forRoot(): built for you, served on /metrics.
 * // Standalone: new Warp({ metrics: new PrometheusWarpMetrics({ registry }) })
 * @throws Error when prom-client is not installed.
 */
export class PrometheusWarpMetrics implements WarpMetrics {
  readonly registry: Registry;
  private readonly m: RegistryMetrics;
  private readonly hits: Children<Counter.Internal>;
  private readonly misses: Children<Counter.Internal>;
  private readonly loads: Children<Counter.Internal>;
  private readonly loadDurations: Children<Histogram.Internal<string>>;
  private readonly sets: Children<Counter.Internal>;
  private readonly staleFills: Children<Counter.Internal>;
  private readonly failSafe: Children<Counter.Internal>;

  constructor(options: PrometheusWarpMetricsOptions = {}) {
    const prom = createRequire(import.meta.url)('prom-client') as PromClient;
    this.registry = options.registry ?? prom.register;
    let metrics = byRegistry.get(this.registry);
    // After `registry.clear()` the cached metrics are gone from the registry: define them again.
    if (metrics === undefined || this.registry.getSingleMetric('warp_cache_hits_total') !== metrics.hits) {
      metrics = defineMetrics(prom, this.registry, options.buckets ?? DEFAULT_BUCKETS);
      byRegistry.set(this.registry, metrics);
    }
    this.m = metrics;
    const m = metrics;
    this.hits = new Children((p) => m.hits.labels(p));
    this.misses = new Children((p) => m.misses.labels(p));
    this.loads = new Children((p) => m.loads.labels(p));
    this.loadDurations = new Children((p) => m.loadDuration.labels(p));
    this.sets = new Children((p) => m.sets.labels(p));
    this.staleFills = new Children((p) => m.staleFills.labels(p));
    this.failSafe = new Children((p) => m.failSafeServed.labels(p));
  }

  hit(pattern: string): void {
    this.hits.of(pattern).inc();
  }

  miss(pattern: string): void {
    this.misses.of(pattern).inc();
  }

  load(pattern: string, durationMs: number): void {
    this.loads.of(pattern).inc();
    this.loadDurations.of(pattern).observe(durationMs / 1000);
  }

  set(pattern: string): void {
    this.sets.of(pattern).inc();
  }

  invalidationsSent(count: number): void {
    this.m.invalidationsSent.inc(count);
  }

  invalidationsReceived(count: number): void {
    this.m.invalidationsReceived.inc(count);
  }

  evictions(count: number, reason: string): void {
    this.m.evictions.labels(reason).inc(count);
  }

  busDropped(reason: string): void {
    this.m.busDropped.labels(reason).inc();
  }

  busLag(ms: number): void {
    this.m.busLag.observe(Math.max(0, ms) / 1000);
  }

  staleFillsDiscarded(pattern: string): void {
    this.staleFills.of(pattern).inc();
  }

  lockWait(ms: number): void {
    this.m.lockWait.observe(ms / 1000);
  }

  lockHold(ms: number): void {
    this.m.lockHold.observe(ms / 1000);
  }

  leaseRevoked(): void {
    this.m.leaseRevocations.inc();
  }

  validator(outcome: 'checked' | 'mismatch' | 'healed', count: number): void {
    this.m.validator.labels(outcome).inc(count);
  }

  failSafeServed(pattern: string): void {
    this.failSafe.of(pattern).inc();
  }

  storeError(pattern: string, operation: 'read' | 'write'): void {
    this.m.storeErrors.labels(pattern, operation).inc();
  }

  /** Reads the engine's cache size, bus connection and membership at every scrape, until detached. */
  observe(target: ObservedWarp): () => void {
    this.m.observed.add(target);
    return () => {
      this.m.observed.delete(target);
      for (const gauge of [this.m.cacheEntries, this.m.busConnected, this.m.clusterMembers]) gauge.remove(target.nodeId);
    };
  }
}

function defineMetrics(prom: PromClient, registry: Registry, buckets: number[]): RegistryMetrics {
  const registers = [registry];
  // A registry may already hold them (metrics built by another copy of this module): reuse them.
  const existing = <M>(name: string): M | undefined => registry.getSingleMetric(name) as M | undefined;
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    existing<LabelledCounter>(name) ?? new prom.Counter({ name, help, labelNames, registers });
  const histogram = (name: string, help: string, labelNames: string[] = []) =>
    existing<Histogram<string>>(name) ?? new prom.Histogram({ name, help, labelNames, buckets, registers });
  const observed = new Set<ObservedWarp>();
  const gauge = (name: string, help: string, read: (warp: ObservedWarp) => number | undefined) =>
    existing<Gauge<string>>(name) ??
    new prom.Gauge({
      name,
      help,
      labelNames: ['node'],
      registers,
      collect(this: Gauge<string>) {
        for (const warp of observed) {
          const value = read(warp);
          if (value !== undefined) this.labels(warp.nodeId).set(value);
        }
      },
    });
  return {
    hits: counter('warp_cache_hits_total', 'Reads answered by the node-local cache tier', ['pattern']),
    misses: counter('warp_cache_misses_total', 'Reads the node-local cache tier could not answer', ['pattern']),
    loads: counter('warp_loads_total', 'Loads from the shared tier, the store or a getOrSet loader', ['pattern']),
    loadDuration: histogram('warp_load_duration_seconds', 'Duration of loads from the store or a loader', ['pattern']),
    sets: counter('warp_sets_total', 'Writes persisted and cached', ['pattern']),
    staleFills: counter('warp_stale_fills_discarded_total', 'Loads not cached because a write or invalidation raced them', ['pattern']),
    failSafeServed: counter('warp_failsafe_served_total', 'Reads served a last known value because the store failed', ['pattern']),
    storeErrors: counter('warp_store_errors_total', 'Store (or shared cache) operations that failed or timed out', ['pattern', 'operation']),
    invalidationsSent: counter('warp_invalidations_sent_total', 'Keys invalidated on peers by this node'),
    invalidationsReceived: counter('warp_invalidations_received_total', 'Keys invalidated here by peers'),
    evictions: counter('warp_evictions_total', 'Entries evicted from the node-local tier', ['reason']),
    busDropped: counter('warp_bus_dropped_total', 'Bus messages rejected (malformed, oversized, unsigned...)', ['reason']),
    busLag: histogram('warp_bus_lag_seconds', 'Delay between publishing an invalidation and a peer receiving it'),
    lockWait: histogram('warp_lock_wait_seconds', 'Time spent acquiring locks'),
    lockHold: histogram('warp_lock_hold_seconds', 'Time locks acquired through Warp were held'),
    leaseRevocations: counter('warp_lease_revocations_total', 'Leases revoked or expired'),
    validator: counter('warp_validator_keys_total', 'Keys the validator checked, found mismatched, or healed', ['outcome']),
    cacheEntries: gauge('warp_cache_entries', 'Entries in the node-local cache tier', (w) => w.status().cacheEntries),
    busConnected: gauge('warp_bus_connected', '1 when the node hears the cluster bus, else 0', (w) => (w.status().connected ? 1 : 0)),
    clusterMembers: gauge('warp_cluster_members', 'Live cluster members seen by this node, itself included', (w) => w.status().members),
    observed,
  };
}
