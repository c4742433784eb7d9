import type { LockHandle, Locker, LockOptions } from '../../lib/lock/locker.interface.js';

/**
 * A locker whose leases last at most `maxTtl` ms, whatever the caller asked for: lets a test
 * outlive a lock's lease (a holder stalled or killed) in a second instead of Warp's 10 s.
 * Renewal still keeps a live holder's lock.
 */
export class TtlCappedLocker implements Locker {
  constructor(
    private readonly inner: Locker,
    private readonly maxTtl: number,
  ) {}

  acquire(name: string, options: Required<LockOptions>): Promise<LockHandle> {
    return this.inner.acquire(name, { ...options, ttl: Math.min(options.ttl, this.maxTtl) });
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
