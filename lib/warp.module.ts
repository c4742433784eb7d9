import { Module, type NestModule } from '@nestjs/common';
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
import { ConfigurableWarpModule, WARP_OPTIONS_TYPE } from './warp.module-definition.js';
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

  /** Registers Warp with options; all optional (memory cache, store and bus by default). */
  static override forRoot(options: typeof WARP_OPTIONS_TYPE = {}) {
    return super.forRoot(options);
  }

  /** Runs during HTTP setup, before the router binds controller methods, so they are wrapped. */
  configure(): void {
    this.explorer.explore();
  }
}
