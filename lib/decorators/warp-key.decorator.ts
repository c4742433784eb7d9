import { SetMetadata } from '@nestjs/common';
import type { Mode } from '../common/mode.js';
import type { MergeFn } from '../merge/merge.engine.js';
import { WARP_KEY_METADATA } from '../warp.constants.js';
import type { KeyTemplate } from './key-template.js';

/** Options of `@WarpKey`. */
export interface WarpKeyOptions {
  /** TTL in ms of the registration (default: the module's `defaultTtl`). */
  ttl?: number;
  merge?: MergeFn;
  /** Cache only calls whose arguments pass; others call the method directly. */
  condition?: (...args: any[]) => boolean;
  /**
   * Do not cache a result for which this returns true; it receives the result and the method's
   * arguments. `null` and `undefined` results are never cached.
   */
  unless?: (result: any, ...args: any[]) => boolean;
  /**
   * Registration pattern. Default: derived from a string template (`'user:{0}'` → `'user:*'`);
   * a function template without it registers each exact key on first use.
   */
  pattern?: string;
}

/** Metadata `@WarpKey` stores on the method. */
export interface WarpKeyMetadata {
  template: KeyTemplate;
  mode: Mode;
  options: WarpKeyOptions;
}

/**
 * Cache-aside caching of a method's result under a key, with the key's consistency mode: returns
 * the cached value, else calls the method and fills the cache tiers with its result. The method is
 * the source of truth: Warp never writes the store for it (a fill is not a write: no store write,
 * no merge, no invalidation of peers). Registers the key pattern at bootstrap. The decorated
 * method always returns a Promise.
 *
 * @example
 * \@WarpKey('product:{0}', Mode.EventualDistributed, { ttl: 60_000 })
 * findProduct(id: string): Promise<Product> { ... }
 */
export const WarpKey = (template: KeyTemplate, mode: Mode, options: WarpKeyOptions = {}): MethodDecorator =>
  SetMetadata<string, WarpKeyMetadata>(WARP_KEY_METADATA, { template, mode, options });
