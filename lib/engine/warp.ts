import type { WarpBus } from '../bus/bus.interface.js';
import type { WarpCache } from '../cache/cache.interface.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Codec } from '../codec/codec.interface.js';
import { assertStorable } from '../codec/assert-storable.js';
import type { HybridLogicalClock } from '../common/hlc.js';
import { assertKey } from '../common/keys.js';
import { isTtl, TTL_EXPECTED } from '../common/limits.js';
import { Mode } from '../common/mode.js';
import type { KeyRegistry, RegisterOptions, Registration } from '../common/registry.js';
import type { SingleFlight } from '../common/singleflight.js';
import { InvalidOptionsError, UnregisteredKeyError, WarpClosedError } from '../common/warp.errors.js';
import type { WarmupReport } from '../interfaces/warmup-report.interface.js';
import type { WarpLogger } from '../interfaces/warp-logger.interface.js';
import type { WarpOptions } from '../interfaces/warp-options.interface.js';
import type { LeaseManager, Lease } from '../lease/lease-manager.js';
import type { LockHandle, LockOptions, WarpLocker } from '../lock/locker.interface.js';
import { assertLockName, resolveLockOptions } from '../lock/lock-options.js';
import type { MeteredLocker } from '../lock/metered-locker.js';
import { withLock } from '../lock/with-lock.js';
import type { MergeEngine } from '../merge/merge.engine.js';
import type { WarpMetrics } from '../metrics/warp-metrics.interface.js';
import type { WarpStore } from '../store/store.interface.js';
import type { Validator } from '../validator/validator.js';
import type { VersionedCache, Versioned } from '../versioned/versioned-cache.js';
import type { WatchBus, WatchOptions } from '../watch/watch-bus.js';
import type { WatchSubscription, WatchTarget } from '../watch/watch-subscription.js';
import { assertClusterWideLocks } from './default-locker.js';
import type { GetOrSetOptions, ReadPath } from './read-path.js';
import { warmup } from './warmup.js';
import { withTimeout } from '../common/deadline.js';
import { createWarpComponents } from './warp-components.js';
import type { ResolvedWarpOptions } from './warp-options.js';
import type { WritePath } from './write-path.js';

export { MISS, type GetOrSetOptions } from './read-path.js';

/** Options of one `set` call. */
export interface SetOptions {
  /** TTL in ms of this entry in the cache tiers, overriding the registration's (0 = no expiry). */
  ttl?: number;
  /**
   * TTL in ms of the value in the store, passed to `WarpStore.set` as `write.ttl`: a store with expiry
   * (`RedisStore`, `MemoryStore`) drops the value then, a store without ignores it. Cache TTLs
   * bound how long a copy is served; this one bounds the data itself, for values that are a cache
   * by nature (`WarpKeyvStore` passes Keyv's TTL here). Default: none (0 too), the store keeps it.
   */
  storeTtl?: number;
}

/**
 * The framework-free engine: registry, cache tiers, store, merge, cluster protocol and locks. The
 * Nest layer (`WarpModule`, `WarpService`) builds one from options; it is usable on its own:
 *
 * @example
 * const warp = new Warp({ keys: [{ key: 'user:*', mode: Mode.EventualDistributed, ttl: 60_000 }] });
 * await warp.start();
 * await warp.set('user:1', { name: 'Ada' });
 * await warp.close();
 */
export class Warp {
  readonly nodeId: string;
  /**
   * Random per start of this engine, stamped on its bus messages next to `nodeId`: peers tell a
   * restarted node from the one it replaced, and logs tell restarts apart.
   */
  readonly incarnation: string;
  readonly namespace: string;
  readonly registry: KeyRegistry;
  readonly clock: HybridLogicalClock;
  readonly cache: WarpCache;
  readonly store: WarpStore;
  readonly bus: WarpBus;
  readonly mergeEngine: MergeEngine;
  /** Decides which values every tier can hold (`codec` option; default JSON). */
  readonly codec: Codec;
  readonly locker: WarpLocker;
  /** The locker with wait and hold times recorded: every lock the engine takes goes through it. */
  private readonly locks: MeteredLocker;
  readonly cluster: Cluster;
  /** Leases whose revocation or expiry invalidates their keys cluster-wide. */
  readonly leases: LeaseManager;
  /** The last versions of each key this node wrote or read from a shared tier; off unless the `versions` option is set. */
  readonly versions?: VersionedCache;
  /** Topic pub/sub of bytes across the cluster. */
  readonly watchBus: WatchBus;
  readonly metrics: WarpMetrics;
  readonly logger: WarpLogger;
  readonly options: ResolvedWarpOptions;
  /** Compares cached values with the store (periodically with the `validator` option; `runOnce()` any time). */
  readonly validator: Validator;

  private readonly reads: SingleFlight;
  private readonly readPath: ReadPath;
  private readonly writePath: WritePath;
  private state: 'new' | 'starting' | 'started' | 'closed' = 'new';
  private readonly detachMetrics?: () => void;
  private startPromise?: Promise<void>;

  /**
   * Builds the engine from its options, all optional (memory cache, store, bus and locker by
   * default). Nothing connects until `start()`.
   * @throws InvalidOptionsError naming the option and the accepted values when an option is invalid.
   * @throws InvalidKeyError when a key of `options.keys` is malformed.
   */
  constructor(options: WarpOptions = {}) {
    const parts = createWarpComponents(options, { invalidate: (key) => this.invalidate(key), heal: (key) => this.heal(key) });
    ({ nodeId: this.nodeId, incarnation: this.incarnation, namespace: this.namespace, options: this.options } = parts);
    ({ registry: this.registry, clock: this.clock, cache: this.cache, store: this.store, bus: this.bus } = parts);
    ({ merge: this.mergeEngine, codec: this.codec, locker: this.locker, locks: this.locks, cluster: this.cluster } = parts);
    ({ leases: this.leases, versions: this.versions, watchBus: this.watchBus, metrics: this.metrics, logger: this.logger } = parts);
    ({ validator: this.validator, reads: this.reads, readPath: this.readPath, writePath: this.writePath } = parts);
    for (const { key, mode, ttl, merge } of options.keys ?? []) this.register(key, mode, { ttl, merge });
    this.detachMetrics = this.metrics.observe?.(this);
  }

  /**
   * Connects to the bus and joins the cluster. Idempotent; called by the Nest module at init.
   * @throws WarpClosedError once `close()` was called.
   * @throws InvalidOptionsError when a distributed key is registered and the locker is not cluster-wide.
   * @throws BusError when the bus cannot connect (the bus's own error as `cause`).
   */
  start(): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new WarpClosedError('Warp is closed'));
    this.startPromise ??= (async () => {
      this.state = 'starting';
      assertClusterWideLocks(this.locker, this.registry.all().some((r) => r.mode !== Mode.StrongLocal));
      await this.cluster.start();
      this.validator.start();
      // close() may have run while the cluster was starting: it wins.
      if (this.state === 'starting') this.state = 'started';
    })();
    return this.startPromise;
  }

  /**
   * Registers a key or `*` pattern with its consistency mode, TTL and merge function. A later
   * registration of the same key or pattern replaces the earlier one.
   * @throws InvalidKeyError, InvalidOptionsError (also: a distributed key with no cluster-wide locker)
   */
  register(keyOrPattern: string, mode: Mode, options?: RegisterOptions): Registration {
    if (this.state !== 'new') assertClusterWideLocks(this.locker, mode !== Mode.StrongLocal);
    return this.registry.register(keyOrPattern, mode, options, this.options.defaultTtl);
  }

  /** Removes a registration; keys it covered become unregistered (or fall to a broader pattern). */
  unregister(keyOrPattern: string): void {
    this.registry.unregister(keyOrPattern);
  }

  /**
   * The registration that governs `key`.
   * @throws InvalidKeyError when the key is malformed; UnregisteredKeyError when nothing matches.
   */
  registrationOf(key: string): Registration {
    assertKey(key);
    const registration = this.registry.resolve(key);
    if (registration === undefined) {
      throw new UnregisteredKeyError(
        `Key "${key}" is not registered: register it (or a pattern such as "${key.split(':')[0]}:*") with a mode first`,
        { key },
      );
    }
    return registration;
  }

  /**
   * Reads a key: the local tier when fresh, else one load per key at a time through the shared
   * tier and the store, filling the tiers. `undefined` when the store has no value.
   * @throws UnregisteredKeyError, InvalidKeyError, StoreError
   */
  get<T>(key: string): Promise<T | undefined> {
    // Not async: the read path's own frame is the only one a hit pays for.
    let registration: Registration;
    try {
      registration = this.registrationOf(key);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.readPath.get<T>(key, registration);
  }

  /**
   * Cache-aside: the cached value, else `loader`'s result (one call per key at a time on this
   * node, and cluster-wide with a shared cache tier), which fills the cache tiers. The store is
   * never read nor written: the loader is the source of this value. `undefined` is never cached,
   * `null` only when `cacheIf` accepts it.
   * @throws UnregisteredKeyError, InvalidKeyError, and whatever `loader` throws
   */
  getOrSet<T>(key: string, loader: () => Promise<T> | T, options?: GetOrSetOptions<T>): Promise<T> {
    let registration: Registration;
    try {
      registration = this.registrationOf(key);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.readPath.getOrSet(key, registration, loader, options);
  }

  /**
   * Cache-aside for a batch: hits from the tiers, then **one** `loadMissing(missing)` call for
   * every key still missing (a DataLoader's batch function); its results fill the tiers. Keys
   * `loadMissing` leaves out of its map read as `undefined`. Order follows `keys`. With a shared
   * cache tier the keys' fill locks are taken too: keys another process is filling at that moment
   * are waited for and read from the shared tier, and only those it did not fill go to a second
   * `loadMissing` call.
   * @throws UnregisteredKeyError, InvalidKeyError, and whatever `loadMissing` throws
   */
  async getOrSetMany<T>(
    keys: readonly string[],
    loadMissing: (missing: string[]) => Promise<ReadonlyMap<string, T>>,
    options?: GetOrSetOptions<T>,
  ): Promise<(T | undefined)[]> {
    return this.readPath.getOrSetMany(keys, keys.map((key) => this.registrationOf(key)), loadMissing, options);
  }

  /**
   * The local tier's fresh value for `key`, or `MISS`; counts a hit. The allocation-free first
   * step of `getOrSet`, shared with the decorators' wrappers.
   */
  peekLocal(key: string, registration: Registration): unknown {
    return this.readPath.peekLocal(key, registration);
  }

  /**
   * Write-through: merges with the current value, persists to the store first (a failure throws
   * `StoreError` and changes nothing else), updates the cache tiers, then propagates by mode.
   * A StrongDistributed write runs the prepare/commit protocol under the key's write lock.
   * @throws InvalidOptionsError when `ttl` or `storeTtl` is not a number of ms in [0, 2147483647],
   *   UnregisteredKeyError, InvalidKeyError, SerializationError, StoreError,
   *   QuorumNotReachedError and LockLostError (StrongDistributed; nothing was written),
   *   LockTimeoutError, WarpClosedError
   */
  set<T>(key: string, value: T, options?: SetOptions): Promise<void> {
    let registration: Registration;
    let ttl: number;
    let storeTtl: number | undefined;
    try {
      registration = this.registrationOf(key);
      this.assertOpen(key);
      assertStorable(this.codec, key, value);
      ttl = options?.ttl === undefined ? registration.ttl : entryTtl(key, options.ttl);
      if (options?.storeTtl !== undefined) storeTtl = entryTtl(key, options.storeTtl, 'storeTtl') || undefined;
    } catch (error) {
      return Promise.reject(error);
    }
    return this.writePath.set(key, registration, value, ttl, storeTtl);
  }

  /**
   * Write-through delete: removes the key from the store (fenced for StrongDistributed keys),
   * then from every cache tier here and, by mode, on every peer.
   * @throws UnregisteredKeyError, InvalidKeyError, InvalidOptionsError (the store has no `delete`),
   *   StoreError, QuorumNotReachedError, LockLostError, LockTimeoutError, WarpClosedError
   */
  async delete(key: string): Promise<void> {
    const registration = this.registrationOf(key);
    this.assertOpen(key);
    return this.writePath.delete(key, registration);
  }

  /**
   * The decorators' write (`@WarpPut`): runs `method`, which persists, then puts its result in the
   * cache tiers and propagates by mode (`undefined` evicts). On a StrongDistributed key the method
   * runs inside the strong write protocol.
   * @throws UnregisteredKeyError, InvalidKeyError, QuorumNotReachedError, LockLostError, and what `method` throws
   */
  async put<R>(key: string, method: () => Promise<R>): Promise<R> {
    const registration = this.registrationOf(key);
    this.assertOpen(key);
    return this.writePath.put(key, registration, method);
  }

  /**
   * The decorators' eviction (`@WarpEvict`): runs `method`, then drops the key from every tier,
   * everywhere by mode (not when the method throws). StrongDistributed: inside the protocol.
   * @throws UnregisteredKeyError, InvalidKeyError, QuorumNotReachedError, LockLostError, and what `method` throws
   */
  async evict<R>(key: string, method: () => Promise<R>): Promise<R> {
    const registration = this.registrationOf(key);
    this.assertOpen(key);
    return this.writePath.evict(key, registration, method);
  }

  /**
   * Drops a key from every cache tier here and, by mode, on every peer. The store is untouched.
   * @throws UnregisteredKeyError, InvalidKeyError, QuorumNotReachedError (StrongDistributed)
   */
  async invalidate(key: string): Promise<void> {
    const registration = this.registrationOf(key);
    this.assertOpen(key);
    return this.writePath.invalidate(key, registration);
  }

  /**
   * Reads several keys: hits from the cache tiers, and every miss with **one** `WarpStore.getMany`
   * call when the store has it (else one `get` each). Order is preserved; absent keys are `undefined`.
   * @throws UnregisteredKeyError, InvalidKeyError, StoreError
   */
  async getMany<T>(keys: readonly string[]): Promise<(T | undefined)[]> {
    return this.readPath.getMany<T>(keys, keys.map((key) => this.registrationOf(key)));
  }

  /**
   * Writes several keys (each with its own mode); rejects with the first failure.
   * @throws what `set` throws, for the first entry that fails: UnregisteredKeyError,
   *   InvalidKeyError, InvalidOptionsError, StoreError, QuorumNotReachedError, WarpClosedError.
   */
  async setMany(entries: ReadonlyArray<readonly [string, unknown]>): Promise<void> {
    await Promise.all(entries.map(([key, value]) => this.set(key, value)));
  }

  /**
   * Loads registered exact keys, and the keys of patterns the store can list, from the store
   * into the cache with bounded concurrency. Never rejects: a key that fails to load, or a
   * pattern whose keys the store cannot list, is in the report's `failed`.
   */
  warmup(): Promise<WarmupReport> {
    return warmup(this.registry, this.store, this.options.warmupConcurrency, (key, registration) =>
      this.reads.run(key, (flight) => this.readPath.load(key, registration, flight)),
    );
  }

  /**
   * Acquires the distributed lock `name` (cluster-wide with a `RedisLocker`). The handle renews
   * itself while held; pass `handle.fencingToken` to the store to fence out stale holders.
   * @throws LockTimeoutError, InvalidKeyError, InvalidOptionsError
   */
  lock(name: string, options?: LockOptions): Promise<LockHandle> {
    assertLockName(name);
    return this.locks.acquire(this.lockName(name), resolveLockOptions(options));
  }

  /**
   * Runs `fn` holding the lock `name` and always releases it.
   * @throws LockTimeoutError, LockLostError (when the lock was lost while `fn` ran)
   */
  withLock<T>(name: string, fn: (handle: LockHandle) => T | Promise<T>, options?: LockOptions): Promise<T> {
    assertLockName(name);
    return withLock(this.locks, this.lockName(name), fn, options);
  }

  /**
   * Grants a lease of `ttlMs`, known on every node; keys attached to it are invalidated everywhere
   * when it is revoked on any node or expires without renewal.
   * @throws InvalidOptionsError unless `ttlMs` is in (0, 2147483647]; WarpClosedError
   */
  grantLease(ttlMs: number): Promise<Lease> {
    return this.leases.grant(ttlMs);
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
    return this.leases.attach(leaseId, key);
  }

  /**
   * Extends a lease by its TTL from now, on every node.
   * @throws LeaseNotFoundError
   */
  renewLease(leaseId: string): Promise<Lease> {
    return this.leases.renew(leaseId);
  }

  /**
   * Ends a lease and invalidates its keys on every node.
   * @throws LeaseNotFoundError, QuorumNotReachedError (StrongDistributed keys)
   */
  revokeLease(leaseId: string): Promise<void> {
    return this.leases.revoke(leaseId);
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
    return this.watchBus.publish(topic, payload);
  }

  /**
   * Watches a topic, or every topic under `{ prefix }`, on every node: an AsyncIterable of events
   * with `.observable()` for rxjs.
   * @throws InvalidKeyError, InvalidOptionsError, WarpClosedError
   */
  watch(target: WatchTarget, options?: WatchOptions): WatchSubscription {
    return this.watchBus.watch(target, options);
  }

  /** Flushes pending invalidations, leaves the cluster and closes what Warp opened. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    // Each step gets what is left of `shutdownTimeout`; what does not finish is logged and left
    // behind (the buses drop their connections on their own when a graceful close hangs).
    const deadline = performance.now() + this.options.shutdownTimeout;
    const unfinished: string[] = [];
    const step = async (what: string, operation: Promise<unknown> | undefined): Promise<void> => {
      try {
        await withTimeout(Promise.resolve(operation), Math.max(0, deadline - performance.now()));
      } catch (error) {
        unfinished.push(`${what} (${error instanceof Error ? error.message : String(error)})`);
      }
    };
    await step('start-up', this.startPromise);
    // Writes already past their checks finish and queue their invalidations before the flush.
    await step('writes in flight', this.writePath.idle());
    this.validator.stop();
    this.leases.close();
    this.watchBus.close();
    await step('the goodbye to peers', this.cluster.close());
    this.detachMetrics?.();
    await Promise.all([step('the locker', this.locker.close()), step('the cache', this.cache.close?.()), step('the bus', this.bus.close())]);
    if (unfinished.length > 0) {
      this.logger.warn(`Warp: close() did not finish within shutdownTimeout (${this.options.shutdownTimeout} ms): ${unfinished.join('; ')}`);
    }
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.state === 'closed';
  }

  /**
   * The validator's repair: drop the key everywhere (peers by its mode), then load the store's
   * value. The reload goes through singleflight, so a write racing it wins.
   */
  private async heal(key: string): Promise<void> {
    const registration = this.registrationOf(key);
    await this.invalidate(key);
    await this.reads.run(key, (flight) => this.readPath.load(key, registration, flight));
  }




  /** Lock names are namespaced so clusters sharing a Redis never contend. */
  private lockName(name: string): string {
    return `${this.namespace}:lock:${name}`;
  }

  private versionsOrThrow(): VersionedCache {
    if (this.versions === undefined) {
      throw new InvalidOptionsError('history() and getAt() need the versioned cache: set the "versions" option (e.g. versions: {})');
    }
    return this.versions;
  }

  private assertOpen(key: string): void {
    if (this.state === 'closed') throw new WarpClosedError(`Cannot write "${key}": Warp is closed`, { key });
  }
}

function entryTtl(key: string, ttl: unknown, name = 'ttl'): number {
  if (!isTtl(ttl)) throw new InvalidOptionsError(`Invalid ${name} for "${key}": expected ${TTL_EXPECTED}, got ${String(ttl)}`, { key });
  return ttl;
}
