import { describeValue } from '../common/describe-value.js';
import { InvalidKeyError } from '../warp.errors.js';

/** Longest key or pattern, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/**
 * Throws `InvalidKeyError` unless `key` is a non-empty string of at most 1024 UTF-8 bytes.
 * A UTF-16 code unit encodes to at most 3 bytes, so short keys skip the byte count (hot path).
 */
export function assertKey(key: unknown, what = 'key'): asserts key is string {
  if (typeof key !== 'string') {
    throw new InvalidKeyError(`Invalid ${what}: expected a non-empty string, got ${describeValue(key)}`);
  }
  if (key.length === 0) throw new InvalidKeyError(`Invalid ${what}: the empty string is not a key`, { key });
  if (key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new InvalidKeyError(
      `Invalid ${what} "${key.slice(0, 32)}...": ${Buffer.byteLength(key, 'utf8')} bytes exceeds the ${MAX_KEY_BYTES}-byte limit`,
      { key: key.slice(0, 64) },
    );
  }
}

