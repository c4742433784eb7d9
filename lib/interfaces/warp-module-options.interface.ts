import type { WarpBus } from '../bus/bus.interface.js';
import type { TransportBusOptions } from '../bus/transport.bus.js';
import type { WarpMetrics } from '../metrics/warp-metrics.interface.js';
import type { WarpOptions } from './warp-options.interface.js';

/**
 * Options of `WarpModule.forRoot()` / `forRootAsync()`: the engine's options, where `bus` may
 * also be Nest microservice client options (`{ transport: Transport.REDIS, options: {...} }`),
 * which Warp turns into a `TransportBus` it owns and closes.
 */
export interface WarpModuleOptions extends Omit<WarpOptions, 'bus' | 'metrics'> {
  bus?: WarpBus | TransportBusOptions;
  /** `true` registers Prometheus metrics (prom-client); or pass your own `WarpMetrics`. Default off. */
  metrics?: boolean | WarpMetrics;
  /** Run `warmup()` when the application bootstraps. Default false. */
  warmupOnBootstrap?: boolean;
}
