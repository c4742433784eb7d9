import type { WarpBus } from '../bus/bus.interface.js';
import { MemoryBus } from '../bus/memory.bus.js';
import type { WarpCache } from '../cache/cache.interface.js';
import { MemoryCache } from '../cache/memory.cache.js';
import type { Codec } from '../codec/codec.interface.js';
import { JsonCodec } from '../codec/json.codec.js';
import type { WarpLogger } from '../interfaces/warp-logger.interface.js';
import type { WarpOptions } from '../interfaces/warp-options.interface.js';
import type { WarpLocker } from '../lock/locker.interface.js';
import { MergeEngine } from '../merge/merge.engine.js';
import { NOOP_METRICS, type WarpMetrics } from '../metrics/warp-metrics.interface.js';
import { MemoryStore } from '../store/memory.store.js';
import type { WarpStore } from '../store/store.interface.js';
import { defaultLocker } from './default-locker.js';

/** The pluggable parts of one engine: each the option given, or its default. */
export interface WarpPorts {
  readonly cache: WarpCache;
  readonly store: WarpStore;
  readonly bus: WarpBus;
  readonly merge: MergeEngine;
  readonly codec: Codec;
  readonly locker: WarpLocker;
  readonly metrics: WarpMetrics;
  readonly logger: WarpLogger;
}

/**
 * The default of each port, in one place: `new Warp()` (through `resolvePorts`) and the Nest
 * providers (lib/warp.providers.ts, one provider per port so each can be overridden) both use
 * these. The default locker is `defaultLocker` (`defaultLockerAsync` in Nest).
 */
export const PORT_DEFAULTS = {
  metrics: (): WarpMetrics => NOOP_METRICS,
  /** The embedded L1; its evictions are counted by the engine's metrics. */
  cache: (metrics: WarpMetrics): WarpCache => new MemoryCache({ onEvict: (count, reason) => metrics.evictions(count, reason) }),
  store: (): WarpStore => new MemoryStore(),
  /** A private in-process bus: a cluster of one. */
  bus: (): WarpBus => new MemoryBus(),
  merge: (): MergeEngine => new MergeEngine(),
  codec: (): Codec => new JsonCodec(),
  logger: (): WarpLogger => console,
} as const;

/** The ports of `options`, the absent ones built from `PORT_DEFAULTS`. */
export function resolvePorts(options: WarpOptions): WarpPorts {
  const metrics = options.metrics ?? PORT_DEFAULTS.metrics();
  const cache = options.cache ?? PORT_DEFAULTS.cache(metrics);
  const store = options.store ?? PORT_DEFAULTS.store();
  const bus = options.bus ?? PORT_DEFAULTS.bus();
  return {
    cache,
    store,
    bus,
    merge: options.merge ?? PORT_DEFAULTS.merge(),
    codec: options.codec ?? PORT_DEFAULTS.codec(),
    locker: options.locks ?? defaultLocker({ cache, store, bus }),
    metrics,
    logger: options.logger ?? PORT_DEFAULTS.logger(),
  };
}
