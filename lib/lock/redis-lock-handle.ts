import { WatchedLockHandle } from './lock-handle.js';

/** The locker's side of a handle: what the watchdog and `release()` need from Redis. */
export interface HandleOps {
  renew(handle: RedisLockHandle): Promise<boolean>;
  unlock(handle: RedisLockHandle): Promise<boolean>;
  onLost(handle: RedisLockHandle): void;
}

/** A `RedisLocker`'s handle: the watchdog renews it through the locker, which knows the script and client. */
export class RedisLockHandle extends WatchedLockHandle {
  #renewing = false;

  constructor(
    private readonly ops: HandleOps,
    name: string,
    fencingToken: number,
    ttl: number,
    acquiredAt: number,
    readonly key: string,
    readonly token: string,
  ) {
    super(name, fencingToken, ttl, acquiredAt);
  }

  protected renew(): void {
    // A renewal still in flight (slow or unreachable Redis) is not doubled; if none succeeds
    // before the lease ends, the next tick marks the handle lost.
    if (this.#renewing) return;
    this.#renewing = true;
    const startedAt = Date.now();
    this.ops
      .renew(this)
      .then(
        (renewed) => (renewed ? this.extend(startedAt) : this.markLost()),
        () => undefined,
      )
      .finally(() => (this.#renewing = false));
  }

  protected unlock(): Promise<boolean> {
    return this.ops.unlock(this);
  }

  protected onLost(): void {
    this.ops.onLost(this);
  }
}
