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
