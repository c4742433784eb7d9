/** Last known values kept when `failSafe` has no `maxEntries`. */
export const DEFAULT_FAIL_SAFE_MAX_ENTRIES = 10_000;

interface Known {
  value: unknown;
  /** Epoch ms after which the value is too old to serve (`Infinity` for keys without TTL). */
  usableUntil: number;
}

/**
 * The last value this node read or wrote for each key, kept past the cache entry's life so a read
 * can fall back on it while the store is failing (`failSafe`). A value stays usable for `grace` ms
 * after its cache entry would have expired (keys without TTL: until evicted from this bounded
 * map). Values are kept by reference, like the memory cache: no copy.
 */
export class LastKnownValues {
  private readonly known = new Map<string, Known>();

  constructor(
    private readonly grace: number,
    private readonly maxEntries: number,
  ) {}

  /** Records `value` as the latest for `key`, whose cache entry lives `ttlMs` (0: no expiry). */
  remember(key: string, value: unknown, ttlMs: number): void {
    // Re-insert so Map order is least-recently-remembered first.
    this.known.delete(key);
    this.known.set(key, { value, usableUntil: ttlMs > 0 ? Date.now() + ttlMs + this.grace : Infinity });
    if (this.known.size > this.maxEntries) this.known.delete(this.known.keys().next().value!);
  }

  /** The value to serve in place of a failed read, or `undefined` when none is recent enough. */
  recall(key: string): Known | undefined {
    const known = this.known.get(key);
    if (known === undefined) return undefined;
    if (known.usableUntil < Date.now()) {
      this.known.delete(key);
      return undefined;
    }
    return known;
  }

  /** Drops `key`: an explicit invalidation says its value must not be served again. */
  forget(key: string): void {
    this.known.delete(key);
  }

  get size(): number {
    return this.known.size;
  }
}
