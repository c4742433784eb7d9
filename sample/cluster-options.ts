import type { WarpModuleOptions } from '../lib/index.js';

/**
 * Options for running several sample nodes as one cluster. With no `WARP_REDIS_URL` the sample
 * runs on the embedded in-memory defaults; the Redis-backed mode arrives with the distributed
 * consistency work.
 */
export function warpClusterOptions(): Partial<WarpModuleOptions> {
  return {};
}
