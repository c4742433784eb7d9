import { InvalidOptionsError } from '../common/warp.errors.js';
import type { StoreWrite } from './store.interface.js';

/**
 * How long a store remembers the fence of a deleted key (24 hours): a stale writer fenced below it
 * is refused even though the value is gone. It must outlive the locks whose tokens it guards: lock
 * leases are seconds (10 s by default, renewed while held), so a writer whose lease expired while
 * it was paused is refused for 24 h after the delete; after that, with no value and no record
 * left, the key starts afresh. Both built-in stores take a `fenceTombstoneTtl` option to change it.
 */
export const DEFAULT_FENCE_TOMBSTONE_TTL = 86_400_000;

/**
 * Turns a lock's fencing token into the `fence` of a store write. Tokens are numbers today
 * (`LockHandle.fencingToken`, from Redis `INCR`, exact up to 2^53); the store API takes bigints so
 * a backend whose counters exceed that stays exact.
 *
 * @example
 * await store.set(key, value, { fence: toFence(handle.fencingToken) });
 * @throws InvalidOptionsError when `token` is not a non-negative integer (number or bigint).
 */
export function toFence(token: number | bigint): bigint {
  if (typeof token === 'bigint' && token >= 0n) return token;
  if (typeof token === 'number' && Number.isSafeInteger(token) && token >= 0) return BigInt(token);
  throw new InvalidOptionsError(`Invalid fencing token ${String(token)}: expected a non-negative integer`);
}

/**
 * The fence of a store write, validated: `undefined` when the write is not fenced.
 *
 * @throws InvalidOptionsError naming the key when `write` is not an object or its `fence` is not a
 *   bigint >= 0n.
 */
export function fenceOf(key: string, write: StoreWrite | undefined): bigint | undefined {
  if (write === undefined) return undefined;
  if (write === null || typeof write !== 'object') {
    throw new InvalidOptionsError(`Invalid write options for "${key}": expected an object, got ${describeValue(write)}`, { key });
  }
  const { fence } = write;
  if (fence === undefined || (typeof fence === 'bigint' && fence >= 0n)) return fence;
  throw new InvalidOptionsError(
    `Invalid write option "fence" for "${key}": expected a bigint >= 0n (toFence(handle.fencingToken)), got ${describeValue(fence)}`,
    { key },
  );
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'number' || typeof value === 'bigint' ? `${typeof value} ${String(value)}` : typeof value;
}
