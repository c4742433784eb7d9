import { MISS, type Warp } from '../engine/warp.js';
import type { WarpKeyOptions } from '../decorators/warp-key.decorator.js';
import type { CompiledKeyTemplate } from '../decorators/key-template.js';
import type { Mode } from '../common/mode.js';
import type { WarpLockOptions } from '../decorators/warp-lock.decorator.js';
import { LockTimeoutError } from '../common/warp.errors.js';

type Method = (...args: any[]) => any;

/**
 * `@WarpKey`: cache-aside. A hit costs a key build, a registry lookup and a local-tier peek, the
 * same as `WarpService.get`; the loader closure is only allocated on a miss. A miss calls the
 * method and fills the cache tiers with its result: never the store.
 */
export function readThrough(warp: Warp, method: Method, template: CompiledKeyTemplate, mode: Mode, options: WarpKeyOptions): Method {
  const { condition, unless, ttl, merge } = options;
  // Not async: a hit resolves one promise, as WarpService.get's does; every throw becomes a rejection.
  return function warpReadThrough(this: unknown, ...args: unknown[]): Promise<unknown> {
    try {
      if (condition !== undefined && !condition(...args)) return Promise.resolve(method.apply(this, args));
      const key = template.resolve(args);
      // Function templates without a `pattern` register each exact key on first use.
      const registration = warp.registry.resolve(key) ?? warp.register(key, mode, { ttl, merge });
      const hit = warp.peekLocal(key, registration);
      if (hit !== MISS) return Promise.resolve(hit);
      const cacheIf = unless === undefined ? undefined : (result: unknown) => result !== null && !unless(result, ...args);
      return warp.getOrSet(key, () => method.apply(this, args), { cacheIf });
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/**
 * `@WarpPut`: the method persists; its result is then put in the cache tiers and propagated by
 * mode (`undefined` evicts). On a StrongDistributed key the method runs inside the write protocol.
 */
export function putAfter(warp: Warp, method: Method, template: CompiledKeyTemplate): Method {
  return async function warpPutAfter(this: unknown, ...args: unknown[]): Promise<unknown> {
    return warp.put(template.resolve(args), () => method.apply(this, args));
  };
}

/** `@WarpEvict`: calls the method, then drops the key everywhere (not when the method throws). */
export function evictAfter(warp: Warp, method: Method, template: CompiledKeyTemplate): Method {
  return async function warpEvictAfter(this: unknown, ...args: unknown[]): Promise<unknown> {
    return warp.evict(template.resolve(args), () => method.apply(this, args));
  };
}

/** `@WarpLock`: runs the method holding a lock; `onBusy` decides what a busy lock does. */
export function underLock(warp: Warp, method: Method, name: CompiledKeyTemplate, options: WarpLockOptions): Method {
  const { onBusy = 'wait', ...lockOptions } = options;
  const resolved = onBusy === 'wait' ? lockOptions : { ...lockOptions, waitTimeout: 0 };
  return async function warpUnderLock(this: unknown, ...args: unknown[]): Promise<unknown> {
    let acquired = false;
    try {
      return await warp.withLock(
        name.resolve(args),
        () => {
          acquired = true;
          return method.apply(this, args);
        },
        resolved,
      );
    } catch (error) {
      // Only a busy lock is skipped: a LockTimeoutError thrown by the method itself propagates.
      if (onBusy === 'skip' && !acquired && error instanceof LockTimeoutError) return undefined;
      throw error;
    }
  };
}
