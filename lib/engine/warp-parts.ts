import type { Cluster } from '../cluster/cluster.js';
import type { KeyRegistry } from '../common/registry.js';
import type { WarpStatus } from '../interfaces/warp-status.interface.js';
import type { LeaseManager } from '../lease/lease-manager.js';
import type { WarpMetrics } from '../metrics/warp-metrics.interface.js';
import type { VersionedCache } from '../versioned/versioned-cache.js';
import type { WatchBus } from '../watch/watch-bus.js';
import type { WarpComponents } from './warp-components.js';
import type { ResolvedWarpOptions } from './warp-options.js';

/** The key registrations as `Warp.registry` shows them: lookups only. */
export type RegistryView = Pick<KeyRegistry, 'resolve' | 'all' | 'covering'>;

/**
 * The bottom of `Warp`'s front: the components one engine is made of, what it reports about
 * itself (`status()`), and the `@internal` views its own parts and the tests read. Users reach
 * the engine through `Warp`'s operations and `status()`.
 */
export abstract class WarpParts {
  protected constructor(protected readonly components: WarpComponents) {}

  /** Whether `close()` was called. */
  abstract get closed(): boolean;

  /**
   * How this node sees the cluster now: the snapshot health checks, metrics and logs read.
   * Reading changes nothing.
   */
  status(): WarpStatus {
    const { cluster, nodeId, incarnation, cache } = this.components;
    const livePeers = cluster.livePeers();
    return {
      nodeId,
      incarnation,
      connected: cluster.connected,
      livePeers,
      members: livePeers.length + 1,
      duplicateNodeIds: cluster.duplicateNodeIds(),
      closed: this.closed,
      cacheEntries: cache.size,
    };
  }

  /** The key registrations, read-only: `register()` and `unregister()` change them. */
  get registry(): RegistryView {
    return this.components.registry;
  }

  /** @internal The cluster protocol: for the engine's own parts and tests; others read `status()`. */
  get cluster(): Cluster {
    return this.components.cluster;
  }

  /** @internal The lease manager behind `grantLease()` and friends: for tests. */
  get leases(): LeaseManager {
    return this.components.leases;
  }

  /** @internal The watch bus behind `publish()` and `watch()`: for tests. */
  get watchBus(): WatchBus {
    return this.components.watchBus;
  }

  /** @internal The versioned cache behind `history()` and `getAt()`, when the `versions` option is set: for tests. */
  get versions(): VersionedCache | undefined {
    return this.components.versions;
  }

  /** @internal The metrics sink (the `metrics` option): for tests. */
  get metrics(): WarpMetrics {
    return this.components.metrics;
  }

  /** @internal The resolved options: for tests. */
  get options(): ResolvedWarpOptions {
    return this.components.options;
  }
}
