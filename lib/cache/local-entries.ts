import type { Envelope } from '../common/envelope.js';

/** Why entries left a `LocalEntries` on their own (explicit deletes and clears are not reported). */
export type EvictionReason = 'expired' | 'lru';

/** Where `MemoryCache` keeps its entries: a plain `Map` when unbounded, lru-cache under a bound. */
export interface LocalEntries {
  /** The live entry of `key`; an expired one is deleted (and reported) instead. */
  peek(key: string): Envelope | undefined;
  /** Stores `entry` as given (the caller copies it); `ttlMs` 0: no expiry. */
  set(key: string, entry: Envelope, ttlMs: number): void;
  delete(key: string): void;
  clear(): void;
  /** Every held key, expired ones included. */
  keys(): IterableIterator<string>;
  /** The keys the sweeper must examine, oldest first; entries deleted meanwhile are skipped. */
  sweepOrder(): Iterator<string, void, void>;
  /** How many keys `sweepOrder` walks through. */
  readonly sweepable: number;
  /** Whether the entry of `key` is held but past its TTL. */
  expired(key: string): boolean;
  /** Entries held, expired ones included (expiry is lazy). */
  readonly size: number;
}

/**
 * The unbounded default: a `Map`, so a hit is one lookup (lru-cache's `peek` adds option handling
 * and a diagnostics-channel check per call). Expiry times, on the monotonic clock, sit in a second
 * map holding only the entries that have a TTL: a cache without TTLs never reads the clock, and
 * the sweeper walks the expiring entries only.
 */
export class UnboundedEntries implements LocalEntries {
  private readonly entries = new Map<string, Envelope>();
  /** key → `performance.now()` at which it expires; only entries with a TTL. */
  private readonly expiries = new Map<string, number>();

  constructor(private readonly onExpired?: () => void) {}

  peek(key: string): Envelope | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || this.expiries.size === 0) return entry;
    const at = this.expiries.get(key);
    if (at === undefined || performance.now() < at) return entry;
    this.delete(key);
    this.onExpired?.();
    return undefined;
  }

  set(key: string, entry: Envelope, ttlMs: number): void {
    this.entries.set(key, entry);
    if (ttlMs > 0) this.expiries.set(key, performance.now() + ttlMs);
    else if (this.expiries.size !== 0) this.expiries.delete(key);
  }

  delete(key: string): void {
    if (this.entries.delete(key) && this.expiries.size !== 0) this.expiries.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.expiries.clear();
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  sweepOrder(): Iterator<string, void, void> {
    return this.expiries.keys();
  }

  get sweepable(): number {
    return this.expiries.size;
  }

  expired(key: string): boolean {
    const at = this.expiries.get(key);
    return at !== undefined && performance.now() >= at;
  }

  get size(): number {
    return this.entries.size;
  }
}
