import { InvalidOptionsError } from '../common/warp.errors.js';
import { PrometheusWarpMetrics } from './prometheus.metrics.js';
import type { WarpMetrics } from './warp-metrics.interface.js';

/**
 * Turns the module's `metrics` option into a sink: `true` records to prom-client's default
 * registry (served by `@willsoto/nestjs-prometheus`), an object is used as is, and `undefined` or
 * `false` means none (the engine then calls `NOOP_METRICS`).
 * @throws InvalidOptionsError when `true` is given and prom-client is not installed.
 */
export function createMetrics(option: boolean | WarpMetrics | undefined): WarpMetrics | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) {
    try {
      return new PrometheusWarpMetrics();
    } catch (error) {
      throw new InvalidOptionsError(`Invalid Warp option "metrics": true needs prom-client (npm i prom-client): ${String(error)}`, {
        cause: error,
      });
    }
  }
  return option;
}
