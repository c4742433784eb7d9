import { Logger, type Provider } from '@nestjs/common';
import { WarpBus } from './bus/bus.interface.js';
import { isTransportBusOptions, TransportBus } from './bus/transport.bus.js';
import { WarpCache } from './cache/cache.interface.js';
import { Warp } from './engine/warp.js';
import { PORT_DEFAULTS } from './engine/warp-ports.js';
import type { WarpModuleOptions } from './interfaces/warp-module-options.interface.js';
import { WarpLocker } from './lock/locker.interface.js';
import { defaultLockerAsync } from './engine/default-locker.js';
import { MergeEngine } from './merge/merge.engine.js';
import { WarpStore } from './store/store.interface.js';
import { WARP_INSTANCE } from './warp.constants.js';
import { WARP_MODULE_OPTIONS } from './warp.module-definition.js';
import { createMetrics } from './metrics/create-metrics.js';
import type { WarpMetrics } from './metrics/warp-metrics.interface.js';
import { engineOptionsOf, validateWarpModuleOptions } from './warp.module-options.js';

/** The metrics sink built once from the `metrics` option, shared by the default cache and the engine. */
const WARP_METRICS = Symbol('WARP_METRICS');
/**
 * The module options once validated: every provider below reads these, so a wrong option fails
 * startup with `InvalidOptionsError` before any backend is built from it.
 */
const WARP_CHECKED_OPTIONS = Symbol('WARP_CHECKED_OPTIONS');

/**
 * One provider per port, each defaulting to its embedded in-memory backend (`PORT_DEFAULTS`, the
 * defaults `new Warp()` uses too), so any of them can be replaced through options or
 * `Test.overrideProvider(WarpStore)`. The engine is built from them.
 */
export const warpProviders: Provider[] = [
  { provide: WARP_CHECKED_OPTIONS, useFactory: validateWarpModuleOptions, inject: [WARP_MODULE_OPTIONS] },
  { provide: WARP_METRICS, useFactory: (o: WarpModuleOptions) => createMetrics(o.metrics) ?? PORT_DEFAULTS.metrics(), inject: [WARP_CHECKED_OPTIONS] },
  {
    provide: WarpCache,
    useFactory: (o: WarpModuleOptions, metrics: WarpMetrics) => o.cache ?? PORT_DEFAULTS.cache(metrics),
    inject: [WARP_CHECKED_OPTIONS, WARP_METRICS],
  },
  { provide: WarpStore, useFactory: (o: WarpModuleOptions) => o.store ?? PORT_DEFAULTS.store(), inject: [WARP_CHECKED_OPTIONS] },
  {
    provide: WarpBus,
    useFactory: (o: WarpModuleOptions) => {
      if (o.bus === undefined) return PORT_DEFAULTS.bus();
      return isTransportBusOptions(o.bus) ? new TransportBus(o.bus) : o.bus;
    },
    inject: [WARP_CHECKED_OPTIONS],
  },
  { provide: MergeEngine, useFactory: (o: WarpModuleOptions) => o.merge ?? PORT_DEFAULTS.merge(), inject: [WARP_CHECKED_OPTIONS] },
  {
    provide: WarpLocker,
    useFactory: (o: WarpModuleOptions, cache: WarpCache, store: WarpStore, bus: WarpBus) => o.locks ?? defaultLockerAsync({ cache, store, bus }),
    inject: [WARP_CHECKED_OPTIONS, WarpCache, WarpStore, WarpBus],
  },
  {
    provide: WARP_INSTANCE,
    useFactory: (options: WarpModuleOptions, cache: WarpCache, store: WarpStore, bus: WarpBus, merge: MergeEngine, locks: WarpLocker, metrics: WarpMetrics) =>
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
    inject: [WARP_CHECKED_OPTIONS, WarpCache, WarpStore, WarpBus, MergeEngine, WarpLocker, WARP_METRICS],
  },
];
