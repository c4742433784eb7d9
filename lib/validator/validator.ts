import { createHash } from 'node:crypto';
import type { WarpCache } from '../cache/cache.interface.js';
import type { Envelope } from '../common/envelope.js';
import type { Registration } from '../common/registry.js';
import type { ValidatorOptions } from '../interfaces/warp-options.interface.js';
import type { WarpLogger } from '../interfaces/warp-logger.interface.js';
import type { WarpMetrics } from '../metrics/warp-metrics.interface.js';
import { WarpError } from '../common/warp.errors.js';

/** Keys checked per run when `batchSize` is not given. */
export const DEFAULT_VALIDATOR_BATCH_SIZE = 500;

/** Outcome of one validator run. */
export interface ValidationReport {
  /** Cached keys compared with the store. */
  checked: number;
  /** Keys whose cached value differed from the store's. */
  mismatched: number;
  /** Mismatched keys replaced from the store (`autoheal` only). */
  healed: number;
  /** Keys that could not be checked or healed (store down, quorum not reached...), with the error. */
  errors: Array<{ key: string; error: Error }>;
}

/** What a mismatch listener receives. */
export interface MismatchEvent {
  key: string;
  /** The key's registration pattern (the metric label). */
  pattern: string;
  /** sha256 of the cached value's stable JSON. */
  cachedDigest: string;
  /** sha256 of the store value's stable JSON; `undefined` when the store no longer has the key. */
  storeDigest: string | undefined;
  /** Whether the validator replaced the cached value (mode `autoheal`). */
  healed: boolean;
}

/** What the validator needs from the engine. */
export interface ValidatorTarget {
  readonly cache: WarpCache;
  readonly metrics: WarpMetrics;
  readonly logger: WarpLogger;
  resolve(key: string): Registration | undefined;
  /** Reads the store as `get` does (with `storeTimeout`); rejects with `StoreError`. */
  readStore(key: string): Promise<unknown>;
  /** Drops the key from every tier here and on peers (by its mode), then reloads it from the store. */
  heal(key: string): Promise<void>;
}

/**
 * Compares cached values with the store by digest (sha256 of a stable JSON encoding: object keys
 * sorted), in bounded batches: each run checks at most `batchSize` keys of a snapshot of
 * `cache.keys()`, continuing where the previous run stopped, and takes a new snapshot once the
 * previous one is exhausted. Modes:
 * - `noop`: counts (`warp_validator_keys_total{outcome="checked"|"mismatch"}`);
 * - `alert`: also logs a warning and calls the `onMismatch` listeners;
 * - `autoheal`: also replaces the cached value with the store's through the engine, which
 *   invalidates peers by the key's mode, and counts `healed`.
 *
 * A key written while it is being checked can look mismatched for an instant: a mismatch is
 * confirmed by reading both sides again before it is reported.
 *
 * Built by the engine (`warp.validator`, `WarpService.validator`); with the `validator` option it
 * also runs every `interval` ms on an unref'ed timer stopped by `close()`. Without the option,
 * `runOnce()` still works, in `noop` mode.
 *
 * @example
 * warp.validator.onMismatch((event) => alerting.notify(`stale cache for ${event.pattern}`));
 * const report = await warp.validator.runOnce(); // { checked, mismatched, healed, errors }
 */
export class Validator {
  readonly mode: ValidatorOptions['mode'];
  private readonly batchSize: number;
  private readonly listeners = new Set<(event: MismatchEvent) => void>();
  private queue: string[] = [];
  private running?: Promise<ValidationReport>;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly target: ValidatorTarget,
    private readonly options?: ValidatorOptions,
  ) {
    this.mode = options?.mode ?? 'noop';
    this.batchSize = options?.batchSize ?? DEFAULT_VALIDATOR_BATCH_SIZE;
  }

  /** Starts the periodic runs when the `validator` option was given. Idempotent. */
  start(): void {
    if (this.options === undefined || this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.runOnce().catch((error: unknown) => this.target.logger.warn(`Warp validator: run failed: ${String(error)}`));
    }, this.options.interval);
    this.timer.unref();
  }

  /** Stops the periodic runs. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Registers a listener called for every confirmed mismatch in `alert` and `autoheal` modes;
   * returns its remover. A listener that throws is logged and does not stop the run.
   */
  onMismatch(listener: (event: MismatchEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Checks the next batch of cached keys now. A run already in progress (the timer's) is shared
   * rather than doubled. Never rejects for a single key: failures are in `errors`.
   */
  runOnce(): Promise<ValidationReport> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<ValidationReport> {
    const report: ValidationReport = { checked: 0, mismatched: 0, healed: 0, errors: [] };
    if (this.queue.length === 0) this.queue = await this.target.cache.keys();
    const batch = this.queue.splice(0, this.batchSize);
    for (const key of batch) {
      try {
        await this.check(key, report);
      } catch (error) {
        report.errors.push({ key, error: error instanceof Error ? error : new WarpError(String(error), { key }) });
      }
    }
    const { metrics } = this.target;
    if (report.checked > 0) metrics.validator('checked', report.checked);
    if (report.mismatched > 0) metrics.validator('mismatch', report.mismatched);
    if (report.healed > 0) metrics.validator('healed', report.healed);
    return report;
  }

  private async check(key: string, report: ValidationReport): Promise<void> {
    const registration = this.target.resolve(key);
    if (registration === undefined) return;
    const cached = await this.cached(key);
    if (cached === undefined) return;
    const cachedDigest = digest(cached.value);
    const storeDigest = digestOrUndefined(await this.target.readStore(key));
    report.checked++;
    if (cachedDigest === storeDigest) return;
    // Read both again: a write that landed between the two reads is not a mismatch.
    const again = await this.cached(key);
    if (again === undefined || again.ts !== cached.ts || again.origin !== cached.origin || digest(again.value) !== cachedDigest) return;
    if (digestOrUndefined(await this.target.readStore(key)) !== storeDigest) return;
    report.mismatched++;
    let healed = false;
    if (this.mode === 'autoheal') {
      await this.target.heal(key);
      healed = true;
      report.healed++;
    }
    if (this.mode === 'noop') return;
    this.target.logger.warn(
      `Warp validator: cached value of "${key}" (${registration.pattern}) differs from the store` + (healed ? '; replaced from the store' : ''),
    );
    this.emit({ key, pattern: registration.pattern, cachedDigest, storeDigest, healed });
  }

  private async cached(key: string): Promise<Envelope | undefined> {
    const { cache } = this.target;
    return cache.peek?.(key) ?? (await cache.get(key));
  }

  private emit(event: MismatchEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.target.logger.warn(`Warp validator: a mismatch listener threw: ${String(error)}`);
      }
    }
  }
}

/**
 * sha256 (hex) of `value`'s JSON with object keys sorted at every depth, so two equal values
 * digest the same whatever their key order.
 * @throws TypeError for values JSON cannot encode (cycles, BigInt).
 */
export function digest(value: unknown): string {
  const json = JSON.stringify(value, (_key, v: unknown) => (isPlainObject(v) ? sortKeys(v) : v)) ?? 'undefined';
  return createHash('sha256').update(json).digest('hex');
}

function digestOrUndefined(value: unknown): string | undefined {
  return value === undefined ? undefined : digest(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function sortKeys(value: Record<string, unknown>): Record<string, unknown> {
  // No prototype: a "__proto__" key stays an own property instead of replacing the prototype.
  const sorted: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value).sort()) sorted[key] = value[key];
  return sorted;
}
