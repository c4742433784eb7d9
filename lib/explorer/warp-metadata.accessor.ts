import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { WarpKeyMetadata } from '../decorators/warp-key.decorator.js';
import type { KeyTemplate } from '../decorators/key-template.js';
import { WARP_EVICT_METADATA, WARP_KEY_METADATA, WARP_LOCK_METADATA, WARP_PUT_METADATA } from '../warp.constants.js';

/** Typed reads of the metadata Warp's decorators write on methods. */
@Injectable()
export class WarpMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  key(target: Function): WarpKeyMetadata | undefined {
    return this.reflector.get(WARP_KEY_METADATA, target);
  }

  put(target: Function): { template: KeyTemplate } | undefined {
    return this.reflector.get(WARP_PUT_METADATA, target);
  }

  evict(target: Function): { template: KeyTemplate } | undefined {
    return this.reflector.get(WARP_EVICT_METADATA, target);
  }

  lock<T>(target: Function): T | undefined {
    return this.reflector.get(WARP_LOCK_METADATA, target);
  }

  /** Whether any Warp decorator is on the method. */
  has(target: Function): boolean {
    return this.key(target) !== undefined || this.put(target) !== undefined || this.evict(target) !== undefined || this.lock(target) !== undefined;
  }
}
