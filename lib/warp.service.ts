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

  /**
   * Registers a key, or a pattern whose `*` matches one `:`-separated segment, with its consistency
   * mode. A later registration of the same key or pattern replaces the earlier one; the most
   * specific registration governs a key. `options.ttl` (ms) defaults to the module's `defaultTtl`
   * (0: no expiry); `options.merge` defaults to the module's merge engine (last write wins).
   * @example
   * this.warp.register('cart:*', Mode.EventualDistributed, { ttl: 60_000 });
   * @throws InvalidKeyError when the key or pattern is malformed.
   * @throws InvalidOptionsError for an unknown mode or a bad `ttl`, or a distributed mode with no
   *   cluster-wide locker (e.g. a NATS bus and no `locks`).
   */
  register(keyOrPattern: string, mode: Mode, options?: RegisterOptions): Registration {
    return this.engine.register(keyOrPattern, mode, options);
  }

  /**
   * Removes a registration. Keys it covered fall to a broader pattern, or become unregistered
   * (reads and writes of them then throw `UnregisteredKeyError`). Values already cached stay until
   * they expire or are invalidated.
   */
  unregister(keyOrPattern: string): void {
    this.engine.unregister(keyOrPattern);
  }

  /**
   * Reads a key: the node-local tier when it holds a fresh copy (a StrongDistributed key only
   * while this node holds its read lease), else one load per key at a time on this node through
   * the shared tier and then the store, whose value fills the tiers. `undefined` when the store
   * has none. With `failSafe`, a failing store read serves the last known value instead.
   * @example
   * const product = await this.warp.get<Product>('product:42');
   * @throws UnregisteredKeyError when no registration covers the key.
   * @throws InvalidKeyError when the key is malformed.
   * @throws StoreError when the store read fails or exceeds `storeTimeout` (and fail-safe has no value).
   */
  get<T>(key: string): Promise<T | undefined> {
    return this.engine.get<T>(key);
  }

  /**
   * Write-through: merges `value` with the current one (when the registration merges), persists
   * it to the store, then caches it and propagates by the key's mode (StrongLocal: this node;
   * EventualDistributed: peers evict within `invalidationDelay`; StrongDistributed: the write lock,
   * a prepare acknowledged by every member, the store with the lock's fencing token, the commit).
   * A store failure caches nothing. `options.ttl` overrides the registration's cache TTL;
   * `options.storeTtl` asks the store to drop the value after that many ms.
   * @example
   * await this.warp.set('account:42', { balance: 100 });
   * @throws UnregisteredKeyError, InvalidKeyError for the key.
   * @throws SerializationError when the codec cannot round-trip `value`.
   * @throws InvalidOptionsError when `ttl` or `storeTtl` is not a number of ms in [0, 2147483647].
   * @throws StoreError when the store write fails.
   * @throws QuorumNotReachedError, LockLostError, LockTimeoutError (StrongDistributed: the prepare was
   *   not acknowledged in `publishTimeout`, the write lock was lost, or could not be taken).
   * @throws WarpClosedError after the application closed.
   */
  set<T>(key: string, value: T, options?: SetOptions): Promise<void> {
    return this.engine.set(key, value, options);
  }

  /**
   * Cache-aside: the cached value, else `loader`'s result, which fills the cache tiers (never the
   * store: the loader is the source). One loader call per key at a time on this node, and
   * cluster-wide with a shared cache tier (a fill lock per key). `undefined` is never cached, `null`
   * only when `options.cacheIf` accepts it; `options.ttl` overrides the registration's TTL.
   * @example
   * const rate = await this.warp.getOrSet('fx:EURUSD', () => this.fx.fetchRate('EURUSD'), { ttl: 5_000 });
   * @throws UnregisteredKeyError, InvalidKeyError for the key, and whatever `loader` throws.
   */
  getOrSet<T>(key: string, loader: () => Promise<T> | T, options?: GetOrSetOptions<T>): Promise<T> {
    return this.engine.getOrSet(key, loader, options);
  }

  /**
   * Write-through delete: removes the key from the store (fenced on StrongDistributed keys, under
   * the same write protocol as `set`), then from every cache tier here and, by mode, on every peer.
   * Needs a store with `delete`; a missing key is not an error.
   * @example
   * await this.warp.delete('account:42');
   * @throws UnregisteredKeyError, InvalidKeyError for the key.
   * @throws InvalidOptionsError when the store has no `delete`.
   * @throws StoreError when the store delete fails (the caches keep the key, except that a
   *   StrongDistributed prepare already evicted it).
   * @throws QuorumNotReachedError, LockLostError, LockTimeoutError (StrongDistributed).
   * @throws WarpClosedError after the application closed.
   */
  delete(key: string): Promise<void> {
    return this.engine.delete(key);
  }

  /**
   * Cache-aside for a batch: hits from the cache, then one `loadMissing(missing)` call for every
   * missing key (a DataLoader batch function); its results fill the cache, never the store. Keys
   * `loadMissing` leaves out of its map read as `undefined`; order follows `keys`. With a shared
   * cache tier, keys another process is filling are waited for and read from it.
   * @example
   * const users = await this.warp.getOrSetMany(ids.map((id) => `user:${id}`), (missing) => this.users.loadByKeys(missing));
   * @throws UnregisteredKeyError, InvalidKeyError for a key, and whatever `loadMissing` throws
   */
  getOrSetMany<T>(
    keys: readonly string[],
    loadMissing: (missing: string[]) => Promise<ReadonlyMap<string, T>>,
    options?: GetOrSetOptions<T>,
  ): Promise<(T | undefined)[]> {
    return this.engine.getOrSetMany(keys, loadMissing, options);
  }

  /**
   * Drops a key from every cache tier here and, by its mode, on every peer (EventualDistributed:
   * batched within `invalidationDelay`; StrongDistributed: acknowledged before it resolves). The
   * store is untouched: the next read loads from it. Use after writing the store behind Warp's back.
   * @throws UnregisteredKeyError, InvalidKeyError for the key.
   * @throws QuorumNotReachedError (StrongDistributed) when the peers did not acknowledge in time.
   * @throws WarpClosedError after the application closed.
   */
  invalidate(key: string): Promise<void> {
    return this.engine.invalidate(key);
  }

  /**
   * Reads several keys, in order (`undefined` for absent ones): hits from the node-local tier,
   * then the shared tier key by key, then the keys still missing with one `Store.getMany` call
   * when the store has it (else one `get` each). Every key must be registered.
   * @example
   * const [a, b] = await this.warp.getMany<Product>(['product:1', 'product:2']);
   * @throws UnregisteredKeyError, InvalidKeyError for the first bad key (before any read).
   * @throws StoreError when the store read fails (and fail-safe has no value for a key).
   */
  getMany<T>(keys: readonly string[]): Promise<(T | undefined)[]> {
    return this.engine.getMany<T>(keys);
  }

  /**
   * Writes several keys, each with its own mode, concurrently (each as `set` does). Not atomic:
   * rejects with the first failure while the other writes may have succeeded.
   * @throws what `set` throws, for the first write that fails.
   */
  setMany(entries: ReadonlyArray<readonly [string, unknown]>): Promise<void> {
    return this.engine.setMany(entries);
  }

  /**
   * Acquires the lock `name` (cluster-wide with the default `RedisLocker`, in-process with a
   * `MemoryLocker`), namespaced by the module's `namespace`. The handle renews itself while held;
   * release it with `handle.release()`, and pass `handle.fencingToken` to a store that fences.
   * Defaults: `ttl` 10 000 ms, `waitTimeout` 5 000 ms (see docs/locks.md).
   * @example
   * const handle = await this.warp.lock(`invoice:${id}`, { waitTimeout: 0 });
   * try { await this.settle(id); } finally { await handle.release(); }
   * @throws LockTimeoutError when the lock is still held elsewhere after `waitTimeout`.
   * @throws InvalidKeyError for a malformed name; InvalidOptionsError for a bad `ttl`/`waitTimeout`.
   */
  lock(name: string, options?: LockOptions): Promise<LockHandle> {
    return this.engine.lock(name, options);
  }

  /**
   * Runs `fn` holding the lock `name` (as `lock` takes it) and always releases it, whether `fn`
   * resolves or throws. Resolves with `fn`'s result.
   * @example
   * await this.warp.withLock('report:daily', () => this.buildReport(), { waitTimeout: 0 });
   * @throws LockTimeoutError when the lock could not be taken within `waitTimeout`.
   * @throws LockLostError when the lock was lost (renewal failed) while `fn` ran.
   * @throws InvalidKeyError, InvalidOptionsError for a bad name or options, and whatever `fn` throws.
   */
  withLock<T>(name: string, fn: (handle: LockHandle) => T | Promise<T>, options?: LockOptions): Promise<T> {
    return this.engine.withLock(name, fn, options);
  }

  /**
   * Grants a lease of `ttlMs`, known on every node. Keys attached to it are invalidated everywhere
   * when it is revoked on any node, or expires without renewal (see docs/leases.md).
   * @example
   * const lease = await this.warp.grantLease(30_000);
   * await this.warp.attachKey(lease.id, `session:${sid}`);
   * @throws InvalidOptionsError unless `ttlMs` is in (0, 2147483647].
   * @throws WarpClosedError after the application closed.
   */
  grantLease(ttlMs: number): Promise<Lease> {
    return this.engine.grantLease(ttlMs);
  }

  /**
   * Attaches a registered key to a lease: the key is invalidated on every node when the lease is
   * revoked or expires.
   * @throws LeaseNotFoundError when the lease is unknown, revoked or expired.
   * @throws UnregisteredKeyError, InvalidKeyError for the key.
   */
  attachKey(leaseId: string, key: string): Promise<void> {
    return this.engine.attachKey(leaseId, key);
  }

  /**
   * Extends a lease by its TTL from now, on every node; resolves with the renewed lease.
   * @throws LeaseNotFoundError when the lease is unknown, revoked or already expired.
   */
  renewLease(leaseId: string): Promise<Lease> {
    return this.engine.renewLease(leaseId);
  }

  /**
   * Ends a lease now and invalidates its attached keys on every node.
   * @throws LeaseNotFoundError when the lease is unknown or already ended.
   * @throws QuorumNotReachedError when a StrongDistributed attached key's invalidation was not acknowledged.
   */
  revokeLease(leaseId: string): Promise<void> {
    return this.engine.revokeLease(leaseId);
  }

  /**
   * The versions of `key` this node knows, oldest first: its own writes and the versions it read
   * from a shared cache tier, at most `versions.maxVersions` (default 10). Needs the `versions`
   * option (off by default; see docs/versioned.md).
   * @throws UnregisteredKeyError, InvalidKeyError for the key.
   * @throws InvalidOptionsError when the `versions` option is not set.
   */
  history<T>(key: string): Promise<Versioned<T>[]> {
    return this.engine.history<T>(key);
  }

  /**
   * The value of `key` that was current at `at` (a Date or epoch ms) among the versions this node
   * knows (`history`); `undefined` when `at` predates them all. Needs the `versions` option.
   * @throws UnregisteredKeyError, InvalidKeyError for the key.
   * @throws InvalidOptionsError for an invalid time, or when the `versions` option is not set.
   */
  getAt<T>(key: string, at: Date | number): Promise<T | undefined> {
    return this.engine.getAt<T>(key, at);
  }

  /**
   * Publishes bytes on a topic to its watchers on every node, this one included, in publish order
   * per publisher. At most once: a watcher that is not subscribed yet, or a node cut off from the
   * bus, misses it (see docs/watch.md).
   * @example
   * await this.warp.publish('orders:created', new TextEncoder().encode(orderId));
   * @throws InvalidKeyError for a malformed topic.
   * @throws PayloadTooLargeError when the payload exceeds the bus message limit.
   * @throws WarpClosedError after the application closed.
   */
  publish(topic: string, payload: Uint8Array): Promise<void> {
    return this.engine.publish(topic, payload);
  }

  /**
   * Watches a topic, or every topic under `{ prefix }`, on every node: an AsyncIterable of
   * `{ topic, payload, origin, seq }` events, with `.observable()` for rxjs. Each subscriber
   * buffers `options.bufferSize` events (default: the module's `watch.bufferSize`, 1024) and drops
   * the oldest on overflow (`sub.dropped`); `unsubscribe()` ends it.
   * @example
   * const sub = this.warp.watch({ prefix: 'orders:' });
   * for await (const { topic, payload } of sub) console.log(topic, payload.byteLength);
   * @throws InvalidKeyError for a malformed topic or prefix; InvalidOptionsError for a bad `bufferSize`.
   * @throws WarpClosedError after the application closed.
   */
  watch(target: WatchTarget, options?: WatchOptions): WatchSubscription {
    return this.engine.watch(target, options);
  }

  /**
   * Loads into the cache the registered exact keys, and the keys of patterns the store can list
   * (`Store.keys`), key by key with `warmupConcurrency` (default 16) reads at a time. Never throws
   * for a single key or pattern: failures, missing keys and patterns the store cannot list are in
   * the report. `warmupOnBootstrap: true` runs it at application bootstrap.
   * @example
   * const { loaded, failed } = await this.warp.warmup();
   */
  warmup(): Promise<WarmupReport> {
    return this.engine.warmup();
  }
}
