import { DeadlineExceeded, withTimeout } from '../common/deadline.js';
import { LockTimeoutError, WarpError } from '../common/warp.errors.js';
import type { AcquireOptions, LockHandle, WarpLocker } from './locker.interface.js';

/**
 * The engine's view of a `WarpLocker`: an acquisition gives up after its `waitTimeout` plus
 * `commandTimeout` (a backend that does not answer, e.g. an ioredis client queueing commands
 * while Redis is down, must not hang the request), and a backend failure is a typed
 * `LockTimeoutError` with the failure as its cause. A lock obtained after its caller gave up is
 * released at once; a release waits at most `commandTimeout` (the lock then expires by its TTL).
 * Closing it leaves the inner locker to its owner.
 */
export class BoundedLocker implements WarpLocker {
  constructor(
    private readonly inner: WarpLocker,
    private readonly commandTimeout: number,
  ) {}

  async acquire(name: string, options: AcquireOptions): Promise<LockHandle> {
    const limit = options.waitTimeout + this.commandTimeout;
    try {
      const handle = await withTimeout(this.inner.acquire(name, options), limit, releaseQuietly);
      return this.boundedRelease(handle);
    } catch (error) {
      if (error instanceof WarpError) throw error;
      const why = error instanceof DeadlineExceeded ? `its backend did not answer within ${limit}ms` : `its backend failed: ${String(error)}`;
      throw new LockTimeoutError(`Lock "${name}" was not acquired: ${why}`, { key: name, cause: error });
    }
  }

  /** A release that waits at most `commandTimeout`: past it the lock expires by its TTL anyway. */
  private boundedRelease(handle: LockHandle): LockHandle {
    const commandTimeout = this.commandTimeout;
    return {
      name: handle.name,
      fencingToken: handle.fencingToken,
      get lost() {
        return handle.lost;
      },
      release: () =>
        withTimeout(handle.release(), commandTimeout).catch((error: unknown) => {
          if (!(error instanceof DeadlineExceeded)) throw error;
        }),
    };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function releaseQuietly(handle: LockHandle): void {
  handle.release().catch(() => undefined);
}
