import { Inject, Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { Mode } from '../common/mode.js';
import type { Warp } from '../engine/warp.js';
import { compileKeyTemplate, type CompiledKeyTemplate, type KeyTemplate } from '../decorators/key-template.js';
import type { WarpLogger } from '../interfaces/warp-logger.interface.js';
import type { MergeFn } from '../merge/merge.engine.js';
import { DecoratorChecks, type DecoratedMethod } from './decorator-checks.js';
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
 * Templates, modes and coverage are checked as it goes (`DecoratorChecks`): a mistake fails
 * bootstrap instead of the first call. Warnings go to the engine's logger (the `logger` option).
 */
@Injectable()
export class WarpExplorer {
  private explored = false;
  private checks?: DecoratorChecks;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly metadata: WarpMetadataAccessor,
    @Inject(WARP_INSTANCE) private readonly warp: Warp,
  ) {}

  /**
   * Wraps every decorated method. Idempotent.
   * @throws InvalidOptionsError when a decorator is inconsistent with its method or the
   *   registrations (see `DecoratorChecks`); InvalidKeyError for a malformed template.
   */
  explore(): void {
    if (this.explored) return;
    this.explored = true;
    this.checks = new DecoratorChecks(this.warp.registry);
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      this.exploreInstance(wrapper);
    }
    this.checks.finish();
  }

  private get logger(): WarpLogger {
    return this.warp.logger;
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
      const target: DecoratedMethod = {
        where: `${instance.constructor.name}.${name}`,
        method: original,
        paramtypes: Reflect.getMetadata('design:paramtypes', prototype, name),
      };
      const wrapped = this.wrap(target, current) as Method;
      copyMetadata(original, wrapped);
      Object.defineProperty(wrapped, 'name', { value: original.name });
      wrapped[WARP_WRAPPED] = true;
      instance[name] = wrapped;
    }
  }

  /** Applies the decorators innermost first: put/evict, then read-through, then the lock. */
  private wrap(target: DecoratedMethod, callable: Method): Method {
    const { where, method: original } = target;
    const checks = this.checks!;
    let method = callable;
    const put = this.metadata.put(original);
    if (put) method = putAfter(this.warp, method, this.writeTemplate(target, '@WarpPut', put.template));
    const evict = this.metadata.evict(original);
    if (evict) method = evictAfter(this.warp, method, this.writeTemplate(target, '@WarpEvict', evict.template));
    const key = this.metadata.key(original);
    if (key) {
      const template = this.compile(target, '@WarpKey', key.template);
      const pattern = key.options.pattern ?? template.pattern;
      if (pattern !== undefined) {
        checks.assertKeyMode(where, key.template, pattern, key.mode);
        this.registerPattern(pattern, key.mode, key.options.ttl, key.options.merge);
      } else {
        this.logger.warn(
          `${where}: @WarpKey with a function template and no \`pattern\` registers every distinct key it builds; ` +
            'pass { pattern } to register one pattern instead',
        );
      }
      method = readThrough(this.warp, method, template, key.mode, key.options);
    }
    const lock = this.metadata.lock<WarpLockMetadata>(original);
    if (lock) method = underLock(this.warp, method, this.compile(target, '@WarpLock', lock.template ?? where), lock.options);
    return method;
  }

  /** Compiles a template and checks the arguments it reads exist. */
  private compile(target: DecoratedMethod, decorator: string, text: KeyTemplate): CompiledKeyTemplate {
    const template = compileKeyTemplate(text, target.where);
    this.checks!.assertArguments(target, decorator, text, template);
    return template;
  }

  /** A `@WarpPut`/`@WarpEvict` template, whose coverage is checked once every `@WarpKey` registered. */
  private writeTemplate(target: DecoratedMethod, decorator: string, text: KeyTemplate): CompiledKeyTemplate {
    const template = this.compile(target, decorator, text);
    this.checks!.write(target.where, decorator, text, template.pattern);
    return template;
  }

  private registerPattern(pattern: string, mode: Mode, ttl?: number, merge?: MergeFn): void {
    // A stronger mode than the module's replaces its registration (a weaker one failed its check);
    // options the decorator leaves out keep what forRoot's `keys` said for the same pattern.
    const existing = this.warp.registry.all().find((r) => r.pattern === pattern);
    this.warp.register(pattern, mode, { ttl: ttl ?? existing?.ttl, merge: merge ?? existing?.merge });
  }
}

function copyMetadata(from: object, to: object): void {
  for (const key of Reflect.getMetadataKeys(from)) Reflect.defineMetadata(key, Reflect.getMetadata(key, from), to);
}
