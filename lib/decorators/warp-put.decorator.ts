import { SetMetadata } from '@nestjs/common';
import { WARP_PUT_METADATA } from '../warp.constants.js';
import type { KeyTemplate } from './key-template.js';

/**
 * The method persists (e.g. `repository.save`); Warp then puts its result in the cache tiers and
 * propagates it by the key's mode (a result of `undefined` evicts the key instead). Warp never
 * writes the store for it. On a StrongDistributed key the method runs inside the strong write
 * protocol (lock, prepare, method, cache, commit). The key must be registered.
 *
 * @example
 * \@WarpPut('product:{0.id}')
 * save(product: Product): Promise<Product> { ... }
 */
export const WarpPut = (template: KeyTemplate): MethodDecorator => SetMetadata(WARP_PUT_METADATA, { template });
