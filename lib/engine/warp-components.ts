import { randomUUID } from 'node:crypto';
import { BusProtocol } from '../cluster/bus-protocol.js';
import { Cluster } from '../cluster/cluster.js';
import { HybridLogicalClock } from '../common/hlc.js';
import { KeyRegistry } from '../common/registry.js';
import { SingleFlight } from '../common/singleflight.js';
import type { WarpOptions } from '../interfaces/warp-options.interface.js';
import { LeaseManager } from '../lease/lease-manager.js';
import { BoundedLocker } from '../lock/bounded-locker.js';
import { MeteredLocker } from '../lock/metered-locker.js';
import { Validator } from '../validator/validator.js';
import { VersionedCache } from '../versioned/versioned-cache.js';
import { WatchBus } from '../watch/watch-bus.js';
import type { EngineContext } from './engine-context.js';
import { DEFAULT_FAIL_SAFE_MAX_ENTRIES, LastKnownValues } from './fail-safe.js';
import { LocalCoherence } from './local-coherence.js';
import { sharedTierOrderedWithBus } from './publish-order.js';
import { ReadPath } from './read-path.js';
import { Tiers } from './tiers.js';
import { resolveWarpOptions, type ResolvedWarpOptions } from './warp-options.js';
import { resolvePorts, type WarpPorts } from './warp-ports.js';
import { WritePath } from './write-path.js';

/** What the engine's parts call back into its public front (checks included). */
export interface EngineHooks {
  /** `Warp.invalidate`: a lease's keys, cluster-wide. */
  invalidate(key: string): Promise<void>;
  /** The validator's repair of a key found stale. */
  heal(key: string): Promise<void>;
}

/** Every part of one engine, built once by `createWarpComponents`. */
export interface WarpComponents extends WarpPorts, EngineContext {
  readonly incarnation: string;
  readonly cluster: Cluster;
  readonly leases: LeaseManager;
  readonly watchBus: WatchBus;
  readonly validator: Validator;
  readonly readPath: ReadPath;
  readonly writePath: WritePath;
}

/**
 * The composition root of the engine: resolves the options and ports (`resolvePorts`, whose
 * defaults the Nest providers share) and wires the cluster, leases, watch, versions, fail-safe,
 * validator and the read and write paths together.
 */
export function createWarpComponents(options: WarpOptions, hooks: EngineHooks): WarpComponents {
  const resolved: ResolvedWarpOptions = resolveWarpOptions(options);
  const ports = resolvePorts(options);
  const { cache, store, bus, metrics, logger } = ports;
  const nodeId = options.nodeId ?? randomUUID();
  const namespace = resolved.namespace;
  const registry = new KeyRegistry();
  const clock = new HybridLogicalClock();
  const reads = new SingleFlight();
  const computes = new SingleFlight();
  const tiers = new Tiers(
    cache,
    cache.localOnly !== true,
    [reads, computes],
    logger,
    options.storeTimeout,
    resolved.commandTimeout,
    sharedTierOrderedWithBus(cache, bus),
  );
  const lastKnown =
    options.failSafe === undefined ? undefined : new LastKnownValues(options.failSafe.grace, options.failSafe.maxEntries ?? DEFAULT_FAIL_SAFE_MAX_ENTRIES);
  // The write path needs the cluster, which needs the coherence rules, which overtake the write path's writes.
  const paths: { write?: WritePath } = {};
  const coherence = new LocalCoherence(tiers, registry, lastKnown, (keys) => paths.write?.overtake(keys));
  const protocol = new BusProtocol({ namespace, nodeId, secret: options.secret });
  const cluster = new Cluster(
    {
      bus,
      protocol,
      nodeId,
      clock,
      heartbeatInterval: resolved.heartbeatInterval,
      leaseMs: resolved.leaseMs,
      publishTimeout: resolved.publishTimeout,
      quorum: resolved.quorum,
      invalidationDelay: resolved.invalidationDelay,
      metrics,
      logger,
    },
    coherence,
  );
  const leases = new LeaseManager({
    transport: cluster,
    nodeId,
    invalidate: (key) => hooks.invalidate(key),
    dropHere: (keys) => coherence.dropHere(keys),
    evictLocal: (keys) => coherence.evictRevoked(keys),
    metrics,
    logger,
  });
  const versions = options.versions === undefined ? undefined : new VersionedCache(resolved.versions);
  const watchBus = new WatchBus({ transport: cluster, nodeId, namespace, metrics, ...resolved.watch });
  const context: EngineContext = {
    nodeId,
    namespace,
    options: resolved,
    registry,
    clock,
    tiers,
    store,
    cluster,
    locks: new MeteredLocker(new BoundedLocker(ports.locker, resolved.commandTimeout), metrics),
    mergeEngine: ports.merge,
    codec: ports.codec,
    metrics,
    logger,
    reads,
    computes,
    lastKnown,
    versions,
  };
  const readPath = new ReadPath(context);
  const writePath = (paths.write = new WritePath(context));
  const validator = new Validator(
    { cache, metrics, logger, resolve: (key) => registry.resolve(key), readStore: (key) => readPath.readStore(key), heal: (key) => hooks.heal(key) },
    options.validator,
  );
  return { ...ports, ...context, incarnation: protocol.incarnation, cluster, leases, watchBus, validator, readPath, writePath };
}
