import { SetMetadata } from '@nestjs/common';
import { WARP_PUT_METADATA } from '../warp.constants.js';
import type { KeyTemplate } from './key-template.js';

/**
 * Calls the method, then `set`s its result under the key (with the key's mode); a result of
 * `undefined` invalidates the key instead. The key must be registered.
 *
 * @example
 * \@WarpPut('product:{0.id}')
 * save(product: Product): Promise<Product> { ... }
 */
export const WarpPut = (template: KeyTemplate): MethodDecorator => SetMetadata(WARP_PUT_METADATA, { template });
