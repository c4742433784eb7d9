import type { Registry } from 'prom-client';
import { InvalidOptionsError } from '../common/warp.errors.js';
import { PrometheusWarpMetrics } from './prometheus.metrics.js';
import type { WarpMetrics } from './warp-metrics.interface.js';

/**
 * Turns the module's `metrics` option into a sink. `prometheusModule` finds the registry of the
 * app's `PrometheusModule` (`@willsoto/nestjs-prometheus`), if it imports one; it is only called
 * when the option is `true` or left out.
 * - left out: Prometheus metrics in that registry when there is one, else none;
 * - `true`: Prometheus metrics in that registry, else in prom-client's default registry;
 * - `false`: none (the engine then calls `NOOP_METRICS`); an object: used as is.
 * @throws InvalidOptionsError when Prometheus metrics are asked for and prom-client is not installed.
 */
export function createMetrics(option: boolean | WarpMetrics | undefined, prometheusModule: () => Registry | undefined): WarpMetrics | undefined {
  if (option === false) return undefined;
  if (option !== undefined && option !== true) return option;
  const registry = prometheusModule();
  if (option === undefined && registry === undefined) return undefined;
  try {
    return new PrometheusWarpMetrics({ registry });
  } catch (error) {
    throw new InvalidOptionsError(`Invalid Warp option "metrics": true needs prom-client (npm i prom-client): ${String(error)}`, {
      cause: error,
    });
  }
}
