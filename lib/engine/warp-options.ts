import type { KeyRegistration, WarpOptions } from '../interfaces/warp-options.interface.js';
import { InvalidOptionsError } from '../common/warp.errors.js';
import { Mode } from '../common/mode.js';
import {
  checkFields,
  fail,
  fn,
  isPlainObject,
  nested,
  nonNegativeDuration,
  oneOf,
  port,
  positiveDuration,
  positiveInteger,
  text,
  ttl,
  type OptionCheck,
} from '../common/option-checks.js';
import { BUS_SHAPE, CACHE_SHAPE, CODEC_SHAPE, LOCKER_SHAPE, LOGGER_SHAPE, MERGE_SHAPE, METRICS_SHAPE, STORE_SHAPE } from './port-shapes.js';

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
  commandTimeout: 1_000,
  shutdownTimeout: 2_000,
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
  commandTimeout: number;
  shutdownTimeout: number;
  versions: { maxVersions: number; maxEntries: number };
  watch: { bufferSize: number };
}

/** Longest read lease, in heartbeat intervals: below the three after which peers stop counting a member live. */
const MAX_LEASE_INTERVALS = 2.5;

/** Checks of one `keys` entry; its names are the accepted fields of a registration. */
const KEY_REGISTRATION_CHECKS: { readonly [K in keyof KeyRegistration]-?: OptionCheck } = {
  // A malformed key string is the registry's to report (InvalidKeyError naming the key).
  key: (value, path) => {
    if (typeof value !== 'string') fail(path, 'a key or pattern string, e.g. "user:*"', value);
  },
  mode: oneOf(Object.values(Mode), `a Mode (${Object.values(Mode).join(', ')})`),
  ttl,
  merge: fn,
};

const keys: OptionCheck = (value, path) => {
  if (!Array.isArray(value)) fail(path, 'an array of { key, mode, ttl?, merge? }', value);
  for (const [i, entry] of value.entries()) {
    nested(KEY_REGISTRATION_CHECKS, '{ key, mode, ttl?, merge? }', ['key', 'mode'])(entry, `${path}[${i}]`);
  }
};

/**
 * Every option of `new Warp(options)` and its check. The table is typed over `keyof WarpOptions`:
 * an option added to the interface without a check, or a check for a name the interface lacks,
 * does not compile. Its keys are the accepted option names (the Nest module extends it).
 */
export const WARP_OPTION_CHECKS: { readonly [K in keyof WarpOptions]-?: OptionCheck } = {
  nodeId: text(/^[\x21-\x7e]{1,128}$/, 'a string of 1-128 printable ASCII characters without spaces'),
  namespace: text(/^[A-Za-z0-9_-]{1,64}$/, 'a string of 1-64 letters, digits, "_" or "-"'),
  keys,
  cache: port(CACHE_SHAPE),
  store: port(STORE_SHAPE),
  // `new Warp()` takes a bus instance; Nest transport options are WarpModule's (it builds the TransportBus).
  bus: port({ ...BUS_SHAPE, example: `${BUS_SHAPE.example}; transport options { transport, options } are for WarpModule.forRoot` }),
  merge: port(MERGE_SHAPE),
  publishTimeout: positiveDuration,
  quorum: (value, path) => {
    if (value !== 'all' && !(Number.isSafeInteger(value) && (value as number) >= 0)) fail(path, `'all' or an integer >= 0`, value);
  },
  secret: text(/^[\s\S]+$/, 'a non-empty string'),
  locks: port(LOCKER_SHAPE),
  validator: nested(
    { mode: oneOf(['noop', 'alert', 'autoheal'], `'noop', 'alert' or 'autoheal'`), interval: positiveDuration, batchSize: positiveInteger },
    '{ mode, interval, batchSize? }',
    ['mode', 'interval'],
  ),
  storeTimeout: positiveDuration,
  commandTimeout: positiveDuration,
  shutdownTimeout: positiveDuration,
  failSafe: nested({ grace: ttl, maxEntries: positiveInteger }, '{ grace, maxEntries? }', ['grace']),
  metrics: port(METRICS_SHAPE),
  defaultTtl: ttl,
  warmupConcurrency: positiveInteger,
  invalidationDelay: nonNegativeDuration,
  heartbeatInterval: positiveDuration,
  leaseMs: positiveDuration,
  writeLockTtl: positiveDuration,
  versions: nested({ maxVersions: positiveInteger, maxEntries: positiveInteger }, '{ maxVersions?, maxEntries? }'),
  watch: nested({ bufferSize: positiveInteger }, '{ bufferSize? }'),
  logger: port(LOGGER_SHAPE),
  codec: port(CODEC_SHAPE),
};

/**
 * Validates every option once, at startup, then applies the defaults. Unknown names fail too
 * (a misspelt option must not be silently ignored).
 * @param checks the table the names and values are checked against: `WARP_OPTION_CHECKS`, or the
 *   Nest module's extension of it.
 * @throws InvalidOptionsError naming the option's path (`keys[2].mode`) and the accepted values.
 */
export function resolveWarpOptions(options: WarpOptions, checks: Readonly<Record<string, OptionCheck>> = WARP_OPTION_CHECKS): ResolvedWarpOptions {
  if (!isPlainObject(options)) {
    throw new InvalidOptionsError(`Warp options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  checkFields(options, checks);
  const heartbeatInterval = options.heartbeatInterval ?? WARP_DEFAULTS.heartbeatInterval;
  const resolved: ResolvedWarpOptions = {
    namespace: options.namespace ?? WARP_DEFAULTS.namespace,
    publishTimeout: options.publishTimeout ?? WARP_DEFAULTS.publishTimeout,
    quorum: options.quorum ?? WARP_DEFAULTS.quorum,
    defaultTtl: options.defaultTtl ?? WARP_DEFAULTS.defaultTtl,
    warmupConcurrency: options.warmupConcurrency ?? WARP_DEFAULTS.warmupConcurrency,
    invalidationDelay: options.invalidationDelay ?? WARP_DEFAULTS.invalidationDelay,
    heartbeatInterval,
    // Two heartbeats' worth by default: a peer is dropped from membership after three.
    leaseMs: options.leaseMs ?? 2 * heartbeatInterval,
    writeLockTtl: options.writeLockTtl ?? WARP_DEFAULTS.writeLockTtl,
    commandTimeout: options.commandTimeout ?? WARP_DEFAULTS.commandTimeout,
    shutdownTimeout: options.shutdownTimeout ?? WARP_DEFAULTS.shutdownTimeout,
    versions: {
      maxVersions: options.versions?.maxVersions ?? WARP_DEFAULTS.versions.maxVersions,
      maxEntries: options.versions?.maxEntries ?? WARP_DEFAULTS.versions.maxEntries,
    },
    watch: { bufferSize: options.watch?.bufferSize ?? WARP_DEFAULTS.watch.bufferSize },
  };
  // A member dropped from membership (silent for three intervals) must have no lease left.
  if (resolved.leaseMs > MAX_LEASE_INTERVALS * resolved.heartbeatInterval) {
    fail('leaseMs', `at most ${MAX_LEASE_INTERVALS} heartbeat intervals (${MAX_LEASE_INTERVALS * resolved.heartbeatInterval} ms)`, resolved.leaseMs);
  }
  return resolved;
}
