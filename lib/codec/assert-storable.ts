import { SerializationError } from '../common/warp.errors.js';
import type { Codec } from './codec.interface.js';

/**
 * Applies the value rule to `value` for `key`: throws when `codec` could not round-trip it. For
 * the engine's writes that no shared tier encodes (memory cache and store), so what is refused
 * does not depend on where the value happens to be kept. Uses `codec.assertEncodable` when the
 * codec has it, else `encode`.
 *
 * @example
 * assertStorable(new JsonCodec(), 'cart:1', { items: [{ price: NaN }] });
 * // SerializationError: cannot store the value of key "cart:1": $.items[0].price is NaN
 * @throws SerializationError naming the key (on `error.key` and in the message) and, with
 *   `JsonCodec`, the JSON path of the offending value.
 */
export function assertStorable(codec: Codec, key: string, value: unknown): void {
  try {
    if (codec.assertEncodable !== undefined) codec.assertEncodable(value);
    else codec.encode(value);
  } catch (error) {
    throw keyedSerializationError('cannot store the value of', key, error);
  }
}

/** A `SerializationError` for `key`: `<what> key "<key>": <reason>`, with the codec's error as `cause`. */
export function keyedSerializationError(what: string, key: string, error: unknown): SerializationError {
  const reason = error instanceof Error ? error.message : String(error);
  return new SerializationError(`${what} key "${key}": ${reason}`, { key, cause: error });
}
