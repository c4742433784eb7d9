import { LockLostError } from '../common/warp.errors.js';
import { resolveLockOptions } from './lock-options.js';
import type { LockHandle, WarpLocker, LockOptions } from './locker.interface.js';

/**
 * Runs `fn` while holding the lock `name`, and always releases it.
 *
 * - `fn` receives the handle: pass `handle.fencingToken` to the store so a write from a holder
 *   that lost the lock can be refused, and check `handle.lost` in long loops.
 * - If `fn` throws, its error is rethrown (after the release; a failing release does not mask it).
 * - If `fn` succeeds but the lock was lost meanwhile, `LockLostError` is thrown once `fn` has
 *   completed: its work may have overlapped another holder's. Any other release failure (Redis
 *   unreachable) is not thrown: the work ran under a valid lock, which expires on its own after its
 *   ttl.
 *
 * @param options - `ttl` and `waitTimeout` in ms; defaults from `DEFAULT_LOCK_OPTIONS`.
 * @returns What `fn` returned.
 * @throws {LockTimeoutError} When the lock was not acquired within `waitTimeout`.
 * @throws {LockLostError} When the lock was lost while `fn` ran.
 * @throws {InvalidKeyError | InvalidOptionsError} On an invalid name or options.
 *
 * @example
 * await withLock(locker, 'nightly-report', async ({ fencingToken }) => {
 *   await reports.generate({ fencingToken });
 * }, { ttl: 30_000, waitTimeout: 0 });
 */
export async function withLock<T>(
  locker: WarpLocker,
  name: string,
  fn: (handle: LockHandle) => T | Promise<T>,
  options?: LockOptions,
): Promise<T> {
  const handle = await locker.acquire(name, resolveLockOptions(options));
  let result: T;
  try {
    result = await fn(handle);
  } catch (error) {
    await handle.release().catch(() => undefined);
    throw error;
  }
  try {
    await handle.release();
  } catch (error) {
    if (error instanceof LockLostError) throw error;
  }
  return result;
}
