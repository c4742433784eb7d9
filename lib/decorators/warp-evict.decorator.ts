import { SetMetadata } from '@nestjs/common';
import { WARP_EVICT_METADATA } from '../warp.constants.js';
import type { KeyTemplate } from './key-template.js';

/**
 * Calls the method (which deletes or changes the data), then drops the key from every cache tier
 * on this node and, by mode, on every peer. Nothing is invalidated when the method throws. On a
 * StrongDistributed key the method runs inside the strong write protocol. The key must be registered.
 *
 * @example
 * \@WarpEvict('product:{0}')
 * remove(id: string): Promise<void> { ... }
 */
export const WarpEvict = (template: KeyTemplate): MethodDecorator => SetMetadata(WARP_EVICT_METADATA, { template });
