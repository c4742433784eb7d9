import { describeValue } from '../common/describe-value.js';
import { InvalidKeyError, InvalidOptionsError } from '../common/warp.errors.js';
import type { AcquireOptions, LockOptions } from './locker.interface.js';
import { MAX_TIMER_MS } from '../common/limits.js';

/**
 * Defaults of one lock acquisition: a 10 s lease (renewed while held) and up to 5 s of waiting.
 * Shared by `WarpService.lock`, `withLock` and `@WarpLock`.
 */
export const DEFAULT_LOCK_OPTIONS: Readonly<AcquireOptions> = Object.freeze({
  ttl: 10_000,
  waitTimeout: 5_000,
});


/**
 * Fills in the defaults of `DEFAULT_LOCK_OPTIONS` and validates the result. Safe to call on
 * options that were already resolved.
 *
 * @param options - `ttl` (ms, > 0) and `waitTimeout` (ms, >= 0; 0 tries once); `undefined` fields
 *   take their defaults.
 * @returns A new object with both fields set.
 * @throws {InvalidOptionsError} When `options` is not an object, `ttl` is not a finite number in
 *   (0, 2147483647] or `waitTimeout` is not a finite number in [0, 2147483647]; the message names
 *   the option.
 *
 * @example
 * resolveLockOptions({ ttl: 30_000 }) // { ttl: 30_000, waitTimeout: 5_000 }
 */
export function resolveLockOptions(options?: LockOptions): AcquireOptions {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new InvalidOptionsError(`Lock options must be an object, got ${describeValue(options)}`);
  }
  const ttl = options?.ttl ?? DEFAULT_LOCK_OPTIONS.ttl;
  const waitTimeout = options?.waitTimeout ?? DEFAULT_LOCK_OPTIONS.waitTimeout;
  assertDuration('ttl', ttl, false);
  assertDuration('waitTimeout', waitTimeout, true);
  return options?.fenced === false ? { ttl, waitTimeout, fenced: false } : { ttl, waitTimeout };
}

/**
 * Checks a lock name: any non-empty string. Unlike cache keys there is no length bound, so a lock
 * named after a key plus a prefix (a write lock) is always valid.
 *
 * @throws {InvalidKeyError} When the name is not a non-empty string.
 */
export function assertLockName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidKeyError(`Invalid lock name: expected a non-empty string, got ${describeValue(name)}`);
  }
}

/**
 * Checks a duration option in ms: a finite number up to the timer limit, > 0 (or >= 0 when
 * `allowZero`). Shared with other options measured in ms (`owner` names whose option it is).
 *
 * @throws {InvalidOptionsError} Naming `owner`, `option` and the accepted range.
 */
export function assertDuration(option: string, value: unknown, allowZero: boolean, owner = 'lock'): asserts value is number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (allowZero ? value >= 0 : value > 0) &&
    value <= MAX_TIMER_MS;
  if (!ok) {
    const range = allowZero ? '>= 0' : '> 0';
    throw new InvalidOptionsError(
      `Invalid ${owner} option "${option}": expected a finite number of ms ${range} and <= ${MAX_TIMER_MS}, got ${describeValue(value)}`,
    );
  }
}

