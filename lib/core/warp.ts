import { randomUUID } from 'node:crypto';
import { BusProtocol } from '../bus/bus-protocol.js';
import { MemoryBus } from '../bus/memory.bus.js';
import type { SyncBus } from '../bus/sync-bus.interface.js';
import type { Cache } from '../cache/cache.interface.js';
import { MemoryCache } from '../cache/memory.cache.js';
import type { WarpLogger } from '../interfaces/warp-logger.interface.js';
import type { WarmupReport } from '../interfaces/warmup-report.interface.js';
import type { WarpOptions } from '../interfaces/warp-options.interface.js';
import type { LockHandle, Locker, LockOptions } from '../lock/locker.interface.js';
import { assertLockName, resolveLockOptions } from '../lock/lock-options.js';
import { withLock } from '../lock/with-lock.js';
import { defaultLocker } from '../lock/default-locker.js';
import { LeaseManager, type Lease } from '../lease/lease-manager.js';
import { VersionedCache, type Versioned } from '../versioned/versioned-cache.js';
import { WatchBus, type WatchOptions } from '../watch/watch-bus.js';
import type { WatchSubscription, WatchTarget } from '../watch/watch-subscription.js';
import { MergeEngine } from '../merge/merge.engine.js';
import { NOOP_METRICS, type WarpMetrics } from '../metrics/warp-metrics.interface.js';
import { MemoryStore } from '../store/memory.store.js';
import type { Store } from '../store/store.interface.js';
import { InvalidOptionsError, LockTimeoutError, QuorumNotReachedError, SerializationError, StoreError, UnregisteredKeyError, WarpClosedError } from '../warp.errors.js';
import { Cluster } from './cluster.js';
import type { Envelope } from './envelope.js';
import { HybridLogicalClock } from './hlc.js';
import { KeyedMutex } from './keyed-mutex.js';
import { assertKey } from './keys.js';
import { Mode } from './mode.js';
import { KeyRegistry, type RegisterOptions, type Registration } from './registry.js';
import { resolveWarpOptions, type ResolvedWarpOptions } from './warp-options.js';
import { SingleFlight, type Flight } from './singleflight.js';
import { warmup } from './warmup.js';
import { MeteredLocker } from '../lock/metered-locker.js';
import { Validator } from '../validator/validator.js';
import { DEFAULT_FAIL_SAFE_MAX_ENTRIES, LastKnownValues, withTimeout } from './fail-safe.js';

/** Options of one `getOrSet` call. */
export interface GetOrSetOptions<T = unknown> {
  /** TTL in ms for this fill, overriding the registration's. */
  ttl?: number;
  /** Caches the loader's result only when this returns true (default: every defined result). */
  cacheIf?: (value: T) => boolean;
}

/** One `getOrSet` miss being computed. */
interface Computation<T> {
  key: string;
  registration: Registration;
  loader: () => Promise<T> | T;
  options: GetOrSetOptions<T> | undefined;
  flight: Flight<T>;
}

/** Options of one `set` call. */
export interface SetOptions {
  /** TTL in ms of this entry in the cache tiers, overriding the registration's (0 = no expiry). */
  ttl?: number;
}

/** What `peekLocal` returns when the local tier cannot answer. */
export const MISS: unique symbol = Symbol('warp:miss');

/** Lock a StrongDistributed write holds while it persists and propagates. */
const STRONG_WRITE_LOCK = { ttl: 10_000 } as const;
/** Cross-process fill lock of `getOrSet`: renewed while the loader runs; waiters give up after 10 s. */
const FILL_LOCK = { ttl: 10_000, waitTimeout: 10_000 } as const;

/**
 * The framework-free engine: registry, cache, store, merge, cluster protocol and locks. The Nest
 * layer (`WarpModule`, `WarpService`) builds one from options; it is usable on its own:
 *
 * @example
 * const warp = new Warp({ keys: [{ key: 'user:*', mode: Mode.EventualDistributed, ttl: 60_000 }] });
 * await warp.start();
 * await warp.set('user:1', { name: 'Ada' });
 * await warp.close();
 */
export class Warp {
  readonly nodeId: string;
  readonly namespace: string;
  readonly registry = new KeyRegistry();
  readonly clock = new HybridLogicalClock();
  readonly cache: Cache;
  readonly store: Store;
  readonly bus: SyncBus;
  readonly mergeEngine: MergeEngine;
  readonly locker: Locker;
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

  private readonly reads = new SingleFlight();
  private readonly computes = new SingleFlight();
  private readonly writes = new KeyedMutex();
  /** Whether `cache.get` can find what `cache.peek` cannot (a shared tier behind the local one). */
  private readonly sharedTier: boolean;
  private state: 'new' | 'starting' | 'started' | 'closed' = 'new';
  private readonly detachMetrics?: () => void;
  /** Last known values served when a store read fails (`failSafe`); absent when off. */
  private readonly lastKnown?: LastKnownValues;
  private readonly storeTimeout?: number;
  private startPromise?: Promise<void>;

  constructor(options: WarpOptions = {}) {
    this.options = resolveWarpOptions(options);
    this.nodeId = options.nodeId ?? randomUUID();
    this.namespace = this.options.namespace;
    this.logger = options.logger ?? console;
    this.metrics = options.metrics ?? NOOP_METRICS;
    this.cache = options.cache ?? new MemoryCache({ onEvict: (n, reason) => this.metrics.evictions(n, reason) });
    this.store = options.store ?? new MemoryStore();
    this.bus = options.bus ?? new MemoryBus();
    this.mergeEngine = options.merge ?? new MergeEngine();
    this.locker = options.locks ?? defaultLocker({ cache: this.cache, store: this.store, bus: this.bus });
    this.locks = new MeteredLocker(this.locker, this.metrics);
    this.sharedTier = !(this.cache instanceof MemoryCache);
    const protocol = new BusProtocol({ namespace: this.namespace, nodeId: this.nodeId, secret: options.secret });
    this.cluster = new Cluster(
      {
        bus: this.bus,
        protocol,
        nodeId: this.nodeId,
        clock: this.clock,
        heartbeatInterval: this.options.heartbeatInterval,
        publishTimeout: this.options.publishTimeout,
        quorum: this.options.quorum,
        invalidationDelay: this.options.invalidationDelay,
        metrics: this.metrics,
        logger: this.logger,
      },
      {
        onRemoteInvalidate: (keys, dropped) => {
          this.evictLocally(keys);
          this.forgetLastKnown(dropped);
        },
        onPossiblyMissedInvalidations: () => this.dropDistributedFromLocalTier(),
      },
    );
    this.leases = new LeaseManager({
      transport: this.cluster,
      nodeId: this.nodeId,
      invalidate: (key) => this.invalidate(key),
      dropHere: (keys) => this.dropHere(keys),
      // A revoked lease's keys must not come back as fail-safe answers either.
      evictLocal: (keys) => {
        this.evictLocally(keys as string[]);
        this.forgetLastKnown(keys);
      },
      metrics: this.metrics,
      logger: this.logger,
    });
    if (options.versions !== undefined) this.versions = new VersionedCache(this.options.versions);
    this.watchBus = new WatchBus({ transport: this.cluster, nodeId: this.nodeId, namespace: this.namespace, metrics: this.metrics, ...this.options.watch });
    for (const { key, mode, ttl, merge } of options.keys ?? []) this.register(key, mode, { ttl, merge });
    this.detachMetrics = this.metrics.observe?.(this);
    this.storeTimeout = options.storeTimeout;
    if (options.failSafe !== undefined) {
      this.lastKnown = new LastKnownValues(options.failSafe.grace, options.failSafe.maxEntries ?? DEFAULT_FAIL_SAFE_MAX_ENTRIES);
    }
    this.validator = new Validator(
      {
        cache: this.cache,
        metrics: this.metrics,
        logger: this.logger,
        resolve: (key) => this.registry.resolve(key),
        readStore: (key) => this.readStore(key),
        heal: (key) => this.heal(key),
      },
      options.validator,
    );
  }

  /** Connects to the bus and joins the cluster. Idempotent; called by the Nest module at init. */
  start(): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new WarpClosedError('Warp is closed'));
    this.startPromise ??= (async () => {
      this.state = 'starting';
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
   * @throws InvalidKeyError, InvalidOptionsError
   */
  register(keyOrPattern: string, mode: Mode, options?: RegisterOptions): Registration {
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
   * tier and the store. `undefined` when the store has no value.
   * @throws UnregisteredKeyError, InvalidKeyError, StoreError
   */
  async get<T>(key: string): Promise<T | undefined> {
    const registration = this.registrationOf(key);
    if (registration.mode === Mode.StrongDistributed && !this.cluster.admitted) {
      // Cut off from the bus (or not yet counted live by peers), this node cannot know of peers'
      // writes: read the source of truth.
      return (await this.readStore(key)) as T | undefined;
    }
    const hit = this.cache.peek?.(key);
    if (hit !== undefined) {
      this.metrics.hit(registration.pattern);
      return hit.value as T;
    }
    this.metrics.miss(registration.pattern);
    return this.reads.run(key, (flight) => this.load(key, registration, flight) as Promise<T | undefined>);
  }

  /**
   * Returns the cached value, or calls `loader` (once per key at a time on this node), `set`s its
   * result with the key's mode, and returns it. The store is not consulted: the loader is the
   * source of this value, so an expired entry is recomputed. A loader returning `undefined`
   * caches nothing.
   */
  async getOrSet<T>(key: string, loader: () => Promise<T> | T, options?: GetOrSetOptions<T>): Promise<T> {
    const registration = this.registrationOf(key);
    const hit = this.peekLocal(key, registration);
    if (hit !== MISS) return hit as T;
    this.metrics.miss(registration.pattern);
    return this.computes.run(key, (flight) => this.compute({ key, registration, loader, options, flight }));
  }

  /**
   * The local tier's fresh value for `key`, or `MISS`; counts a hit. The allocation-free first
   * step of `getOrSet`, shared with the decorators' wrappers.
   */
  peekLocal(key: string, registration: Registration): unknown {
    if (registration.mode === Mode.StrongDistributed && !this.cluster.admitted) return MISS;
    const hit = this.cache.peek?.(key);
    if (hit === undefined) return MISS;
    this.metrics.hit(registration.pattern);
    return hit.value;
  }

  /**
   * Writes a key: merges with the current value, persists to the store first (a failure throws
   * `StoreError` and changes nothing else), updates the cache, then propagates by mode.
   * @throws UnregisteredKeyError, InvalidKeyError, SerializationError, StoreError,
   *   QuorumNotReachedError (StrongDistributed; the value is persisted), LockTimeoutError
   */
  set<T>(key: string, value: T, options?: SetOptions): Promise<void> {
    let registration: Registration;
    let ttl: number;
    try {
      registration = this.registrationOf(key);
      this.assertOpen(key);
      assertValue(key, value);
      ttl = options?.ttl === undefined ? registration.ttl : entryTtl(key, options.ttl);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.writes.run(key, () => this.write(key, registration, value, ttl));
  }

  /**
   * Drops a key from every cache tier here and, by mode, on every peer. The store is untouched.
   * @throws UnregisteredKeyError, InvalidKeyError, QuorumNotReachedError (StrongDistributed)
   */
  async invalidate(key: string): Promise<void> {
    const registration = this.registrationOf(key);
    this.assertOpen(key);
    this.lastKnown?.forget(key);
    this.markStale(key);
    try {
      await this.cache.delete(key);
    } finally {
      // Peers hear of it even when the shared tier is down: their local copies must go.
      this.cache.evictLocal?.([key]);
      this.markStale(key);
      await this.propagate(registration.mode, key, true);
    }
  }

  /** Reads several keys; order is preserved and absent keys are `undefined`. */
  getMany<T>(keys: readonly string[]): Promise<(T | undefined)[]> {
    return Promise.all(keys.map((key) => this.get<T>(key)));
  }

  /** Writes several keys (each with its own mode); rejects with the first failure. */
  async setMany(entries: ReadonlyArray<readonly [string, unknown]>): Promise<void> {
    await Promise.all(entries.map(([key, value]) => this.set(key, value)));
  }

  /**
   * Loads registered exact keys, and the keys of patterns the store can list, from the store
   * into the cache with bounded concurrency. Never throws for a single key: failures are
   * reported.
   */
  warmup(): Promise<WarmupReport> {
    return warmup(this.registry, this.store, this.options.warmupConcurrency, (key, registration) =>
      this.reads.run(key, (flight) => this.load(key, registration, flight)),
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
    await this.startPromise?.catch(() => undefined);
    // Writes already past their checks finish and queue their invalidations before the flush.
    await this.writes.idle();
    this.validator.stop();
    this.leases.close();
    this.watchBus.close();
    await this.cluster.close();
    this.detachMetrics?.();
    await Promise.allSettled([this.locker.close(), this.cache.close?.(), this.bus.close()]);
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.state === 'closed';
  }

  private async load(key: string, registration: Registration, flight: Flight<unknown>): Promise<unknown> {
    const started = performance.now();
    if (this.sharedTier) {
      const entry = await this.readSharedTier(key);
      if (entry !== undefined) {
        if (!flight.stale) this.lastKnown?.remember(key, entry.value, registration.ttl);
        return entry.value;
      }
    }
    let value: unknown;
    try {
      value = await this.readStore(key);
    } catch (error) {
      return this.serveLastKnown(key, registration, error);
    }
    this.metrics.load(registration.pattern, performance.now() - started);
    if (value === undefined) return undefined;
    if (flight.stale) {
      this.metrics.staleFillsDiscarded(registration.pattern);
    } else {
      // Only a value still current is worth serving in a later outage.
      this.lastKnown?.remember(key, value, registration.ttl);
      // A fill carries ts 0: it is what the store held, older than any write.
      await this.fill(key, { value, ts: 0, origin: this.nodeId }, registration.ttl);
    }
    return value;
  }

  private async compute<T>(job: Computation<T>): Promise<T> {
    if (this.sharedTier) {
      const entry = await this.readSharedTier(job.key);
      if (entry !== undefined) return entry.value as T;
      return this.computeAcrossProcesses(job);
    }
    return this.computeHere(job);
  }

  /**
   * With a shared cache tier, processes take a fill lock per key so one loader runs cluster-wide:
   * a waiter that gets the lock finds the winner's value in the shared tier. A waiter that times
   * out loads on its own rather than fail.
   */
  private async computeAcrossProcesses<T>(job: Computation<T>): Promise<T> {
    const lock = await this.locks.acquire(`${this.namespace}:fill:${job.key}`, FILL_LOCK).catch((error: unknown) => {
      if (error instanceof LockTimeoutError) return undefined;
      throw error;
    });
    try {
      if (lock !== undefined) {
        const entry = await this.readSharedTier(job.key);
        if (entry !== undefined) return entry.value as T;
      }
      return await this.computeHere(job);
    } finally {
      await lock?.release().catch(() => undefined);
    }
  }

  private async computeHere<T>({ key, registration, loader, options, flight }: Computation<T>): Promise<T> {
    const started = performance.now();
    const value = await loader();
    this.metrics.load(registration.pattern, performance.now() - started);
    if (value === undefined || (options?.cacheIf !== undefined && !options.cacheIf(value))) return value;
    if (flight.stale) {
      // A set or invalidation landed while the loader ran: its value is newer than the loader's
      // (which may have read the database before it). Answer the callers, persist nothing.
      this.metrics.staleFillsDiscarded(registration.pattern);
      return value;
    }
    this.assertOpen(key);
    assertValue(key, value);
    try {
      await this.writes.run(key, () => this.write(key, registration, value, options?.ttl ?? registration.ttl));
    } catch (error) {
      // The value is persisted; a read must not fail because a peer did not acknowledge.
      if (!(error instanceof QuorumNotReachedError)) throw error;
      this.logger.warn(`Warp: getOrSet of "${key}" cached without every peer's acknowledgement: ${error.message}`);
    }
    return value;
  }

  private write(key: string, registration: Registration, value: unknown, ttl: number): Promise<void> {
    return registration.mode === Mode.StrongDistributed
      ? this.writeUnderClusterLock(key, registration, value, ttl)
      : this.writeThrough(key, registration, value, ttl);
  }

  /** StrongDistributed: the whole write (merge, store, cache, acknowledged propagation) under a cluster lock. */
  private async writeUnderClusterLock(key: string, registration: Registration, value: unknown, ttl: number): Promise<void> {
    const lock = await this.locks.acquire(`${this.namespace}:write:${key}`, {
      ttl: STRONG_WRITE_LOCK.ttl,
      waitTimeout: this.options.publishTimeout,
    });
    try {
      await this.writeThrough(key, registration, value, ttl);
    } finally {
      // Not awaited: the write is complete, and this node's next write of the key queues behind
      // the release on the same connection anyway. Saves a round trip per strong write.
      lock.release().catch((error: unknown) => this.logger.warn(`Warp: releasing the write lock of "${key}": ${String(error)}`));
    }
  }

  private async writeThrough(key: string, registration: Registration, value: unknown, ttl: number): Promise<void> {
    let next: Envelope = { value, ts: this.clock.now(), origin: this.nodeId };
    if (this.mergeEngine.needsCurrent(registration.merge)) {
      const current = await this.readCurrent(key);
      next = await this.mergeEngine.merge(key, current, next, registration.merge);
    }
    await this.writeStore(key, next.value);
    this.markStale(key);
    if (this.sharedTier) await this.writeCache(key, next, ttl);
    // A node-local MemoryCache is written synchronously: awaiting its resolved promise costs a tick.
    else (this.cache as MemoryCache).put(key, next, ttl);
    this.lastKnown?.remember(key, next.value, ttl);
    this.versions?.record(key, next);
    this.metrics.set(registration.pattern);
    // Only StrongDistributed waits on peers: awaiting the other modes' void would cost a tick.
    const propagated = this.propagate(registration.mode, key);
    if (propagated !== undefined) await propagated;
  }

  /** Lock names are namespaced so clusters sharing a Redis never contend. */
  private lockName(name: string): string {
    return `${this.namespace}:lock:${name}`;
  }

  /** Tells peers by mode; `dropped` marks an explicit invalidation (peers forget fail-safe values too). */
  private propagate(mode: Mode, key: string, dropped = false): Promise<void> | void {
    if (mode === Mode.EventualDistributed) this.cluster.invalidateSoon(key, dropped);
    else if (mode === Mode.StrongDistributed) return this.cluster.invalidateAcknowledged([key], dropped);
  }

  /** The current value for a merge: local tier, shared tier, then the store. */
  private async readCurrent(key: string): Promise<Envelope | undefined> {
    const local = this.cache.peek?.(key);
    if (local !== undefined) return local;
    const shared = await this.readSharedTier(key);
    if (shared !== undefined) return shared;
    const stored = await this.readStore(key);
    return stored === undefined ? undefined : { value: stored, ts: 0, origin: '' };
  }

  private async readSharedTier(key: string): Promise<Envelope | undefined> {
    try {
      const entry = await this.bounded(this.cache.get(key));
      // A timestamped entry is a writer's version this node learns about; fills (ts 0) are not.
      if (entry !== undefined && entry.ts > 0) this.versions?.record(key, entry);
      return entry;
    } catch (error) {
      // A shared cache outage degrades to store reads; it never fails a read on its own.
      this.logger.warn(`Warp: cache read of "${key}" failed, reading the store: ${String(error)}`);
      return undefined;
    }
  }

  private async readStore(key: string): Promise<unknown> {
    try {
      return await this.bounded(this.store.get(key));
    } catch (error) {
      this.metrics.storeError?.(this.patternOf(key), 'read');
      throw new StoreError(`Store read of "${key}" failed: ${messageOf(error)}`, { key, cause: error });
    }
  }

  private async writeStore(key: string, value: unknown): Promise<void> {
    try {
      await this.store.set(key, value);
    } catch (error) {
      if (error instanceof SerializationError) throw error;
      this.metrics.storeError?.(this.patternOf(key), 'write');
      throw new StoreError(`Store write of "${key}" failed; the cache and peers were left untouched: ${messageOf(error)}`, {
        key,
        cause: error,
      });
    }
  }

  private async writeCache(key: string, entry: Envelope, ttl: number): Promise<void> {
    try {
      await this.cache.set(key, entry, ttl);
    } catch (error) {
      // The store already has the value: drop what the cache holds so nobody serves the old one.
      this.cache.evictLocal?.([key]);
      await this.cache.delete(key).catch(() => undefined);
      this.logger.warn(`Warp: cache write of "${key}" failed after the store write; entry dropped: ${String(error)}`);
    }
  }

  private async fill(key: string, entry: Envelope, ttl: number): Promise<void> {
    try {
      const filling: Promise<unknown> =
        this.cache.setIfAbsent !== undefined ? this.cache.setIfAbsent(key, entry, ttl) : this.fillIfAbsent(key, entry, ttl);
      // A shared tier that hangs must not hold the read that already has its value.
      await this.bounded(filling);
    } catch (error) {
      this.logger.warn(`Warp: cache fill of "${key}" failed: ${String(error)}`);
    }
  }

  /**
   * The validator's repair: drop the key everywhere (peers by its mode), then load the store's
   * value. The reload goes through singleflight, so a write racing it wins.
   */
  private async heal(key: string): Promise<void> {
    const registration = this.registrationOf(key);
    await this.invalidate(key);
    await this.reads.run(key, (flight) => this.load(key, registration, flight));
  }

  /**
   * A failed store read on the miss path: the last known value when fail-safe allows it (counted),
   * else the `StoreError`. StrongDistributed keys never get a stale value.
   */
  private serveLastKnown(key: string, registration: Registration, error: unknown): unknown {
    if (this.lastKnown === undefined || registration.mode === Mode.StrongDistributed) throw error;
    const known = this.lastKnown.recall(key);
    if (known === undefined) throw error;
    this.metrics.failSafeServed(registration.pattern);
    return known.value;
  }

  /** Bounds a read-path operation by `storeTimeout`, when one is set. */
  private bounded<T>(operation: Promise<T>): Promise<T> {
    return this.storeTimeout === undefined ? operation : withTimeout(operation, this.storeTimeout);
  }

  private async fillIfAbsent(key: string, entry: Envelope, ttl: number): Promise<void> {
    if ((await this.cache.get(key)) === undefined) await this.cache.set(key, entry, ttl);
  }

  /** The metric label of `key`: its registration pattern, never the raw key. */
  private patternOf(key: string): string {
    return this.registry.resolve(key)?.pattern ?? 'unregistered';
  }

  private markStale(key: string): void {
    this.reads.markStale(key);
    this.computes.markStale(key);
  }

  private evictLocally(keys: string[]): void {
    for (const key of keys) this.markStale(key);
    this.cache.evictLocal?.(keys);
  }

  /**
   * A peer's write leaves the last known value as a fail-safe answer (stale within `grace`, the
   * point of fail-safe); an explicit invalidation or a lease revocation removes it.
   */
  private forgetLastKnown(keys: readonly string[]): void {
    if (this.lastKnown === undefined) return;
    for (const key of keys) this.lastKnown.forget(key);
  }

  /** Drops keys from every cache tier of this node without telling peers (a lease expiry seen here). */
  private async dropHere(keys: readonly string[]): Promise<void> {
    this.evictLocally(keys as string[]);
    this.forgetLastKnown(keys);
    await Promise.all(keys.map((key) => this.cache.delete(key)));
    for (const key of keys) this.markStale(key);
  }

  private dropDistributedFromLocalTier(): void {
    const distributed = (key: string): boolean => {
      const registration = this.registry.resolve(key);
      return registration === undefined || registration.mode !== Mode.StrongLocal;
    };
    // Loads in flight may have read what a missed invalidation replaced: they must not fill.
    this.reads.markAllStale(distributed);
    this.computes.markAllStale(distributed);
    this.cache.clearLocal?.(distributed);
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

function assertValue(key: string, value: unknown): void {
  if (value === undefined) {
    throw new SerializationError(`Cannot set "${key}" to undefined: use invalidate() to drop a key`, { key });
  }
  const type = typeof value;
  if (type === 'function' || type === 'symbol' || type === 'bigint') {
    throw new SerializationError(`Cannot set "${key}": a ${type} is not a storable value`, { key });
  }
}

function entryTtl(key: string, ttl: unknown): number {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
    throw new InvalidOptionsError(`Invalid ttl for "${key}": expected a number of ms >= 0, got ${String(ttl)}`, { key });
  }
  return ttl;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

