import { createRequire } from 'node:module';
import type { ModulesContainer } from '@nestjs/core';
import type { Registry } from 'prom-client';

const PACKAGE = '@willsoto/nestjs-prometheus';

/**
 * The registry `@willsoto/nestjs-prometheus` serves on its `/metrics` controller when the app
 * imports its `PrometheusModule` (`register()` or `registerAsync()`), else `undefined`. That
 * controller serves the default `register` of the prom-client *it* resolves: this one is read
 * through the package's own `require`, so a second copy of prom-client elsewhere in
 * `node_modules` cannot split Warp's metrics from the ones served.
 */
export function prometheusModuleRegistry(modules: ModulesContainer): Registry | undefined {
  const requireHere = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = requireHere.resolve(PACKAGE);
  } catch {
    return undefined; // the optional peer is not installed: the app cannot have imported it
  }
  const requireThere = createRequire(entry);
  const { PrometheusModule } = requireThere(entry) as { PrometheusModule: unknown };
  for (const module of modules.values()) {
    if (module.metatype === PrometheusModule) return (requireThere('prom-client') as typeof import('prom-client')).register;
  }
  return undefined;
}
