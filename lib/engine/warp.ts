import type { WarpBus } from '../bus/bus.interface.js';
import type { WarpCache } from '../cache/cache.interface.js';
import { assertStorable } from '../codec/assert-storable.js';
import { checkedTtl } from '../common/limits.js';
import { Mode } from '../common/mode.js';
import type { RegisterOptions, Registration } from '../common/registry.js';
import type { SingleFlight } from '../common/singleflight.js';
import { WarpClosedError } from '../common/warp.errors.js';
import type { WarmupReport } from '../interfaces/warmup-report.interface.js';
import type { WarpLogger } from '../interfaces/warp-logger.interface.js';
import type { SetOptions } from '../interfaces/set-options.interface.js';
import type { WarpOptions } from '../interfaces/warp-options.interface.js';
import type { WarpLocker } from '../lock/locker.interface.js';
import type { WarpStore } from '../store/store.interface.js';
import type { Validator } from '../validator/validator.js';
import { assertClusterWideLocks } from './default-locker.js';
import { registrationOf } from './key-registration.js';
import type { GetOrSetOptions, ReadPath } from './read-path.js';
import { warmup } from './warmup.js';
import { shutDown } from './shutdown.js';
import { createWarpComponents, type EngineHooks } from './warp-components.js';
import { WarpCoordination } from './warp-coordination.js';
import type { WritePath } from './write-path.js';

export { MISS, type GetOrSetOptions } from './read-path.js';

export type { SetOptions } from '../interfaces/set-options.interface.js';
export type { RegistryView } from './warp-parts.js';

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
export class Warp extends WarpCoordination {
  readonly nodeId: string;
  /**
   * Random per start of this engine, stamped on its bus messages next to `nodeId`: peers tell a
   * restarted node from the one it replaced, and logs tell restarts apart.
   */
  readonly incarnation: string;
  readonly namespace: string;
  /** The local cache tier(s) this engine runs on (the `cache` option). */
  readonly cache: WarpCache;
  /** The primary store (the `store` option). */
  readonly store: WarpStore;
  /** The bus the cluster protocol runs over (the `bus` option). */
  readonly bus: WarpBus;
  /** The locker behind `lock()`, `withLock()` and StrongDistributed writes (the `locker` option). */
  readonly locker: WarpLocker;
  readonly logger: WarpLogger;
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
    // The parts call back into this front once it exists (a lease's keys, a validator repair).
    const hooks: EngineHooks = { invalidate: notYetBuilt, heal: notYetBuilt };
    const parts = createWarpComponents(options, hooks);
    super(parts);
    hooks.invalidate = (key) => this.invalidate(key);
    hooks.heal = (key) => this.heal(key);
    ({ nodeId: this.nodeId, incarnation: this.incarnation, namespace: this.namespace, cache: this.cache, store: this.store, bus: this.bus } = parts);
    ({ locker: this.locker, logger: this.logger, validator: this.validator, reads: this.reads, readPath: this.readPath, writePath: this.writePath } = parts);
    for (const { key, mode, ttl, merge } of options.keys ?? []) this.register(key, mode, { ttl, merge });
    this.detachMetrics = this.components.metrics.observe?.(this);
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
      assertClusterWideLocks(this.locker, this.components.registry.all().some((r) => r.mode !== Mode.StrongLocal));
      await this.components.cluster.start();
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
    return this.components.registry.register(keyOrPattern, mode, options, this.components.options.defaultTtl);
  }

  /** Removes a registration; keys it covered become unregistered (or fall to a broader pattern). */
  unregister(keyOrPattern: string): void {
    this.components.registry.unregister(keyOrPattern);
  }

  /**
   * The registration that governs `key`.
   * @throws InvalidKeyError when the key is malformed; UnregisteredKeyError when nothing matches.
   */
  override registrationOf(key: string): Registration {
    return registrationOf(this.components.registry, key);
  }

  /**
   * Reads a key: the local tier when fresh, else one load per key at a time through the shared
   * tier and the store, filling the tiers. `undefined` when the store has no value.
   * @throws UnregisteredKeyError, InvalidKeyError, StoreError
   */
  get<T>(key: string): Promise<T | undefined> {
    // Not async, nor is the read path's hit: a hit settles one promise and enters no async frame.
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
      assertStorable(this.components.codec, key, value);
      ttl = options?.ttl === undefined ? registration.ttl : checkedTtl(key, options.ttl);
      if (options?.storeTtl !== undefined) storeTtl = checkedTtl(key, options.storeTtl, 'storeTtl') || undefined;
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
    return this.writePath.delete(key, this.writable(key));
  }

  /**
   * The decorators' write (`@WarpPut`): runs `method`, which persists, then puts its result in the
   * cache tiers and propagates by mode (`undefined` evicts). On a StrongDistributed key the method
   * runs inside the strong write protocol.
   * @throws UnregisteredKeyError, InvalidKeyError, QuorumNotReachedError, LockLostError, and what `method` throws
   */
  async put<R>(key: string, method: () => Promise<R>): Promise<R> {
    return this.writePath.put(key, this.writable(key), method);
  }

  /**
   * The decorators' eviction (`@WarpEvict`): runs `method`, then drops the key from every tier,
   * everywhere by mode (not when the method throws). StrongDistributed: inside the protocol.
   * @throws UnregisteredKeyError, InvalidKeyError, QuorumNotReachedError, LockLostError, and what `method` throws
   */
  async evict<R>(key: string, method: () => Promise<R>): Promise<R> {
    return this.writePath.evict(key, this.writable(key), method);
  }

  /**
   * Drops a key from every cache tier here and, by mode, on every peer. The store is untouched.
   * @throws UnregisteredKeyError, InvalidKeyError, QuorumNotReachedError (StrongDistributed)
   */
  async invalidate(key: string): Promise<void> {
    return this.writePath.invalidate(key, this.writable(key));
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
    return warmup(this.components.registry, this.store, this.components.options.warmupConcurrency, (key, registration) =>
      this.reads.run(key, (flight) => this.readPath.load(key, registration, flight)),
    );
  }

  /** Flushes pending invalidations, leaves the cluster and closes what Warp opened. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    await shutDown(this.components, this.startPromise, this.detachMetrics);
  }

  override get closed(): boolean {
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

  /** The registration of a key about to be written; throws when the key is unregistered or Warp is closed. */
  private writable(key: string): Registration {
    const registration = this.registrationOf(key);
    this.assertOpen(key);
    return registration;
  }

  private assertOpen(key: string): void {
    if (this.state === 'closed') throw new WarpClosedError(`Cannot write "${key}": Warp is closed`, { key });
  }
}

function notYetBuilt(): Promise<void> {
  return Promise.reject(new WarpClosedError('Warp is still being built'));
}
