/** Options of one lock acquisition. */
export interface LockOptions {
  /** Lease of the lock in ms; renewed automatically while held. Default 10_000. */
  ttl?: number;
  /** How long to wait for the lock in ms before `LockTimeoutError`; 0 tries once. Default 5_000. */
  waitTimeout?: number;
  /**
   * `false`: keep no fencing counter for this name (`fencingToken` is 0), for short-lived locks on
   * an unbounded set of names (Warp's per-key fill locks), so nothing outlives the lock in the
   * backend. Default `true`.
   */
  fenced?: boolean;
}

/** What `WarpLocker.acquire` receives: `ttl` and `waitTimeout` resolved, `fenced` optional. */
export type AcquireOptions = Required<Pick<LockOptions, 'ttl' | 'waitTimeout'>> & Pick<LockOptions, 'fenced'>;

/** A held lock. */
export interface LockHandle {
  readonly name: string;
  /** Strictly increasing per lock name across the cluster: pass it to the store to fence stale holders (a `RedisLocker` gives 0 for `fenced: false`). */
  readonly fencingToken: number;
  /** True once renewal failed or the lock expired: the holder must stop acting. */
  readonly lost: boolean;
  /** Releases the lock; rejects with `LockLostError` if it was lost. Idempotent once released. */
  release(): Promise<void>;
}

/**
 * A lock backend: `MemoryLocker` (single node) or `RedisLocker` (cluster-wide). Every backend
 * passes `lockerContract` of `nestjs-warp/testing`; run it against your own locker.
 */
export interface WarpLocker {
  /** Acquires `name`, waiting up to `waitTimeout`; rejects with `LockTimeoutError`. */
  acquire(name: string, options: AcquireOptions): Promise<LockHandle>;
  /** Releases every held lock and stops timers and subscriptions (never closes user-owned clients). */
  close(): Promise<void>;
}

/** DI token for the locker; `@Inject(WarpLocker)`. */
export const WarpLocker = Symbol('WarpLocker');
