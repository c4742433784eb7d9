import { checkTransportBusOptions } from './bus/transport-bus-options.js';
import { boolean, missingMethods, port, type OptionCheck } from './common/option-checks.js';
import { BUS_SHAPE, METRICS_SHAPE } from './engine/port-shapes.js';
import { resolveWarpOptions, WARP_OPTION_CHECKS } from './engine/warp-options.js';
import type { WarpModuleOptions } from './interfaces/warp-module-options.interface.js';
import type { WarpOptions } from './interfaces/warp-options.interface.js';
import { InvalidOptionsError } from './common/warp.errors.js';

const busInstance = port(BUS_SHAPE);
const metricsSink = port(METRICS_SHAPE);

/**
 * `bus`: a `WarpBus` instance, or Nest transport options Warp turns into a `TransportBus`. An
 * object with methods is judged as a bus (and named by what it lacks); a plain object as
 * transport options, so `{ host, port }` fails on `bus.transport`.
 */
const bus: OptionCheck = (value, path) => {
  const methods = missingMethods(value, BUS_SHAPE);
  if (methods === undefined) return;
  if (typeof value === 'object' && value !== null && methods.length < BUS_SHAPE.methods.length) return busInstance(value, path);
  checkTransportBusOptions(value, path);
};

/**
 * Every option of `WarpModule.forRoot()`: the engine's (`WARP_OPTION_CHECKS`) with `bus` and
 * `metrics` widened, plus the module's own. Typed over `keyof WarpModuleOptions`, so this table
 * and the interface cannot drift apart; its keys are the accepted names.
 */
export const WARP_MODULE_OPTION_CHECKS: { readonly [K in keyof WarpModuleOptions]-?: OptionCheck } = {
  ...WARP_OPTION_CHECKS,
  bus,
  metrics: (value, path) => {
    if (typeof value !== 'boolean') metricsSink(value, path);
  },
  warmupOnBootstrap: boolean,
};

/** Options only the module reads; the engine is built without them. */
const MODULE_ONLY = Object.keys(WARP_MODULE_OPTION_CHECKS).filter((name) => !Object.hasOwn(WARP_OPTION_CHECKS, name));

/**
 * Validates `forRoot()` / `forRootAsync()` options once, before any backend is built from them.
 * `isGlobal` is `forRoot`'s own: Nest removes it from `forRoot` options, but a `forRootAsync`
 * factory that returns it would have it silently ignored, so it is reported like any unknown name.
 * @throws InvalidOptionsError naming the option's path and the accepted values.
 */
export function validateWarpModuleOptions(options: WarpModuleOptions): WarpModuleOptions {
  if (options !== null && typeof options === 'object' && Object.hasOwn(options, 'isGlobal')) {
    throw new InvalidOptionsError(
      'Unknown Warp option "isGlobal" in the options a forRootAsync factory returned: pass it to forRootAsync({ isGlobal, useFactory }) itself',
    );
  }
  resolveWarpOptions(options as WarpOptions, WARP_MODULE_OPTION_CHECKS);
  return options;
}

/** The engine's share of module options (what `new Warp()` accepts), module-only ones left out. */
export function engineOptionsOf(options: WarpModuleOptions): Omit<WarpOptions, 'bus' | 'metrics'> {
  const engine: Record<string, unknown> = { ...options };
  for (const name of MODULE_ONLY) delete engine[name];
  delete engine.bus;
  delete engine.metrics;
  return engine;
}
