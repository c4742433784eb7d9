import type { Registration } from '../common/registry.js';
import { InvalidOptionsError } from '../common/warp.errors.js';
import type { Lease } from '../lease/lease-manager.js';
import type { LockHandle, LockOptions } from '../lock/locker.interface.js';
import { assertLockName, resolveLockOptions } from '../lock/lock-options.js';
import { withLock } from '../lock/with-lock.js';
import type { VersionedCache, Versioned } from '../versioned/versioned-cache.js';
import type { WatchOptions } from '../watch/watch-bus.js';
import type { WatchSubscription, WatchTarget } from '../watch/watch-subscription.js';
import { WarpParts } from './warp-parts.js';

/**
 * The coordination half of `Warp`'s public front: locks, leases, versions and watch, each a thin
 * entry into its component (`Warp` extends it, as ioredis's `Redis` extends its commands).
 */
export abstract class WarpCoordination extends WarpParts {
  /**
   * The registration that governs `key`.
   * @throws InvalidKeyError when the key is malformed; UnregisteredKeyError when nothing matches.
   */
  abstract registrationOf(key: string): Registration;

  /**
   * Acquires the distributed lock `name` (cluster-wide with a `RedisLocker`). The handle renews
   * itself while held; pass `handle.fencingToken` to the store to fence out stale holders.
   * @throws LockTimeoutError, InvalidKeyError, InvalidOptionsError
   */
  lock(name: string, options?: LockOptions): Promise<LockHandle> {
    assertLockName(name);
    return this.components.locks.acquire(this.lockName(name), resolveLockOptions(options));
  }

  /**
   * Runs `fn` holding the lock `name` and always releases it.
   * @throws LockTimeoutError, LockLostError (when the lock was lost while `fn` ran)
   */
  withLock<T>(name: string, fn: (handle: LockHandle) => T | Promise<T>, options?: LockOptions): Promise<T> {
    assertLockName(name);
    return withLock(this.components.locks, this.lockName(name), fn, options);
  }

  /**
   * Grants a lease of `ttlMs`, known on every node; keys attached to it are invalidated everywhere
   * when it is revoked on any node or expires without renewal.
   * @throws InvalidOptionsError unless `ttlMs` is in (0, 2147483647]; WarpClosedError
   */
  grantLease(ttlMs: number): Promise<Lease> {
    return this.components.leases.grant(ttlMs);
  }

  /**
   * Attaches a registered key to a lease.
   * @throws LeaseNotFoundError, UnregisteredKeyError, InvalidKeyError
   */
  attachKey(leaseId: string, key: string): Promise<void> {
    try {
      this.registrationOf(key);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.components.leases.attach(leaseId, key);
  }

  /**
   * Extends a lease by its TTL from now, on every node.
   * @throws LeaseNotFoundError
   */
  renewLease(leaseId: string): Promise<Lease> {
    return this.components.leases.renew(leaseId);
  }

  /**
   * Ends a lease and invalidates its keys on every node.
   * @throws LeaseNotFoundError, QuorumNotReachedError (StrongDistributed keys)
   */
  revokeLease(leaseId: string): Promise<void> {
    return this.components.leases.revoke(leaseId);
  }

  /**
   * The versions of `key` this node knows, oldest first: its own writes and the versions it read
   * from a shared cache tier (see docs/versioned.md).
   * @throws UnregisteredKeyError, InvalidKeyError
   */
  async history<T>(key: string): Promise<Versioned<T>[]> {
    this.registrationOf(key);
    return this.versionsOrThrow().history<T>(key);
  }

  /**
   * The value of `key` that was current at `at` (a Date or epoch ms) among the versions this node
   * knows; `undefined` when `at` predates them all.
   * @throws UnregisteredKeyError, InvalidKeyError, InvalidOptionsError (an invalid time)
   */
  async getAt<T>(key: string, at: Date | number): Promise<T | undefined> {
    this.registrationOf(key);
    return this.versionsOrThrow().getAt<T>(key, at);
  }

  /**
   * Publishes bytes on a topic to watchers on every node, this one included.
   * @throws InvalidKeyError, PayloadTooLargeError, WarpClosedError
   */
  publish(topic: string, payload: Uint8Array): Promise<void> {
    return this.components.watchBus.publish(topic, payload);
  }

  /**
   * Watches a topic, or every topic under `{ prefix }`, on every node: an AsyncIterable of events
   * with `.observable()` for rxjs.
   * @throws InvalidKeyError, InvalidOptionsError, WarpClosedError
   */
  watch(target: WatchTarget, options?: WatchOptions): WatchSubscription {
    return this.components.watchBus.watch(target, options);
  }

  /** Lock names are namespaced so clusters sharing a Redis never contend. */
  private lockName(name: string): string {
    return `${this.components.namespace}:lock:${name}`;
  }

  private versionsOrThrow(): VersionedCache {
    const { versions } = this.components;
    if (versions === undefined) {
      throw new InvalidOptionsError('history() and getAt() need the versioned cache: set the "versions" option (e.g. versions: {})');
    }
    return versions;
  }
}
