import { InvalidOptionsError } from './warp.errors.js';

/**
 * Bounds Warp enforces up front, so a value a backend would refuse (or silently misread) is
 * rejected at the call that gave it, with `InvalidOptionsError`, instead of failing later.
 */

/** Longest delay a Node timer honours: `setTimeout`/`setInterval` turn longer ones into 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Longest TTL, in ms, of a registration, a `set` or a store entry: 2^31 - 1 ms (about 24.8
 * days). Redis alone would take far more (`PX` up to 2^63 - 1), but a TTL must mean the same on
 * every backend, and timer-based caches and stores (lru-cache's autopurge, Keyv adapters, a
 * user's `setTimeout` expiry) fire a longer delay at once. Data that must outlive it: TTL 0
 * (no expiry) and explicit invalidation.
 */
export const MAX_TTL_MS = MAX_TIMER_MS;

/** How messages describe a valid TTL. */
export const TTL_EXPECTED = `a number of ms from 0 (no expiry) to ${MAX_TTL_MS} (about 24.8 days)`;

/** Whether `value` is a valid TTL: a finite number of ms in [0, MAX_TTL_MS]. */
export function isTtl(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= MAX_TTL_MS;
}

/**
 * `ttl` when it is a valid TTL for `key`'s entry.
 * @throws InvalidOptionsError naming the option (`ttl`, `storeTtl`) and the accepted values.
 */
export function checkedTtl(key: string, ttl: unknown, name = 'ttl'): number {
  if (!isTtl(ttl)) throw new InvalidOptionsError(`Invalid ${name} for "${key}": expected ${TTL_EXPECTED}, got ${String(ttl)}`, { key });
  return ttl;
}
