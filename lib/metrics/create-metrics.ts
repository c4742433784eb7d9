import { InvalidOptionsError } from '../warp.errors.js';
import type { WarpMetrics } from './warp-metrics.interface.js';

/** Turns the module's `metrics` option into a sink; `undefined` means none (zero cost). */
export function createMetrics(option: boolean | WarpMetrics | undefined): WarpMetrics | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) {
    throw new InvalidOptionsError('Invalid Warp option "metrics": built-in Prometheus metrics are not available yet; pass a WarpMetrics object');
  }
  return option;
}
