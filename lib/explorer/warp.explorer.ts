import { Inject, Injectable, Logger } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { Warp } from '../core/warp.js';
import { compileKeyTemplate } from '../decorators/key-template.js';
import { WARP_INSTANCE, WARP_WRAPPED } from '../warp.constants.js';
import { evictAfter, putAfter, readThrough, underLock } from './method-wrappers.js';
import type { WarpLockMetadata } from '../decorators/warp-lock.decorator.js';
import { WarpMetadataAccessor } from './warp-metadata.accessor.js';

type Method = ((...args: any[]) => any) & { [WARP_WRAPPED]?: true };

/**
 * Finds methods carrying Warp decorators on every provider and controller and wraps them once,
 * on the instance, copying the original method's metadata to the wrapper so other Nest decorators
 * (routes, guards, interceptors) keep working. `WarpModule.configure()` runs it before the router
 * binds controller methods; `onModuleInit` runs it for application contexts without HTTP.
 */
@Injectable()
export class WarpExplorer {
  private readonly logger = new Logger('Warp');
  private explored = false;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly metadata: WarpMetadataAccessor,
    @Inject(WARP_INSTANCE) private readonly warp: Warp,
  ) {}

  /** Wraps every decorated method. Idempotent. */
  explore(): void {
    if (this.explored) return;
    this.explored = true;
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      this.exploreInstance(wrapper);
    }
  }

  private exploreInstance(wrapper: InstanceWrapper): void {
    const instance = wrapper.instance as Record<string, Method> | undefined;
    if (instance === null || typeof instance !== 'object') return;
    const prototype = Object.getPrototypeOf(instance) as Record<string, Method> | null;
    if (prototype === null) return;
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const original = prototype[name];
      if (typeof original !== 'function' || !this.metadata.has(original)) continue;
      if (!wrapper.isDependencyTreeStatic()) {
        this.logger.warn(
          `${wrapper.name}.${name} uses Warp decorators but ${wrapper.name} is request-scoped; it was not wrapped. ` +
            'Call WarpService directly in request-scoped providers.',
        );
        continue;
      }
      const current = instance[name];
      if (current[WARP_WRAPPED]) continue;
      const wrapped = this.wrap(`${instance.constructor.name}.${name}`, original, current) as Method;
      copyMetadata(original, wrapped);
      Object.defineProperty(wrapped, 'name', { value: original.name });
      wrapped[WARP_WRAPPED] = true;
      instance[name] = wrapped;
    }
  }

  /** Applies the decorators innermost first: put/evict, then read-through, then the lock. */
  private wrap(where: string, original: Method, callable: Method): Method {
    let method = callable;
    const put = this.metadata.put(original);
    if (put) method = putAfter(this.warp, method, compileKeyTemplate(put.template, where));
    const evict = this.metadata.evict(original);
    if (evict) method = evictAfter(this.warp, method, compileKeyTemplate(evict.template, where));
    const key = this.metadata.key(original);
    if (key) {
      const template = compileKeyTemplate(key.template, where);
      const pattern = key.options.pattern ?? template.pattern;
      if (pattern !== undefined) this.registerPattern(where, pattern, key.mode, key.options.ttl, key.options.merge);
      else {
        this.logger.warn(
          `${where}: @WarpKey with a function template and no \`pattern\` registers every distinct key it builds; ` +
            'pass { pattern } to register one pattern instead',
        );
      }
      method = readThrough(this.warp, method, template, key.mode, key.options);
    }
    const lock = this.metadata.lock<WarpLockMetadata>(original);
    if (lock) method = underLock(this.warp, method, compileKeyTemplate(lock.template ?? where, where), lock.options);
    return method;
  }

  private registerPattern(where: string, pattern: string, mode: Parameters<Warp['register']>[1], ttl?: number, merge?: any): void {
    const existing = this.warp.registry.all().find((r) => r.pattern === pattern);
    if (existing !== undefined && existing.mode !== mode) {
      this.logger.warn(`${where}: @WarpKey registers "${pattern}" as ${mode}, replacing its registration as ${existing.mode}`);
    }
    // Options the decorator leaves out keep what forRoot's `keys` said for the same pattern.
    this.warp.register(pattern, mode, { ttl: ttl ?? existing?.ttl, merge: merge ?? existing?.merge });
  }
}

function copyMetadata(from: object, to: object): void {
  for (const key of Reflect.getMetadataKeys(from)) Reflect.defineMetadata(key, Reflect.getMetadata(key, from), to);
}
