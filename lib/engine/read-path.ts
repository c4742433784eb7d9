export { MISS, type GetOrSetOptions } from './cache-aside.js';
import { StoreError } from '../common/warp.errors.js';
import { mayUseTiers, messageOf, type EngineContext } from './engine-context.js';
import type { Envelope } from '../common/envelope.js';
import { Mode } from '../common/mode.js';
import type { Registration } from '../common/registry.js';
import type { Flight } from '../common/singleflight.js';
import { CacheAside, MISS, type GetOrSetOptions } from './cache-aside.js';

/**
 * Reads; `getOrSet` is the cache-aside half (cache-aside.ts). A read never writes the store: `get` fills the tiers from the
 * store, `getOrSet` from its loader (docs/consistency.md "Two ways to own data"). A fill is
 * skipped when a write, invalidation or prepare of its key landed while it loaded (the stale flag
 * of its flight), and for a StrongDistributed key this node may not cache now.
 */
export class ReadPath {
  private readonly cacheAside: CacheAside;

  constructor(private readonly context: EngineContext) {
    this.cacheAside = new CacheAside(context, this);
  }

  /** Not async: a hit settles one promise and enters no async frame; anything else is `read`'s. */
  get<T>(key: string, registration: Registration): Promise<T | undefined> {
    let hit: unknown;
    try {
      hit = this.peekLocal(key, registration);
    } catch (error) {
      return Promise.reject(error);
    }
    return hit === MISS ? this.read<T>(key, registration) : Promise.resolve(hit as T);
  }

  /** `get` past the local tier: the store for a key this node may not cache now, else one load per key. */
  private async read<T>(key: string, registration: Registration): Promise<T | undefined> {
    const { context } = this;
    if (!mayUseTiers(context, key, registration)) return (await this.readStore(key, registration)) as T | undefined;
    context.metrics.miss(registration.pattern);
    return context.reads.run(key, (flight) => this.load(key, registration, flight) as Promise<T | undefined>);
  }

  /** The local tier's value for `key`, or `MISS`; counts a hit. The allocation-free first step of `getOrSet`. */
  peekLocal(key: string, registration: Registration): unknown {
    if (!mayUseTiers(this.context, key, registration)) return MISS;
    const hit = this.context.tiers.peek(key);
    if (hit === undefined) return MISS;
    this.context.metrics.hit(registration.pattern);
    return hit.value;
  }

  /** Hits from the tiers; every miss loaded by one `WarpStore.getMany` call when the store has it. */
  async getMany<T>(keys: readonly string[], registrations: readonly Registration[]): Promise<(T | undefined)[]> {
    const values = new Array<T | undefined>(keys.length);
    const missing: number[] = [];
    keys.forEach((key, i) => {
      const value = this.peekLocal(key, registrations[i]!);
      if (value === MISS) {
        this.context.metrics.miss(registrations[i]!.pattern);
        missing.push(i);
      } else values[i] = value as T;
    });
    if (missing.length === 0) return values;
    const registrationOf = new Map(missing.map((i) => [keys[i]!, registrations[i]!]));
    const loaded = await this.context.reads.runMany(
      missing.map((i) => keys[i]!),
      (claimed, flights) => this.loadMany(claimed, flights, registrationOf),
    );
    missing.forEach((index, j) => (values[index] = loaded[j] as T | undefined));
    return values;
  }

  /** Cache-aside: the cached value, else the loader's result, filled into the tiers (never the store). */
  getOrSet<T>(key: string, registration: Registration, loader: () => Promise<T> | T, options?: GetOrSetOptions<T>): Promise<T> {
    return this.cacheAside.getOrSet(key, registration, loader, options);
  }

  /** Cache-aside for a batch: see `CacheAside.getOrSetMany`. */
  getOrSetMany<T>(
    keys: readonly string[],
    registrations: readonly Registration[],
    loadMissing: (missing: string[]) => Promise<ReadonlyMap<string, T>>,
    options?: GetOrSetOptions<T>,
  ): Promise<(T | undefined)[]> {
    return this.cacheAside.getOrSetMany(keys, registrations, loadMissing, options);
  }

  /** One load of `key`: the shared tier, then the store; fills the tiers unless stale. Also warmup's. */
  async load(key: string, registration: Registration, flight: Flight<unknown>): Promise<unknown> {
    const { context } = this;
    const started = performance.now();
    if (context.tiers.shared && mayUseTiers(context, key, registration)) {
      const entry = await context.tiers.readShared(key);
      if (entry !== undefined) {
        this.learned(key, entry, registration, flight);
        return entry.value;
      }
    }
    let value: unknown;
    try {
      value = await this.readStore(key, registration);
    } catch (error) {
      return this.serveLastKnown(key, registration, error);
    }
    context.metrics.load(registration.pattern, performance.now() - started);
    if (value !== undefined) await this.fillLoaded(key, registration, value, flight);
    return value;
  }

  /** Reads the store, bounded by `storeTimeout`. @throws StoreError */
  async readStore(key: string, registration?: Registration): Promise<unknown> {
    try {
      return await this.context.tiers.bounded(this.context.store.get(key));
    } catch (error) {
      this.context.metrics.storeError?.(registration?.pattern ?? this.context.registry.resolve(key)?.pattern ?? 'unregistered', 'read');
      throw new StoreError(`Store read of "${key}" failed: ${messageOf(error)}`, { key, cause: error });
    }
  }

  private async loadMany(keys: string[], flights: Flight<unknown>[], registrationOf: ReadonlyMap<string, Registration>): Promise<unknown[]> {
    const found = await this.readSharedMany(keys, registrationOf);
    const absent = keys.filter((_, i) => found[i] === undefined);
    let stored: unknown[] = [];
    if (absent.length > 0) {
      try {
        stored = await this.readStoreMany(absent);
      } catch (error) {
        // Fail-safe answers key by key; any key without one fails the batch.
        stored = absent.map((key) => this.serveLastKnown(key, registrationOf.get(key)!, error));
      }
    }
    let next = 0;
    return Promise.all(
      keys.map(async (key, i) => {
        const registration = registrationOf.get(key)!;
        const entry = found[i];
        if (entry !== undefined) {
          this.learned(key, entry, registration, flights[i]!);
          return entry.value;
        }
        const value = stored[next++];
        if (value !== undefined) await this.fillLoaded(key, registration, value, flights[i]!);
        return value;
      }),
    );
  }

  /** Shared-tier entries of the keys this node may read there (`undefined` for the others). */
  /** @internal Used by the cache-aside fills. */
  readSharedMany(keys: readonly string[], registrationOf: ReadonlyMap<string, Registration>): Promise<(Envelope | undefined)[]> {
    const { context } = this;
    if (!context.tiers.shared) return Promise.resolve(keys.map(() => undefined));
    return Promise.all(keys.map((key) => (mayUseTiers(context, key, registrationOf.get(key)!) ? context.tiers.readShared(key) : undefined)));
  }

  private async readStoreMany(keys: string[]): Promise<unknown[]> {
    const { store, tiers } = this.context;
    if (store.getMany === undefined) return Promise.all(keys.map((key) => this.readStore(key)));
    try {
      return await tiers.bounded(store.getMany(keys));
    } catch (error) {
      throw new StoreError(`Store read of ${keys.length} keys ("${keys[0]}", ...) failed: ${messageOf(error)}`, { key: keys[0], cause: error });
    }
  }

  /** A timestamped shared-tier entry is a writer's version this node learns about; fills (ts 0) are not. */
  private learned(key: string, entry: Envelope, registration: Registration, flight: Flight<unknown>): void {
    if (entry.ts > 0) this.context.versions?.record(key, entry);
    if (!flight.stale) this.context.lastKnown?.remember(key, entry.value, registration.ttl);
  }

  private async fillLoaded(key: string, registration: Registration, value: unknown, flight: Flight<unknown>): Promise<void> {
    const { context } = this;
    if (flight.stale || !mayUseTiers(context, key, registration)) {
      context.metrics.staleFillsDiscarded(registration.pattern);
      return;
    }
    // Only a value still current is worth serving in a later outage.
    context.lastKnown?.remember(key, value, registration.ttl);
    // A fill carries ts 0: it is what the store held, older than any write.
    await context.tiers.fill(key, { value, ts: 0, origin: context.nodeId }, registration.ttl, registration.mode === Mode.EventualDistributed);
  }

  /**
   * A failed store read on the miss path: the last known value when fail-safe allows it (counted),
   * else the `StoreError`. StrongDistributed keys never get a stale value.
   */
  private serveLastKnown(key: string, registration: Registration, error: unknown): unknown {
    const { lastKnown, metrics } = this.context;
    if (lastKnown === undefined || registration.mode === Mode.StrongDistributed) throw error;
    const known = lastKnown.recall(key);
    if (known === undefined) throw error;
    metrics.failSafeServed(registration.pattern);
    return known.value;
  }
}
