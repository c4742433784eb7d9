// The package root: what users of Warp import. Internals (wire protocol, cluster, leases, watch,
// validator and clock machinery, DI tokens) stay behind it; api/nestjs-warp.api.md records this
// surface and `npm run lint` fails when it changes without `npm run api:update`.

// Nest layer
export { WarpModule } from './warp.module.js';
export { WarpService } from './warp.service.js';
export { WarpKey, type WarpKeyOptions } from './decorators/warp-key.decorator.js';
export { WarpPut } from './decorators/warp-put.decorator.js';
export { WarpEvict } from './decorators/warp-evict.decorator.js';
export { WarpLock, type WarpLockOptions } from './decorators/warp-lock.decorator.js';
export { InjectWarpBus, InjectWarpCache, InjectWarpLocker, InjectWarpStore } from './decorators/inject.decorators.js';
export type { KeyTemplate } from './decorators/key-template.js';

// Engine, for use without Nest
export { Warp, type GetOrSetOptions, type SetOptions } from './engine/warp.js';
export { Mode } from './common/mode.js';
export type { Registration, RegisterOptions } from './common/registry.js';
export type { Envelope } from './common/envelope.js';

// Ports and backends
export { WarpCache } from './cache/cache.interface.js';
export { MemoryCache, type MemoryCacheOptions } from './cache/memory.cache.js';
export { RedisCache, type RedisCacheOptions } from './cache/redis.cache.js';
export { TieredCache, type TieredCacheOptions } from './cache/tiered.cache.js';
export { WarpStore, type StoreWrite } from './store/store.interface.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory.store.js';
export { RedisStore, type RedisStoreOptions } from './store/redis.store.js';
export { toFence } from './store/fence.js';
export { WarpBus } from './bus/bus.interface.js';
export { MemoryBus, MemoryBusNode } from './bus/memory.bus.js';
export { RedisBus, type RedisBusOptions } from './bus/redis.bus.js';
export { TransportBus, type TransportBusOptions } from './bus/transport.bus.js';
export { WarpLocker, type LockHandle, type LockOptions } from './lock/locker.interface.js';
export { MemoryLocker } from './lock/memory.locker.js';
export { RedisLocker, type RedisLockerOptions } from './lock/redis.locker.js';
export { withLock } from './lock/with-lock.js';
export { resolveLockOptions } from './lock/lock-options.js';
export { JsonCodec } from './codec/json.codec.js';
export { assertStorable } from './codec/assert-storable.js';
export type { Codec } from './codec/codec.interface.js';
export { MergeEngine, type MergeFn } from './merge/merge.engine.js';
export type { ObservedWarp, WarpMetrics } from './metrics/warp-metrics.interface.js';
export { PrometheusWarpMetrics, type PrometheusWarpMetricsOptions } from './metrics/prometheus.metrics.js';
export { WarpKeyvStore, type WarpKeyvStoreOptions } from './keyv/warp-keyv.store.js';

// Features' result types
export type { Lease } from './lease/lease-manager.js';
export { VersionedCache, type Versioned, type VersionedCacheOptions } from './versioned/versioned-cache.js';
export type { WatchOptions } from './watch/watch-bus.js';
export type { WatchSubscription, WatchEvent, WatchTarget } from './watch/watch-subscription.js';
export type { MismatchEvent, ValidationReport } from './validator/validator.js';

// Options and results
export type { WarpModuleOptions } from './interfaces/warp-module-options.interface.js';
export type { WarpModuleAsyncOptions, WarpOptionsFactory } from './interfaces/warp-module-async-options.interface.js';
export type { FailSafeOptions, KeyRegistration, ValidatorOptions, WarpOptions } from './interfaces/warp-options.interface.js';
export type { WarmupReport } from './interfaces/warmup-report.interface.js';
export type { WarpLogger } from './interfaces/warp-logger.interface.js';
export type { WarpStatus } from './interfaces/warp-status.interface.js';

// Errors
export {
  BusError,
  FenceRejectedError,
  InvalidKeyError,
  InvalidOptionsError,
  LeaseNotFoundError,
  LockLostError,
  LockTimeoutError,
  PayloadTooLargeError,
  QuorumNotReachedError,
  SerializationError,
  StoreError,
  UnregisteredKeyError,
  WarpClosedError,
  WarpError,
} from './common/warp.errors.js';
