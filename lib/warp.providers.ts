import { Logger, type Provider } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { MemoryBus } from './bus/memory.bus.js';
import { SyncBus } from './bus/sync-bus.interface.js';
import { isTransportBusOptions, TransportBus } from './bus/transport.bus.js';
import { Cache } from './cache/cache.interface.js';
import { MemoryCache } from './cache/memory.cache.js';
import { Warp } from './core/warp.js';
import type { WarpModuleOptions } from './interfaces/warp-module-options.interface.js';
import { Locker } from './lock/locker.interface.js';
import { defaultLockerAsync } from './lock/default-locker.js';
import { MergeEngine } from './merge/merge.engine.js';
import { MemoryStore } from './store/memory.store.js';
import { Store } from './store/store.interface.js';
import { WARP_INSTANCE } from './warp.constants.js';
import { WARP_MODULE_OPTIONS } from './warp.module-definition.js';
import { createMetrics } from './metrics/create-metrics.js';
import { prometheusModuleRegistry } from './metrics/prometheus-module.js';
import { NOOP_METRICS, type WarpMetrics } from './metrics/warp-metrics.interface.js';
import { engineOptionsOf, validateWarpModuleOptions } from './warp.module-options.js';

/** The metrics sink built once from the `metrics` option, shared by the default cache and the engine. */
const WARP_METRICS = Symbol('WARP_METRICS');
/**
 * The module options once validated: every provider below reads these, so a wrong option fails
 * startup with `InvalidOptionsError` before any backend is built from it.
 */
const WARP_CHECKED_OPTIONS = Symbol('WARP_CHECKED_OPTIONS');

/**
 * One provider per port, each defaulting to its embedded in-memory backend, so any of them can be
 * replaced through options or `Test.overrideProvider(Store)`. The engine is built from them.
 */
export const warpProviders: Provider[] = [
  { provide: WARP_CHECKED_OPTIONS, useFactory: validateWarpModuleOptions, inject: [WARP_MODULE_OPTIONS] },
  {
    provide: WARP_METRICS,
    useFactory: (o: WarpModuleOptions, modules: ModulesContainer) => createMetrics(o.metrics, () => prometheusModuleRegistry(modules)) ?? NOOP_METRICS,
    inject: [WARP_CHECKED_OPTIONS, ModulesContainer],
  },
  {
    provide: Cache,
    useFactory: (o: WarpModuleOptions, metrics: WarpMetrics) =>
      o.cache ?? new MemoryCache({ onEvict: (count, reason) => metrics.evictions(count, reason) }),
    inject: [WARP_CHECKED_OPTIONS, WARP_METRICS],
  },
  { provide: Store, useFactory: (o: WarpModuleOptions) => o.store ?? new MemoryStore(), inject: [WARP_CHECKED_OPTIONS] },
  {
    provide: SyncBus,
    useFactory: (o: WarpModuleOptions) => {
      if (o.bus === undefined) return new MemoryBus();
      return isTransportBusOptions(o.bus) ? new TransportBus(o.bus) : o.bus;
    },
    inject: [WARP_CHECKED_OPTIONS],
  },
  { provide: MergeEngine, useFactory: (o: WarpModuleOptions) => o.merge ?? new MergeEngine(), inject: [WARP_CHECKED_OPTIONS] },
  {
    provide: Locker,
    useFactory: (o: WarpModuleOptions, cache: Cache, store: Store, bus: SyncBus) => o.locks ?? defaultLockerAsync({ cache, store, bus }),
    inject: [WARP_CHECKED_OPTIONS, Cache, Store, SyncBus],
  },
  {
    provide: WARP_INSTANCE,
    useFactory: (options: WarpModuleOptions, cache: Cache, store: Store, bus: SyncBus, merge: MergeEngine, locks: Locker, metrics: WarpMetrics) =>
      new Warp({
        ...engineOptionsOf(options),
        cache,
        store,
        bus,
        merge,
        locks,
        metrics,
        logger: options.logger ?? new Logger('Warp'),
      }),
    inject: [WARP_CHECKED_OPTIONS, Cache, Store, SyncBus, MergeEngine, Locker, WARP_METRICS],
  },
];
