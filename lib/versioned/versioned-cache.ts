import type { Envelope } from '../common/envelope.js';
import { compareEnvelopes } from '../common/envelope.js';
import { HybridLogicalClock } from '../common/hlc.js';
import { InvalidOptionsError } from '../common/warp.errors.js';

/** One remembered version of a key, as `history()` returns it. */
export interface Versioned<T = unknown> {
  value: T;
  /** Wall-clock milliseconds of the writer's HLC timestamp. */
  ts: number;
  /** Node id of the writer. */
  origin: string;
}

/** Bounds of a {@link VersionedCache}. */
export interface VersionedCacheOptions {
  /** Versions kept per key; older ones are dropped. Default 10. */
  maxVersions?: number;
  /** Keys with a history; the least recently used key's history is dropped beyond it. Default 10 000. */
  maxEntries?: number;
}

/** Defaults of {@link VersionedCacheOptions}. */
export const VERSIONED_DEFAULTS: Readonly<Required<VersionedCacheOptions>> = Object.freeze({
  maxVersions: 10,
  maxEntries: 10_000,
});

/**
 * Per key, the last `maxVersions` values this node saw, ordered by HLC timestamp, in at most
 * `maxEntries` keys (least recently used dropped first). Memory is bounded by
 * `maxVersions * maxEntries` envelopes. Values are kept by reference, like the memory cache does.
 *
 * What a node "saw" is its own successful writes and the timestamped versions it read from a
 * shared cache tier; fills from the store carry no timestamp and are not versions. See
 * `docs/versioned.md`.
 *
 * @example
 * const versions = new VersionedCache({ maxVersions: 5 });
 * versions.record('price', { value: 10, ts: clock.now(), origin: 'node-1' });
 * versions.getAt('price', Date.now()); // 10
 */
export class VersionedCache {
  readonly maxVersions: number;
  readonly maxEntries: number;
  /** Map order is recency order: the first key is the least recently used. */
  private readonly entries = new Map<string, Envelope[]>();

  /** @throws InvalidOptionsError unless both bounds are positive integers. */
  constructor(options: VersionedCacheOptions = {}) {
    this.maxVersions = options.maxVersions ?? VERSIONED_DEFAULTS.maxVersions;
    this.maxEntries = options.maxEntries ?? VERSIONED_DEFAULTS.maxEntries;
    assertBound('versions.maxVersions', this.maxVersions);
    assertBound('versions.maxEntries', this.maxEntries);
  }

  /** Number of keys with a history. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Remembers a version of `key`. A version already known (same timestamp and origin) is ignored,
   * one older than every kept version is ignored once the key holds `maxVersions`, and
   * out-of-order arrivals are put in timestamp order.
   */
  record(key: string, entry: Envelope): void {
    let versions = this.entries.get(key);
    if (versions === undefined) {
      versions = [];
    } else {
      this.entries.delete(key);
    }
    this.entries.set(key, versions);
    insertOrdered(versions, { value: entry.value, ts: entry.ts, origin: entry.origin }, this.maxVersions);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** The versions of `key`, oldest first (a copy); empty when none is known. */
  history<T>(key: string): Versioned<T>[] {
    const versions = this.touch(key);
    if (versions === undefined) return [];
    return versions.map(({ value, ts, origin }) => ({ value: value as T, ts: HybridLogicalClock.toMillis(ts), origin }));
  }

  /**
   * The value that was current at `at` (epoch ms or a Date): the newest version written at or
   * before it. `undefined` when `at` is older than every kept version or nothing is known.
   * @throws InvalidOptionsError when `at` is not a valid Date or a finite number.
   */
  getAt<T>(key: string, at: Date | number): T | undefined {
    const millis = at instanceof Date ? at.getTime() : at;
    if (typeof millis !== 'number' || !Number.isFinite(millis)) {
      throw new InvalidOptionsError(`Invalid time for getAt("${key}"): expected a valid Date or epoch milliseconds, got ${String(at)}`);
    }
    const versions = this.touch(key);
    if (versions === undefined) return undefined;
    for (let i = versions.length - 1; i >= 0; i--) {
      if (HybridLogicalClock.toMillis(versions[i]!.ts) <= millis) return versions[i]!.value as T;
    }
    return undefined;
  }

  /** Forgets every history. */
  clear(): void {
    this.entries.clear();
  }

  private touch(key: string): Envelope[] | undefined {
    const versions = this.entries.get(key);
    if (versions !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, versions);
    }
    return versions;
  }
}

/** Inserts in (ts, origin) order, skipping duplicates, then trims the oldest beyond `max`. */
function insertOrdered(versions: Envelope[], entry: Envelope, max: number): void {
  let i = versions.length;
  // Writes almost always arrive in order: scan from the newest end.
  while (i > 0 && compareEnvelopes(versions[i - 1]!, entry) > 0) i--;
  if (i > 0 && compareEnvelopes(versions[i - 1]!, entry) === 0) return;
  if (i === 0 && versions.length >= max) return;
  versions.splice(i, 0, entry);
  if (versions.length > max) versions.splice(0, versions.length - max);
}

function assertBound(name: string, value: unknown): void {
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new InvalidOptionsError(`Invalid Warp option "${name}": expected a positive integer, got ${String(value)}`);
  }
}
