import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Warp } from './core/warp.js';
import { WarpExplorer } from './explorer/warp.explorer.js';
import type { WarpModuleOptions } from './interfaces/warp-module-options.interface.js';
import { WARP_INSTANCE } from './warp.constants.js';
import { WARP_MODULE_OPTIONS } from './warp.module-definition.js';

/** Starts the engine with the application and closes it (flush, leave cluster, release) at shutdown. */
@Injectable()
export class WarpLifecycle implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Warp');

  constructor(
    @Inject(WARP_INSTANCE) private readonly warp: Warp,
    @Inject(WARP_MODULE_OPTIONS) private readonly options: WarpModuleOptions,
    private readonly explorer: WarpExplorer,
  ) {}

  async onModuleInit(): Promise<void> {
    this.explorer.explore();
    await this.warp.start();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.warmupOnBootstrap) return;
    const report = await this.warp.warmup();
    this.logger.log(`Warmup: ${report.loaded} loaded, ${report.missing} missing, ${report.failed.length} failed in ${report.durationMs}ms`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.warp.close();
  }
}
