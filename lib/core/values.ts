import { SerializationError } from '../warp.errors.js';

/**
 * Refuses a value no tier may hold: `undefined` (use `invalidate`/`delete`), and what the JSON
 * codec cannot round-trip (functions, symbols, BigInt), so every backend sees the same rule.
 * @throws SerializationError naming the key.
 */
export function assertStorable(key: string, value: unknown): void {
  if (value === undefined) {
    throw new SerializationError(`Cannot set "${key}" to undefined: use invalidate() or delete() to drop a key`, { key });
  }
  const type = typeof value;
  if (type === 'function' || type === 'symbol' || type === 'bigint') {
    throw new SerializationError(`Cannot set "${key}": a ${type} is not a storable value`, { key });
  }
}
