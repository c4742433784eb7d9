import type { Codec } from '../codec/codec.interface.js';
import type { WarpLogger } from '../interfaces/warp-logger.interface.js';
import type { MeteredLocker } from '../lock/metered-locker.js';
import type { MergeEngine } from '../merge/merge.engine.js';
import type { WarpMetrics } from '../metrics/warp-metrics.interface.js';
import type { WarpStore } from '../store/store.interface.js';
import type { VersionedCache } from '../versioned/versioned-cache.js';
import type { Cluster } from '../cluster/cluster.js';
import type { LastKnownValues } from './fail-safe.js';
import type { HybridLogicalClock } from '../common/hlc.js';
import { Mode } from '../common/mode.js';
import type { KeyRegistry, Registration } from '../common/registry.js';
import type { SingleFlight } from '../common/singleflight.js';
import type { Tiers } from './tiers.js';
import type { ResolvedWarpOptions } from './warp-options.js';

/** The parts the read and write paths share, built once by the engine. */
export interface EngineContext {
  readonly nodeId: string;
  readonly namespace: string;
  readonly options: ResolvedWarpOptions;
  readonly registry: KeyRegistry;
  readonly clock: HybridLogicalClock;
  readonly tiers: Tiers;
  readonly store: WarpStore;
  readonly cluster: Cluster;
  readonly locks: MeteredLocker;
  readonly mergeEngine: MergeEngine;
  /** The value rule: what every tier must be able to hold (the JSON codec unless configured). */
  readonly codec: Codec;
  readonly metrics: WarpMetrics;
  readonly logger: WarpLogger;
  /** Loads of `get` and warmup, per key. */
  readonly reads: SingleFlight;
  /** Loader calls of `getOrSet` and the decorators, per key. */
  readonly computes: SingleFlight;
  readonly lastKnown?: LastKnownValues;
  readonly versions?: VersionedCache;
}

/**
 * Whether this node may serve `key` from its cache tiers, and fill them, right now: always, except
 * a StrongDistributed key while this node's read lease is not held, it is not yet admitted, or a
 * write of the key is pending somewhere (docs/consistency.md).
 */
export function mayUseTiers(context: EngineContext, key: string, registration: Registration): boolean {
  return registration.mode !== Mode.StrongDistributed || context.cluster.mayCacheStrong(key);
}

/** The message of any thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
