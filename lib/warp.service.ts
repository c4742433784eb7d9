import { Inject, Injectable } from '@nestjs/common';
import type { Registration, RegisterOptions } from './common/registry.js';
import type { Mode } from './common/mode.js';
import type { GetOrSetOptions, SetOptions, Warp } from './engine/warp.js';
import type { LockHandle, LockOptions } from './lock/locker.interface.js';
import type { WarmupReport } from './interfaces/warmup-report.interface.js';
import type { Lease } from './lease/lease-manager.js';
import type { Versioned } from './versioned/versioned-cache.js';
import type { WatchOptions } from './watch/watch-bus.js';
import type { WatchSubscription, WatchTarget } from './watch/watch-subscription.js';
import { WARP_INSTANCE } from './warp.constants.js';
import type { Validator } from './validator/validator.js';

/**
 * The Nest facade over the engine: inject it anywhere once `WarpModule.forRoot()` is imported.
 * Every method delegates to the framework-free `Warp` without adding a Promise hop.
 */
@Injectable()
export class WarpService {
  constructor(@Inject(WARP_INSTANCE) readonly engine: Warp) {}

  /**
   * Compares cached values with the store: `runOnce()` checks the next batch now and reports
   * `{ checked, mismatched, healed, errors }`; `onMismatch(listener)` hears confirmed mismatches
   * (modes `alert` and `autoheal`). Runs periodically with the `validator` option.
   */
  get validator(): Pick<Validator, 'runOnce' | 'onMismatch' | 'mode'> {
    return this.engine.validator;
  }

  /** This node's id on the bus. */
  get nodeId(): string {
    return this.engine.nodeId;
  }

  /** @see Warp.register */
  register(keyOrPattern: string, mode: Mode, options?: RegisterOptions): Registration {
    return this.engine.register(keyOrPattern, mode, options);
  }

  /** @see Warp.unregister */
  unregister(keyOrPattern: string): void {
    this.engine.unregister(keyOrPattern);
  }

  /** @see Warp.get */
  get<T>(key: string): Promise<T | undefined> {
    return this.engine.get<T>(key);
  }

  /** @see Warp.set */
  set<T>(key: string, value: T, options?: SetOptions): Promise<void> {
    return this.engine.set(key, value, options);
  }

  /** @see Warp.getOrSet */
  getOrSet<T>(key: string, loader: () => Promise<T> | T, options?: GetOrSetOptions<T>): Promise<T> {
    return this.engine.getOrSet(key, loader, options);
  }

  /**
   * Write-through delete: removes the key from the store, then from every cache tier here and, by
   * mode, on every peer. Needs a store with `delete`.
   * @throws UnregisteredKeyError, InvalidKeyError, InvalidOptionsError, StoreError, QuorumNotReachedError, LockLostError
   */
  delete(key: string): Promise<void> {
    return this.engine.delete(key);
  }

  /**
   * Cache-aside for a batch: hits from the cache, then one `loadMissing(missing)` call for every
   * missing key (a DataLoader batch function); its results fill the cache, never the store.
   * @throws UnregisteredKeyError, InvalidKeyError, and what `loadMissing` throws
   */
  getOrSetMany<T>(
    keys: readonly string[],
    loadMissing: (missing: string[]) => Promise<ReadonlyMap<string, T>>,
    options?: GetOrSetOptions<T>,
  ): Promise<(T | undefined)[]> {
    return this.engine.getOrSetMany(keys, loadMissing, options);
  }

  /** @see Warp.invalidate */
  invalidate(key: string): Promise<void> {
    return this.engine.invalidate(key);
  }

  /** @see Warp.getMany */
  getMany<T>(keys: readonly string[]): Promise<(T | undefined)[]> {
    return this.engine.getMany<T>(keys);
  }

  /** @see Warp.setMany */
  setMany(entries: ReadonlyArray<readonly [string, unknown]>): Promise<void> {
    return this.engine.setMany(entries);
  }

  /** @see Warp.lock */
  lock(name: string, options?: LockOptions): Promise<LockHandle> {
    return this.engine.lock(name, options);
  }

  /** @see Warp.withLock */
  withLock<T>(name: string, fn: (handle: LockHandle) => T | Promise<T>, options?: LockOptions): Promise<T> {
    return this.engine.withLock(name, fn, options);
  }

  /** @see Warp.grantLease */
  grantLease(ttlMs: number): Promise<Lease> {
    return this.engine.grantLease(ttlMs);
  }

  /** @see Warp.attachKey */
  attachKey(leaseId: string, key: string): Promise<void> {
    return this.engine.attachKey(leaseId, key);
  }

  /** @see Warp.renewLease */
  renewLease(leaseId: string): Promise<Lease> {
    return this.engine.renewLease(leaseId);
  }

  /** @see Warp.revokeLease */
  revokeLease(leaseId: string): Promise<void> {
    return this.engine.revokeLease(leaseId);
  }

  /** @see Warp.history */
  history<T>(key: string): Promise<Versioned<T>[]> {
    return this.engine.history<T>(key);
  }

  /** @see Warp.getAt */
  getAt<T>(key: string, at: Date | number): Promise<T | undefined> {
    return this.engine.getAt<T>(key, at);
  }

  /** @see Warp.publish */
  publish(topic: string, payload: Uint8Array): Promise<void> {
    return this.engine.publish(topic, payload);
  }

  /** @see Warp.watch */
  watch(target: WatchTarget, options?: WatchOptions): WatchSubscription {
    return this.engine.watch(target, options);
  }

  /** @see Warp.warmup */
  warmup(): Promise<WarmupReport> {
    return this.engine.warmup();
  }
}
