import { withTimeout } from '../common/deadline.js';
import type { WarpComponents } from './warp-components.js';

/**
 * `Warp.close()`'s steps, in order, each given what is left of `shutdownTimeout`: what does not
 * finish is logged and left behind (the buses drop their connections on their own when a
 * graceful close hangs).
 */
export async function shutDown(parts: WarpComponents, startup: Promise<void> | undefined, detachMetrics: (() => void) | undefined): Promise<void> {
  const { shutdownTimeout } = parts.options;
  const deadline = performance.now() + shutdownTimeout;
  const unfinished: string[] = [];
  const step = async (what: string, operation: Promise<unknown> | undefined): Promise<void> => {
    try {
      await withTimeout(Promise.resolve(operation), Math.max(0, deadline - performance.now()));
    } catch (error) {
      unfinished.push(`${what} (${error instanceof Error ? error.message : String(error)})`);
    }
  };
  await step('start-up', startup);
  // Writes already past their checks finish and queue their invalidations before the flush.
  await step('writes in flight', parts.writePath.idle());
  parts.validator.stop();
  parts.leases.close();
  parts.watchBus.close();
  await step('the goodbye to peers', parts.cluster.close());
  detachMetrics?.();
  await Promise.all([step('the locker', parts.locker.close()), step('the cache', parts.cache.close?.()), step('the bus', parts.bus.close())]);
  if (unfinished.length > 0) {
    parts.logger.warn(`Warp: close() did not finish within shutdownTimeout (${shutdownTimeout} ms): ${unfinished.join('; ')}`);
  }
}
