import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { WarpKeyMetadata } from '../decorators/warp-key.decorator.js';
import type { KeyTemplate } from '../decorators/key-template.js';
import { WARP_EVICT_METADATA, WARP_KEY_METADATA, WARP_LOCK_METADATA, WARP_PUT_METADATA } from '../warp.constants.js';

/** A method Warp's decorators may have annotated. */
type DecoratedMethod = (...args: any[]) => unknown;

/** Typed reads of the metadata Warp's decorators write on methods. */
@Injectable()
export class WarpMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  key(target: DecoratedMethod): WarpKeyMetadata | undefined {
    return this.reflector.get(WARP_KEY_METADATA, target);
  }

  put(target: DecoratedMethod): { template: KeyTemplate } | undefined {
    return this.reflector.get(WARP_PUT_METADATA, target);
  }

  evict(target: DecoratedMethod): { template: KeyTemplate } | undefined {
    return this.reflector.get(WARP_EVICT_METADATA, target);
  }

  lock<T>(target: DecoratedMethod): T | undefined {
    return this.reflector.get(WARP_LOCK_METADATA, target);
  }

  /** Whether any Warp decorator is on the method. */
  has(target: DecoratedMethod): boolean {
    return this.key(target) !== undefined || this.put(target) !== undefined || this.evict(target) !== undefined || this.lock(target) !== undefined;
  }
}
