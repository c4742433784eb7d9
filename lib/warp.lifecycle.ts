import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { describeRedisClientWarnings, describeStartup } from './engine/startup-summary.js';
import type { Warp } from './engine/warp.js';
import { WarpExplorer } from './explorer/warp.explorer.js';
import type { WarpModuleOptions } from './interfaces/warp-module-options.interface.js';
import { WARP_INSTANCE } from './warp.constants.js';
import { WARP_MODULE_OPTIONS } from './warp.module-definition.js';

/**
 * Starts the engine with the application (and logs one line saying what it runs on) and closes
 * it (flush, leave cluster, release) at shutdown. Logs go to the engine's logger: the `logger`
 * option, else Nest's `Logger('Warp')`.
 */
@Injectable()
export class WarpLifecycle implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(WARP_INSTANCE) private readonly warp: Warp,
    @Inject(WARP_MODULE_OPTIONS) private readonly options: WarpModuleOptions,
    private readonly explorer: WarpExplorer,
  ) {}

  async onModuleInit(): Promise<void> {
    this.explorer.explore();
    await this.warp.start();
    this.warp.logger.log(describeStartup(this.warp));
    for (const warning of describeRedisClientWarnings(this.warp)) this.warp.logger.warn(warning);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.warmupOnBootstrap) return;
    const report = await this.warp.warmup();
    this.warp.logger.log(`Warmup: ${report.loaded} loaded, ${report.missing} missing, ${report.failed.length} failed in ${report.durationMs}ms`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.warp.close();
  }
}
