/**
 * What the engine reports. Labels are registration patterns, never raw keys (bounded
 * cardinality). The default `NOOP_METRICS` costs one empty call; `PrometheusWarpMetrics`
 * records to prom-client.
 */
export interface WarpMetrics {
  hit(pattern: string): void;
  miss(pattern: string): void;
  load(pattern: string, durationMs: number): void;
  set(pattern: string): void;
  invalidationsSent(count: number): void;
  invalidationsReceived(count: number): void;
  evictions(count: number, reason: string): void;
  busDropped(reason: string): void;
  busLag(ms: number): void;
  staleFillsDiscarded(pattern: string): void;
  lockWait(ms: number): void;
  /** How long a lock acquired through the engine was held, at its release. */
  lockHold?(ms: number): void;
  leaseRevoked(): void;
  validator(outcome: 'checked' | 'mismatch' | 'healed', count: number): void;
  failSafeServed(pattern: string): void;
  /**
   * The store (or a shared cache tier on the read path) failed or timed out. Optional: sinks
   * written before it existed keep working.
   */
  storeError?(pattern: string, operation: 'read' | 'write'): void;
  /**
   * Called once by the engine it is given to, so gauges (cache size, bus connected, members) can
   * be read at scrape time instead of on the hot path. Returns the function that detaches it,
   * called when the engine closes. Optional.
   */
  observe?(target: ObservedWarp): () => void;
}

/** What a metrics sink may read from an engine at scrape time (structural, to avoid an import cycle). */
export interface ObservedWarp {
  readonly nodeId: string;
  /** `Warp.status()`: the fields a gauge reads. */
  status(): { readonly connected: boolean; readonly members: number; readonly cacheEntries?: number };
}

const noop = (): void => {};

/** Metrics that record nothing: the default when `metrics` is off. */
export const NOOP_METRICS: WarpMetrics = {
  hit: noop,
  miss: noop,
  load: noop,
  set: noop,
  invalidationsSent: noop,
  invalidationsReceived: noop,
  evictions: noop,
  busDropped: noop,
  busLag: noop,
  staleFillsDiscarded: noop,
  lockWait: noop,
  leaseRevoked: noop,
  validator: noop,
  failSafeServed: noop,
  storeError: noop,
};
