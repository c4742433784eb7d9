import { Inject } from '@nestjs/common';
import { SyncBus } from '../bus/sync-bus.interface.js';
import { Cache } from '../cache/cache.interface.js';
import { Locker } from '../lock/locker.interface.js';
import { Store } from '../store/store.interface.js';

/** Injects the cache Warp uses. */
export const InjectWarpCache = (): ParameterDecorator & PropertyDecorator => Inject(Cache);
/** Injects the store Warp uses. */
export const InjectWarpStore = (): ParameterDecorator & PropertyDecorator => Inject(Store);
/** Injects the sync bus Warp uses. */
export const InjectWarpBus = (): ParameterDecorator & PropertyDecorator => Inject(SyncBus);
/** Injects the locker Warp uses. */
export const InjectWarpLocker = (): ParameterDecorator & PropertyDecorator => Inject(Locker);
