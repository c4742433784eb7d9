import type { Envelope } from '../common/envelope.js';
import { Mode } from '../common/mode.js';
import type { Registration } from '../common/registry.js';
import type { Flight } from '../common/singleflight.js';
import { LockTimeoutError, SerializationError } from '../common/warp.errors.js';
import { assertStorable } from '../codec/assert-storable.js';
import type { LockHandle } from '../lock/locker.interface.js';
import { mayUseTiers, type EngineContext } from './engine-context.js';

/** Options of one `getOrSet` call. */
export interface GetOrSetOptions<T = unknown> {
  /** TTL in ms for this fill, overriding the registration's. */
  ttl?: number;
  /**
   * Caches the loader's result only when this returns true. Default: every result but `null`
   * (`undefined` is never cached).
   */
  cacheIf?: (value: T) => boolean;
}

/** Cross-process fill lock of `getOrSet`: renewed while the loader runs; waiters give up after 10 s. */
const FILL_LOCK = { ttl: 10_000, waitTimeout: 10_000 } as const;
// Fill locks are taken per cache key, an unbounded set of names: no fencing counter may outlive them.

/** One `getOrSet` miss being computed. */
interface Computation<T> {
  key: string;
  registration: Registration;
  loader: () => Promise<T> | T;
  options: GetOrSetOptions<T> | undefined;
  flight: Flight<T>;
}

/** What `peekLocal` returns when the local tier cannot answer. */
export const MISS: unique symbol = Symbol('warp:miss');

/** What the cache-aside fills need of the read path. */
interface Reads {
  /** The local tier's value for `key`, or `MISS`; counts a hit. */
  peekLocal(key: string, registration: Registration): unknown;
  /** Shared-tier entries of the keys this node may read there. */
  readSharedMany(keys: readonly string[], registrationOf: ReadonlyMap<string, Registration>): Promise<(Envelope | undefined)[]>;
}

/**
 * `getOrSet` and `getOrSetMany`: the cached value, else the loader's result filled into the tiers
 * (never the store). With a shared tier, a cross-process fill lock per key lets one loader run
 * cluster-wide; the lock only spares the store a stampede, so a node that cannot get it loads.
 */
export class CacheAside {
  constructor(
    private readonly context: EngineContext,
    private readonly reads: Reads,
  ) {}

  /** Cache-aside: the cached value, else the loader's result, filled into the tiers (never the store). */
  getOrSet<T>(key: string, registration: Registration, loader: () => Promise<T> | T, options?: GetOrSetOptions<T>): Promise<T> {
    const hit = this.reads.peekLocal(key, registration);
    if (hit !== MISS) return Promise.resolve(hit as T);
    this.context.metrics.miss(registration.pattern);
    return this.context.computes.run(key, (flight) => this.compute({ key, registration, loader, options, flight }));
  }

  /**
   * Cache-aside for a batch (the DataLoader case): hits from the tiers, then one `loadMissing`
   * call with every key still missing; its results fill the tiers.
   */
  async getOrSetMany<T>(
    keys: readonly string[],
    registrations: readonly Registration[],
    loadMissing: (missing: string[]) => Promise<ReadonlyMap<string, T>>,
    options?: GetOrSetOptions<T>,
  ): Promise<(T | undefined)[]> {
    const values = new Array<T | undefined>(keys.length);
    const missing: number[] = [];
    keys.forEach((key, i) => {
      const value = this.reads.peekLocal(key, registrations[i]!);
      if (value === MISS) missing.push(i);
      else values[i] = value as T;
    });
    if (missing.length === 0) return values;
    const registrationOf = new Map(missing.map((i) => [keys[i]!, registrations[i]!]));
    const loaded = await this.context.computes.runMany<T | undefined>(
      missing.map((i) => keys[i]!),
      async (claimed, flights) => {
        const results = new Map<string, T | undefined>();
        const flightOf = new Map(claimed.map((key, i) => [key, flights[i]!]));
        const fillFrom = async (batch: string[]): Promise<void> => {
          const found = await this.reads.readSharedMany(batch, registrationOf);
          const absent: string[] = [];
          batch.forEach((key, i) => (found[i] === undefined ? absent.push(key) : results.set(key, found[i]!.value as T)));
          if (absent.length === 0) return;
          const computed = await loadMissing(absent);
          await Promise.all(
            absent.map((key) => {
              const value = computed.get(key);
              results.set(key, value);
              return this.fillComputed(key, registrationOf.get(key)!, value, options, flightOf.get(key)!);
            }),
          );
        };
        await this.withFillLocks(claimed, registrationOf, fillFrom);
        return claimed.map((key) => results.get(key));
      },
    );
    missing.forEach((index, j) => (values[index] = loaded[j]));
    return values;
  }

  /**
   * Runs `fillFrom` over `keys` holding their cross-process fill locks, when a shared tier exists:
   * first over the keys whose lock was free (one batch), then, once their holders are done, over
   * the keys another process was filling (which then mostly read the shared tier). Locks are tried
   * without waiting first, so two processes filling overlapping batches cannot deadlock.
   */
  private async withFillLocks(
    keys: string[],
    registrationOf: ReadonlyMap<string, Registration>,
    fillFrom: (batch: string[]) => Promise<void>,
  ): Promise<void> {
    const { context } = this;
    const lockable = context.tiers.shared ? keys.filter((key) => mayUseTiers(context, key, registrationOf.get(key)!)) : [];
    if (lockable.length === 0) return fillFrom(keys);
    const lockableSet = new Set(lockable);
    const first = await Promise.all(lockable.map((key) => this.fillLock(key, 0)));
    const owned = first.filter((lock) => lock !== undefined);
    const busy = lockable.filter((_, i) => first[i] === undefined);
    try {
      await fillFrom([...keys.filter((key) => !lockableSet.has(key)), ...lockable.filter((_, i) => first[i] !== undefined)]);
    } finally {
      await Promise.all(owned.map((lock) => lock.release().catch(() => undefined)));
    }
    if (busy.length === 0) return;
    // Another process fills these: wait for it, then read what it left (a waiter that times out loads on its own).
    const later = await Promise.all(busy.map((key) => this.fillLock(key, FILL_LOCK.waitTimeout)));
    try {
      await fillFrom(busy);
    } finally {
      await Promise.all(later.map((lock) => lock?.release().catch(() => undefined)));
    }
  }

  private async compute<T>(job: Computation<T>): Promise<T> {
    const { context } = this;
    if (mayUseTiers(context, job.key, job.registration) && context.tiers.shared) {
      const entry = await context.tiers.readShared(job.key);
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
    const lock = await this.fillLock(job.key, FILL_LOCK.waitTimeout);
    try {
      if (lock !== undefined) {
        const entry = await this.context.tiers.readShared(job.key);
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
    this.context.metrics.load(registration.pattern, performance.now() - started);
    await this.fillComputed(key, registration, value, options, flight);
    return value;
  }

  /** The cross-process fill lock of `key`, or `undefined` when another holder kept it past `wait` ms. */
  private fillLock(key: string, wait: number): Promise<LockHandle | undefined> {
    const { context } = this;
    // The fill lock only spares the store a stampede: when it cannot be had (held, or its
    // backend is down), this node loads the value itself.
    return context.locks.acquire(`${context.namespace}:fill:${key}`, { ttl: FILL_LOCK.ttl, waitTimeout: wait, fenced: false }).catch((error: unknown) => {
      if (error instanceof LockTimeoutError) return undefined;
      throw error;
    });
  }

  /**
   * Fills a loader's result. `undefined` is never cached and `null` only when `cacheIf` accepts
   * it; a value the codec cannot round-trip is not cached (logged), and the caller still gets it.
   */
  private async fillComputed<T>(key: string, registration: Registration, value: T | undefined, options: GetOrSetOptions<T> | undefined, flight: Flight<unknown>): Promise<void> {
    const { context } = this;
    if (value === undefined) return;
    const cacheIf = options?.cacheIf;
    if (cacheIf === undefined ? value === null : !cacheIf(value)) return;
    if (flight.stale || !mayUseTiers(context, key, registration)) {
      // A write or invalidation landed while the loader ran: its value is newer than the loader's.
      context.metrics.staleFillsDiscarded(registration.pattern);
      return;
    }
    try {
      assertStorable(context.codec, key, value);
    } catch (error) {
      if (!(error instanceof SerializationError)) throw error;
      context.logger.warn(`Warp: the value loaded for "${key}" was returned but not cached: ${error.message}`);
      return;
    }
    const entry = { value, ts: 0, origin: context.nodeId };
    await context.tiers.fill(key, entry, options?.ttl ?? registration.ttl, registration.mode === Mode.EventualDistributed);
  }
}
