import type { WarpBus } from '../bus/bus.interface.js';
import type { WarpCache } from '../cache/cache.interface.js';
import type { Codec } from '../codec/codec.interface.js';
import type { WarpLogger } from '../interfaces/warp-logger.interface.js';
import type { WarpLocker } from '../lock/locker.interface.js';
import type { MergeEngine } from '../merge/merge.engine.js';
import type { WarpMetrics } from '../metrics/warp-metrics.interface.js';
import type { WarpStore } from '../store/store.interface.js';
import type { PortShape } from '../common/option-checks.js';

// What the options check of each port looks for. The method names are typed against the
// interfaces, so a renamed method fails to compile here instead of drifting.

export const CACHE_SHAPE: PortShape<WarpCache> = {
  what: 'a WarpCache',
  methods: ['get', 'set', 'delete', 'clear', 'keys'],
  optional: ['peek', 'evictLocal', 'clearLocal', 'setIfAbsent', 'getWithTtl', 'close'],
  example: 'new MemoryCache(), or new TieredCache(new MemoryCache(), new RedisCache(redis)) for Redis',
};

export const STORE_SHAPE: PortShape<WarpStore> = {
  what: 'a WarpStore',
  methods: ['get', 'set'],
  optional: ['delete', 'keys', 'getMany'],
  example: 'new MemoryStore(), new RedisStore(redis), or an adapter over your database (docs/store.md)',
};

export const BUS_SHAPE: PortShape<WarpBus> = {
  what: 'a WarpBus',
  methods: ['connect', 'publish', 'subscribe', 'onConnectionChange', 'close'],
  example: 'new RedisBus(redis) or new TransportBus({ transport: Transport.NATS, options: { servers } })',
};

export const LOCKER_SHAPE: PortShape<WarpLocker> = {
  what: 'a WarpLocker',
  methods: ['acquire', 'close'],
  example: 'new RedisLocker(redis)',
};

export const MERGE_SHAPE: PortShape<MergeEngine> = {
  what: 'a MergeEngine',
  methods: ['needsCurrent', 'merge'],
  example: 'new MergeEngine(), or new MergeEngine((current, incoming) => ...) for a default merge function',
};

export const LOGGER_SHAPE: PortShape<WarpLogger> = {
  what: 'a logger',
  methods: ['log', 'warn', 'error'],
  example: "console, or Nest's new Logger('Warp')",
};

export const METRICS_SHAPE: PortShape<WarpMetrics> = {
  what: 'a WarpMetrics sink',
  methods: [
    'hit',
    'miss',
    'load',
    'set',
    'invalidationsSent',
    'invalidationsReceived',
    'evictions',
    'busDropped',
    'busLag',
    'staleFillsDiscarded',
    'lockWait',
    'leaseRevoked',
    'validator',
    'failSafeServed',
  ],
  optional: ['lockHold', 'storeError', 'observe'],
  example: 'new PrometheusWarpMetrics()',
};

export const CODEC_SHAPE: PortShape<Codec> = {
  what: 'a Codec',
  methods: ['encode', 'decode'],
  optional: ['assertEncodable'],
  example: 'new JsonCodec(), or the codec your Redis backends use',
};
