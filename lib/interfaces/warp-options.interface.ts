import type { WarpCache } from '../cache/cache.interface.js';
import type { Codec } from '../codec/codec.interface.js';
import type { Mode } from '../common/mode.js';
import type { WarpLocker } from '../lock/locker.interface.js';
import type { MergeEngine, MergeFn } from '../merge/merge.engine.js';
import type { WarpMetrics } from '../metrics/warp-metrics.interface.js';
import type { WarpStore } from '../store/store.interface.js';
import type { WarpBus } from '../bus/bus.interface.js';
import type { WarpLogger } from './warp-logger.interface.js';

/** A key or pattern registered at startup. */
export interface KeyRegistration {
  key: string;
  mode: Mode;
  /** ms; default `defaultTtl`. */
  ttl?: number;
  merge?: MergeFn;
}

/**
 * Fail-safe reads: when a `get` misses the cache and the store read fails or exceeds
 * `storeTimeout`, the last value this node read or wrote for the key is served (and counted in
 * `warp_failsafe_served_total`) instead of throwing `StoreError`. Never for StrongDistributed keys
 * (their reads stay linearizable), never for writes (they still throw `StoreError`).
 */
export interface FailSafeOptions {
  /** ms a value stays servable after its cache entry expired (keys without TTL: until evicted). */
  grace: number;
  /** Most last known values kept (least recently recorded dropped first). Default 10_000. */
  maxEntries?: number;
}

/** Validator settings. */
export interface ValidatorOptions {
  /** `noop` counts mismatches, `alert` also logs and emits, `autoheal` replaces the cached value. */
  mode: 'noop' | 'alert' | 'autoheal';
  /** ms between runs. */
  interval: number;
  /** Keys checked per run. Default 500. */
  batchSize?: number;
}

/**
 * Options of the framework-free engine (`new Warp(options)`). `WarpModuleOptions` adds the
 * Nest-only choices (a bus given as transport options).
 */
export interface WarpOptions {
  /** This node's id on the bus. Default: random, stable for the process. */
  nodeId?: string;
  /** Isolates clusters sharing Redis/NATS: `[A-Za-z0-9_-]{1,64}`. Default `'warp'`. */
  namespace?: string;
  /** Keys and patterns registered at startup. */
  keys?: KeyRegistration[];
  /** Default `new MemoryCache()`. */
  cache?: WarpCache;
  /** Default `new MemoryStore()`. */
  store?: WarpStore;
  /** Default: a `MemoryBus` private to this instance (a cluster of one). */
  bus?: WarpBus;
  /** Default: last-write-wins. */
  merge?: MergeEngine;
  /**
   * The value rule: `set`, `@WarpPut` and fills refuse (`SerializationError`) a value this codec
   * cannot round-trip, in memory-only mode too, so a value is accepted or refused the same way
   * whatever backend holds it. Give the codec your Redis backends use when it is richer than
   * JSON. Default: `JsonCodec` (NaN, ±Infinity, BigInt, functions, symbols, cycles are refused).
   */
  codec?: Codec;
  /**
   * ms a StrongDistributed write waits for its prepare to come back through the bus (and for its
   * write lock) before failing with `QuorumNotReachedError`. Default 2000.
   */
  publishTimeout?: number;
  /**
   * Acknowledgements a StrongDistributed write needs. `'all'` (default): every live member, or the
   * expiry of a silent member's read lease. A number `n`: at least `n` acknowledgements as well,
   * else `QuorumNotReachedError` (nothing written).
   */
  quorum?: number | 'all';
  /** Shared secret: bus messages are signed with HMAC-SHA256 and unsigned ones dropped. */
  secret?: string;
  /**
   * Default: a `RedisLocker` on the client of the first Redis-backed cache, store or bus (cluster-wide
   * locks as soon as Redis is in play), else a `MemoryLocker` (one process).
   */
  locks?: WarpLocker;
  validator?: ValidatorOptions;
  /**
   * ms a read of the store (or of a shared cache tier) may take on the read path (`get`, warmup,
   * the validator, the current value a merge reads) before it counts as failed: `get` then fails
   * with `StoreError`, or serves a last known value with `failSafe`. Writes are not timed out: an
   * abandoned write could still land after Warp reported it failed. Default: no timeout (your
   * database may legitimately be slow); set it when a hanging store must not hang requests.
   */
  storeTimeout?: number;
  /**
   * ms one operation on Warp's own infrastructure may take on the request path: the shared cache
   * tier (read, fill, write, delete), a lock's round trip to its backend (on top of the lock's own
   * `waitTimeout`) and its release. Past it the operation counts as failed, whatever the client
   * does with it (an ioredis client queues commands while it reconnects): a shared-tier read is a
   * miss, a failed shared-tier write drops the key, a write lock not obtained fails the write with
   * `LockTimeoutError`. After a shared-tier failure the tier is skipped for reads for one second
   * (each request does not wait for it again), and keys whose shared copy could not be written
   * or deleted are not read there until their deletion succeeded. Default 1000.
   */
  commandTimeout?: number;
  /**
   * ms `close()` (`app.close()`) may take: pending invalidations are flushed, the goodbye is
   * published and connections are closed within it whatever the state of Redis, NATS or MQTT;
   * what did not finish is logged and its connections are dropped. Default 2000.
   */
  shutdownTimeout?: number;
  /** Serve the last known value of a key when the store fails or times out on a read. Default: off. */
  failSafe?: FailSafeOptions;
  /** Metrics sink; `true` in the Nest module registers Prometheus metrics. Default: none. */
  metrics?: WarpMetrics;
  /** TTL in ms for registrations that give none. Default 0 (no expiry). */
  defaultTtl?: number;
  /** Parallel store reads during warmup. Default 16. */
  warmupConcurrency?: number;
  /** Longest delay, in ms, before a batch of eventual invalidations is published. Default 2. */
  invalidationDelay?: number;
  /** ms between heartbeats; a peer silent for 3 intervals is considered gone. Default 1000. */
  heartbeatInterval?: number;
  /**
   * Read lease in ms: a node serves StrongDistributed keys from its cache only within `leaseMs` of
   * sending a heartbeat it heard back, and a strong write waits this long (after its prepare came
   * back) for a member that does not acknowledge. At most 2.5 heartbeat intervals. Default 2
   * intervals.
   */
  leaseMs?: number;
  /**
   * TTL in ms of a StrongDistributed key's write lock (renewed while held). A writer stalled past it
   * loses the lock and its write fails with `LockLostError`; peers read a key whose writer died
   * through for this long. Default 10 000.
   */
  writeLockTtl?: number;
  /**
   * Turns on the versioned cache behind `history`/`getAt` (off by default: it copies every write)
   * with its bounds: `maxVersions` per key (default 10) and `maxEntries` keys, least recently used
   * dropped first (default 10 000). `versions: {}` enables it with the defaults.
   */
  versions?: { maxVersions?: number; maxEntries?: number };
  /** Watch bus: `bufferSize` events per subscriber before the oldest is dropped (default 1024). */
  watch?: { bufferSize?: number };
  logger?: WarpLogger;
}
