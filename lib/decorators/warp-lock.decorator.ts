import { SetMetadata } from '@nestjs/common';
import type { LockOptions } from '../lock/locker.interface.js';
import { WARP_LOCK_METADATA } from '../warp.constants.js';
import type { KeyTemplate } from './key-template.js';

/** Options of `@WarpLock`. */
export interface WarpLockOptions extends LockOptions {
  /**
   * When the lock is held elsewhere: `'wait'` up to `waitTimeout` then `LockTimeoutError`
   * (default), `'skip'` returns `undefined` without running (one pod runs a `@Cron` job),
   * `'throw'` throws `LockTimeoutError` at once.
   */
  onBusy?: 'wait' | 'skip' | 'throw';
}

/** Metadata `@WarpLock` stores on the method. */
export interface WarpLockMetadata {
  template?: KeyTemplate;
  options: WarpLockOptions;
}

/**
 * Runs the method holding a distributed lock (cluster-wide with a `RedisLocker`). The name
 * defaults to `ClassName.methodName`; templates work as in `@WarpKey` (`'invoice:{0}'`).
 *
 * @example
 * \@Cron('0 * * * *')
 * \@WarpLock(undefined, { onBusy: 'skip', ttl: 60_000 })
 * hourlyReport() { ... }            // runs on one pod per tick
 */
export const WarpLock = (template?: KeyTemplate, options: WarpLockOptions = {}): MethodDecorator =>
  SetMetadata<string, WarpLockMetadata>(WARP_LOCK_METADATA, { template, options });
