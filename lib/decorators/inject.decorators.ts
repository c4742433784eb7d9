import { Inject } from '@nestjs/common';
import { WarpBus } from '../bus/bus.interface.js';
import { WarpCache } from '../cache/cache.interface.js';
import { WarpLocker } from '../lock/locker.interface.js';
import { WarpStore } from '../store/store.interface.js';

/** Injects the cache Warp uses. */
export const InjectWarpCache = (): ParameterDecorator & PropertyDecorator => Inject(WarpCache);
/** Injects the store Warp uses. */
export const InjectWarpStore = (): ParameterDecorator & PropertyDecorator => Inject(WarpStore);
/** Injects the sync bus Warp uses. */
export const InjectWarpBus = (): ParameterDecorator & PropertyDecorator => Inject(WarpBus);
/** Injects the locker Warp uses. */
export const InjectWarpLocker = (): ParameterDecorator & PropertyDecorator => Inject(WarpLocker);
