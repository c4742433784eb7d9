import type { ConfigurableModuleAsyncOptions } from '@nestjs/common';
import type { WarpModuleOptions } from './warp-module-options.interface.js';

/**
 * A provider class that builds Warp's options, for `WarpModule.forRootAsync({ useClass })` or
 * `{ useExisting }`. Nest instantiates it with its dependencies injected and calls
 * `createWarpOptions()` once, before Warp is built.
 *
 * @example
 * \@Injectable()
 * class WarpConfig implements WarpOptionsFactory {
 *   constructor(private readonly config: ConfigService) {}
 *   createWarpOptions(): WarpModuleOptions {
 *     return { namespace: this.config.get('APP_NAME') };
 *   }
 * }
 * WarpModule.forRootAsync({ imports: [ConfigModule], useClass: WarpConfig });
 */
export interface WarpOptionsFactory {
  /** The module's options; may be async. They are validated when it resolves. */
  createWarpOptions(): WarpModuleOptions | Promise<WarpModuleOptions>;
}

/**
 * Options of `WarpModule.forRootAsync()`: `imports` and one of `useFactory` (with `inject`),
 * `useClass` or `useExisting` (a {@link WarpOptionsFactory}), plus `isGlobal` (default true).
 */
export type WarpModuleAsyncOptions = ConfigurableModuleAsyncOptions<WarpModuleOptions, 'createWarpOptions'> & {
  /** Register the module globally (default true): the decorators need `WarpService` in every module. */
  isGlobal?: boolean;
};
