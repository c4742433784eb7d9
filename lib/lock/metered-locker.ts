import type { WarpMetrics } from '../metrics/warp-metrics.interface.js';
import type { LockHandle, WarpLocker, AcquireOptions } from './locker.interface.js';

/**
 * A `WarpLocker` that records how long each acquisition waited and, when the metrics sink wants it, how
 * long the lock was held (at its first release). Closing it leaves the inner locker to its owner.
 */
export class MeteredLocker implements WarpLocker {
  constructor(
    private readonly inner: WarpLocker,
    private readonly metrics: WarpMetrics,
  ) {}

  async acquire(name: string, options: AcquireOptions): Promise<LockHandle> {
    const started = Date.now();
    const handle = await this.inner.acquire(name, options);
    const acquired = Date.now();
    this.metrics.lockWait(acquired - started);
    if (this.metrics.lockHold === undefined) return handle;
    const metrics = this.metrics;
    let released = false;
    return {
      name: handle.name,
      fencingToken: handle.fencingToken,
      get lost() {
        return handle.lost;
      },
      release() {
        if (!released) {
          released = true;
          metrics.lockHold?.(Date.now() - acquired);
        }
        return handle.release();
      },
    };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
