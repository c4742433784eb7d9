/** One in-flight load of a key. `stale` is set when a write or invalidation lands meanwhile. */
export interface Flight<T = unknown> {
  promise: Promise<T>;
  stale: boolean;
}

/**
 * Collapses concurrent loads of a key into one, and carries the stale-fill guard: a write or an
 * invalidation that lands while a load is in flight marks it stale, and a stale load must not
 * fill the cache (the stale-set race that memcache leases solve). Tracking only in-flight keys
 * keeps memory bounded by concurrency instead of by the key space.
 */
export class SingleFlight {
  private readonly flights = new Map<string, Flight>();

  /** Joins the flight for `key`, or starts one with `load`. */
  run<T>(key: string, load: (flight: Flight<T>) => Promise<T>): Promise<T> {
    const existing = this.flights.get(key) as Flight<T> | undefined;
    if (existing !== undefined) return existing.promise;
    const flight = { stale: false } as Flight<T>;
    this.flights.set(key, flight);
    // Started from a resolved promise so a synchronous throw in `load` still clears the entry.
    flight.promise = Promise.resolve(flight).then(load).finally(() => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    });
    return flight.promise;
  }

  /**
   * `run` for several keys with one loader call: keys with a load in flight join it, the others
   * are loaded together by `loadMany` (each gets its own flight, so the stale-fill guard applies
   * per key). Results are in the order of `keys`.
   */
  async runMany<T>(keys: readonly string[], loadMany: (keys: string[], flights: Flight<T>[]) => Promise<T[]>): Promise<T[]> {
    const results = new Map<string, Promise<T>>();
    const claimed: string[] = [];
    const flights: Flight<T>[] = [];
    const settlers: Array<{ resolve(value: T): void; reject(error: unknown): void }> = [];
    for (const key of keys) {
      if (results.has(key)) continue;
      const existing = this.flights.get(key) as Flight<T> | undefined;
      if (existing !== undefined) {
        results.set(key, existing.promise);
        continue;
      }
      const flight = { stale: false } as Flight<T>;
      flight.promise = new Promise<T>((resolve, reject) => settlers.push({ resolve, reject }));
      // Joiners that arrive while the batch runs share the rejection; nobody else may see it unhandled.
      flight.promise.catch(() => undefined);
      this.flights.set(key, flight);
      results.set(key, flight.promise);
      claimed.push(key);
      flights.push(flight);
    }
    if (claimed.length > 0) {
      try {
        const values = await loadMany(claimed, flights);
        claimed.forEach((_, i) => settlers[i]!.resolve(values[i]!));
      } catch (error) {
        for (const settler of settlers) settler.reject(error);
      } finally {
        claimed.forEach((key, i) => {
          if (this.flights.get(key) === flights[i]) this.flights.delete(key);
        });
      }
    }
    return Promise.all(keys.map((key) => results.get(key)!));
  }

  /** Marks the in-flight load of `key`, if any, as stale. Called by every write and invalidation. */
  markStale(key: string): void {
    const flight = this.flights.get(key);
    if (flight !== undefined) {
      flight.stale = true;
      // Later callers must not join a load that can no longer fill the cache.
      this.flights.delete(key);
    }
  }

  /** Marks every in-flight load whose key passes `predicate` as stale. */
  markAllStale(predicate: (key: string) => boolean): void {
    for (const key of [...this.flights.keys()]) if (predicate(key)) this.markStale(key);
  }

  /** Number of loads in flight. */
  get size(): number {
    return this.flights.size;
  }
}
