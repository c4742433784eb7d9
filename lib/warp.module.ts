import { Module, type DynamicModule, type NestModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { WarpBus } from './bus/bus.interface.js';
import { WarpCache } from './cache/cache.interface.js';
import { WarpExplorer } from './explorer/warp.explorer.js';
import { WarpMetadataAccessor } from './explorer/warp-metadata.accessor.js';
import { WarpLocker } from './lock/locker.interface.js';
import { MergeEngine } from './merge/merge.engine.js';
import { WarpStore } from './store/store.interface.js';
import { WARP_INSTANCE } from './warp.constants.js';
import { WarpLifecycle } from './warp.lifecycle.js';
import type { WarpModuleAsyncOptions } from './interfaces/warp-module-async-options.interface.js';
import type { WarpModuleOptions } from './interfaces/warp-module-options.interface.js';
import { ConfigurableWarpModule } from './warp.module-definition.js';
import { warpProviders } from './warp.providers.js';
import { WarpService } from './warp.service.js';

/**
 * Warp's Nest module. `WarpModule.forRoot()` with no options runs fully in memory;
 * `forRootAsync({ imports, inject, useFactory })` builds options from other providers.
 * Global by default (`isGlobal: false` to opt out).
 *
 * @example
 * \@Module({ imports: [WarpModule.forRoot({ keys: [{ key: 'user:*', mode: Mode.EventualDistributed }] })] })
 * export class AppModule {}
 */
@Module({
  imports: [DiscoveryModule],
  providers: [...warpProviders, WarpService, WarpMetadataAccessor, WarpExplorer, WarpLifecycle],
  exports: [WarpService, WARP_INSTANCE, WarpCache, WarpStore, WarpBus, MergeEngine, WarpLocker],
})
export class WarpModule extends ConfigurableWarpModule implements NestModule {
  constructor(private readonly explorer: WarpExplorer) {
    super();
  }

  /**
   * Registers Warp with options; all optional (memory cache, store and bus by default).
   * `isGlobal` (default true) makes `WarpService` injectable in every module.
   *
   * @throws InvalidOptionsError when the application is created (not here: Nest builds the
   *   providers later) if an option is unknown or invalid; the message names the option's path
   *   and the accepted values.
   */
  static override forRoot(options: WarpModuleOptions & { isGlobal?: boolean } = {}): DynamicModule {
    return super.forRoot(options);
  }

  /**
   * Registers Warp with options built from other providers: `useFactory` with `inject`, or
   * `useClass`/`useExisting` with a {@link WarpOptionsFactory} (`createWarpOptions()`).
   *
   * @example
   * WarpModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({ namespace: config.get('APP_NAME') }),
   * })
   * @throws InvalidOptionsError when the application is created, if the options the factory
   *   returns are invalid or include `isGlobal` (pass that to `forRootAsync` itself); a factory's
   *   own error rejects the application's creation unchanged.
   */
  static override forRootAsync(options: WarpModuleAsyncOptions): DynamicModule {
    return super.forRootAsync(options);
  }

  /** Runs during HTTP setup, before the router binds controller methods, so they are wrapped. */
  configure(): void {
    this.explorer.explore();
  }
}
