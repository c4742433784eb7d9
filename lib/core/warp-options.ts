import type { WarpOptions } from '../interfaces/warp-options.interface.js';
import { InvalidOptionsError } from '../warp.errors.js';
import { isMode } from './mode.js';

/** Defaults shared by `new Warp()`, `WarpModule.forRoot()` and `forRootAsync()`. */
export const WARP_DEFAULTS: Readonly<ResolvedWarpOptions> = {
  namespace: 'warp',
  publishTimeout: 2_000,
  quorum: 'all',
  defaultTtl: 0,
  warmupConcurrency: 16,
  invalidationDelay: 2,
  heartbeatInterval: 1_000,
  leaseMs: 2_000,
  writeLockTtl: 10_000,
  versions: { maxVersions: 10, maxEntries: 10_000 },
  watch: { bufferSize: 1_024 },
};

/** Options after defaults, validated. */
export interface ResolvedWarpOptions {
  namespace: string;
  publishTimeout: number;
  quorum: number | 'all';
  defaultTtl: number;
  warmupConcurrency: number;
  invalidationDelay: number;
  heartbeatInterval: number;
  leaseMs: number;
  writeLockTtl: number;
  versions: { maxVersions: number; maxEntries: number };
  watch: { bufferSize: number };
}

const NAMESPACE = /^[A-Za-z0-9_-]{1,64}$/;
/** Longest read lease, in heartbeat intervals: below the three after which peers stop counting a member live. */
const MAX_LEASE_INTERVALS = 2.5;
/** Longest delay Node timers accept. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Applies defaults and validates every option once, at startup.
 * @throws InvalidOptionsError naming the option and the accepted values.
 */
export function resolveWarpOptions(options: WarpOptions): ResolvedWarpOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionsError(`Warp options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const resolved: ResolvedWarpOptions = {
    namespace: options.namespace ?? WARP_DEFAULTS.namespace,
    publishTimeout: options.publishTimeout ?? WARP_DEFAULTS.publishTimeout,
    quorum: options.quorum ?? WARP_DEFAULTS.quorum,
    defaultTtl: options.defaultTtl ?? WARP_DEFAULTS.defaultTtl,
    warmupConcurrency: options.warmupConcurrency ?? WARP_DEFAULTS.warmupConcurrency,
    invalidationDelay: options.invalidationDelay ?? WARP_DEFAULTS.invalidationDelay,
    heartbeatInterval: options.heartbeatInterval ?? WARP_DEFAULTS.heartbeatInterval,
    // Two heartbeats' worth by default: a peer is dropped from membership after three.
    leaseMs: options.leaseMs ?? defaultLease(options.heartbeatInterval ?? WARP_DEFAULTS.heartbeatInterval),
    writeLockTtl: options.writeLockTtl ?? WARP_DEFAULTS.writeLockTtl,
    versions: {
      maxVersions: options.versions?.maxVersions ?? WARP_DEFAULTS.versions.maxVersions,
      maxEntries: options.versions?.maxEntries ?? WARP_DEFAULTS.versions.maxEntries,
    },
    watch: { bufferSize: options.watch?.bufferSize ?? WARP_DEFAULTS.watch.bufferSize },
  };
  if (typeof resolved.namespace !== 'string' || !NAMESPACE.test(resolved.namespace)) {
    fail('namespace', 'a string of 1-64 letters, digits, "_" or "-"', resolved.namespace);
  }
  if (options.nodeId !== undefined && (typeof options.nodeId !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(options.nodeId))) {
    fail('nodeId', 'a string of 1-128 printable ASCII characters without spaces', options.nodeId);
  }
  positive('publishTimeout', resolved.publishTimeout);
  positive('heartbeatInterval', resolved.heartbeatInterval);
  positive('leaseMs', resolved.leaseMs);
  // A member dropped from membership (silent for three intervals) must have no lease left.
  if (resolved.leaseMs > MAX_LEASE_INTERVALS * resolved.heartbeatInterval) {
    fail('leaseMs', `at most ${MAX_LEASE_INTERVALS} heartbeat intervals (${MAX_LEASE_INTERVALS * resolved.heartbeatInterval} ms)`, resolved.leaseMs);
  }
  positive('writeLockTtl', resolved.writeLockTtl);
  if (resolved.writeLockTtl > MAX_TIMER_MS) fail('writeLockTtl', `at most ${MAX_TIMER_MS} ms`, resolved.writeLockTtl);
  positive('warmupConcurrency', resolved.warmupConcurrency, true);
  nonNegative('defaultTtl', resolved.defaultTtl);
  nonNegative('invalidationDelay', resolved.invalidationDelay);
  for (const name of ['versions', 'watch'] as const) {
    if (options[name] !== undefined && (options[name] === null || typeof options[name] !== 'object')) fail(name, 'an object', options[name]);
  }
  positive('versions.maxVersions', resolved.versions.maxVersions, true);
  positive('versions.maxEntries', resolved.versions.maxEntries, true);
  positive('watch.bufferSize', resolved.watch.bufferSize, true);
  if (resolved.quorum !== 'all' && !(Number.isInteger(resolved.quorum) && resolved.quorum >= 0)) {
    fail('quorum', `'all' or an integer >= 0`, resolved.quorum);
  }
  if (options.secret !== undefined && (typeof options.secret !== 'string' || options.secret.length === 0)) {
    fail('secret', 'a non-empty string', options.secret);
  }
  if (options.keys !== undefined) {
    if (!Array.isArray(options.keys)) fail('keys', 'an array of { key, mode, ttl?, merge? }', options.keys);
    for (const [i, entry] of options.keys.entries()) {
      if (entry === null || typeof entry !== 'object' || !isMode(entry.mode)) {
        fail(`keys[${i}].mode`, 'a Mode (strong-local, eventual-distributed, strong-distributed)', entry?.mode);
      }
    }
  }
  for (const name of ['cache', 'store', 'bus', 'locks', 'merge'] as const) {
    const value = options[name];
    if (value !== undefined && (value === null || typeof value !== 'object')) fail(name, 'an object', value);
  }
  if (options.store !== undefined && (typeof options.store.get !== 'function' || typeof options.store.set !== 'function')) {
    fail('store', 'an object with get(key) and set(key, value) methods', options.store);
  }
  if (options.storeTimeout !== undefined) {
    positive('storeTimeout', options.storeTimeout);
    if (options.storeTimeout > MAX_TIMER_MS) fail('storeTimeout', `at most ${MAX_TIMER_MS} ms`, options.storeTimeout);
  }
  if (options.failSafe !== undefined) {
    if (options.failSafe === null || typeof options.failSafe !== 'object') fail('failSafe', 'an object { grace, maxEntries? }', options.failSafe);
    nonNegative('failSafe.grace', options.failSafe.grace);
    if (options.failSafe.maxEntries !== undefined) positive('failSafe.maxEntries', options.failSafe.maxEntries, true);
  }
  if (options.validator !== undefined) {
    if (options.validator === null || typeof options.validator !== 'object') fail('validator', 'an object { mode, interval, batchSize? }', options.validator);
    const { mode, interval, batchSize } = options.validator;
    if (!['noop', 'alert', 'autoheal'].includes(mode)) fail('validator.mode', `'noop', 'alert' or 'autoheal'`, mode);
    positive('validator.interval', interval);
    // setInterval silently turns larger delays into 1 ms.
    if (interval > MAX_TIMER_MS) fail('validator.interval', `at most ${MAX_TIMER_MS} ms`, interval);
    if (batchSize !== undefined) positive('validator.batchSize', batchSize, true);
  }
  return resolved;
}

/** Two heartbeats' worth (a non-number interval fails its own validation). */
function defaultLease(heartbeatInterval: unknown): number {
  return typeof heartbeatInterval === 'number' ? 2 * heartbeatInterval : WARP_DEFAULTS.leaseMs;
}

function positive(name: string, value: unknown, integer = false): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    fail(name, integer ? 'a positive integer' : 'a positive number of ms', value);
  }
}

function nonNegative(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(name, 'a number of ms >= 0', value);
}

function fail(name: string, expected: string, got: unknown): never {
  const shown = typeof got === 'string' ? `"${got}"` : typeof got === 'object' && got !== null ? 'an object' : String(got);
  throw new InvalidOptionsError(`Invalid Warp option "${name}": expected ${expected}, got ${shown}`);
}
