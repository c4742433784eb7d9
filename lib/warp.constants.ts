/** DI token of the framework-free engine (`Warp`) behind `WarpService`. */
export const WARP_INSTANCE = Symbol('WARP_INSTANCE');

/** Metadata keys written by the decorators and read by the explorer. */
export const WARP_KEY_METADATA = 'warp:key';
export const WARP_PUT_METADATA = 'warp:put';
export const WARP_EVICT_METADATA = 'warp:evict';
export const WARP_LOCK_METADATA = 'warp:lock';

/** Marks a method the explorer already wrapped, so exploring twice never double-wraps. */
export const WARP_WRAPPED = Symbol('warp:wrapped');
