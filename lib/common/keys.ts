import { describeValue } from './describe-value.js';
import { InvalidKeyError } from './warp.errors.js';

/** Longest key or pattern, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** `String.prototype.isWellFormed` (Node >= 20; typed from the ES2024 lib, which this build does not load). */
type WellFormedString = string & { isWellFormed(): boolean };

/**
 * Throws `InvalidKeyError` unless `key` is a non-empty string of at most 1024 UTF-8 bytes
 * without lone UTF-16 surrogates. A UTF-16 code unit encodes to at most 3 bytes, so short keys
 * skip the byte count (hot path).
 *
 * A lone surrogate has no UTF-8 form: Redis, the bus and most stores would receive U+FFFD in
 * its place, so `"a\uD800"` and `"a\uDBFF"` would share one entry. `isWellFormed()` is one
 * native scan (about 2x faster than the equivalent regex, a few ns on a short key).
 * @throws InvalidKeyError naming what was wrong
 */
export function assertKey(key: unknown, what = 'key'): asserts key is string {
  if (isValidKey(key)) return;
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
  if (!(key as WellFormedString).isWellFormed()) {
    throw new InvalidKeyError(
      `Invalid ${what} ${JSON.stringify(key.slice(0, 64))}: it contains a lone UTF-16 surrogate, which has no UTF-8 form ` +
        '(two such keys could name one entry in Redis or the store)',
      { key: key.slice(0, 64) },
    );
  }
}

/** Whether `assertKey` accepts `key`, without building an error. */
export function isValidKey(key: unknown): key is string {
  return (
    typeof key === 'string' &&
    key.length > 0 &&
    (key.length * 3 <= MAX_KEY_BYTES || Buffer.byteLength(key, 'utf8') <= MAX_KEY_BYTES) &&
    (key as WellFormedString).isWellFormed()
  );
}
