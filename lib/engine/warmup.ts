import type { WarmupReport } from '../interfaces/warmup-report.interface.js';
import type { WarpStore } from '../store/store.interface.js';
import { WarpError } from '../common/warp.errors.js';
import type { KeyRegistry, Registration } from '../common/registry.js';
import { runBounded } from '../common/run-bounded.js';

/**
 * Loads registered exact keys, and the keys of patterns the store can list, with `load` (the
 * engine's read path, so singleflight and the stale-fill guard apply) and bounded concurrency.
 * Never throws for a single key or pattern: failures are reported.
 */
export async function warmup(
  registry: KeyRegistry,
  store: WarpStore,
  concurrency: number,
  load: (key: string, registration: Registration) => Promise<unknown>,
): Promise<WarmupReport> {
  const started = Date.now();
  const report: WarmupReport = { loaded: 0, missing: 0, failed: [], unlistedPatterns: [], durationMs: 0 };
  const targets: Array<[string, Registration]> = [];
  for (const registration of registry.all()) {
    if (!registration.isPattern) {
      targets.push([registration.pattern, registration]);
    } else if (store.keys === undefined) {
      report.unlistedPatterns.push(registration.pattern);
    } else {
      try {
        for (const key of await store.keys(registration.prefix)) {
          if (registry.resolve(key) === registration) targets.push([key, registration]);
        }
      } catch (error) {
        report.failed.push({ key: registration.pattern, error: asError(error) });
      }
    }
  }
  await runBounded(targets, concurrency, async ([key, registration]) => {
    try {
      if ((await load(key, registration)) === undefined) report.missing++;
      else report.loaded++;
    } catch (error) {
      report.failed.push({ key, error: asError(error) });
    }
  });
  report.durationMs = Date.now() - started;
  return report;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new WarpError(String(error));
}
