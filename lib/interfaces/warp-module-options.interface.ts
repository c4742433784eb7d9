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
  /**
   * Prometheus metrics (`warp_*`, see docs/metrics.md) or your own `WarpMetrics`.
   * - left out (default): on when the app imports `PrometheusModule` of
   *   `@willsoto/nestjs-prometheus`, recorded in the registry it serves on its `/metrics`; else off;
   * - `true`: on, in that registry, or in prom-client's default registry without `PrometheusModule`;
   * - `false`: off, even with `PrometheusModule`.
   */
  metrics?: boolean | WarpMetrics;
  /** Run `warmup()` when the application bootstraps. Default false. */
  warmupOnBootstrap?: boolean;
}
