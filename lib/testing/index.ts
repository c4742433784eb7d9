// nestjs-warp/testing: the contract suites of Warp's ports, to run against your own backend, and a
// multi-node test helper. The suites register node:test tests (describe/it), so run them with
// `node --test`; importing this entry point from application code loads node:test.
export { storeContract, type StoreContractOptions } from './store.contract.js';
export { cacheContract, type CacheContractOptions } from './cache.contract.js';
export { busContract, type BusPair } from './bus.contract.js';
export { lockerContract } from './locker.contract.js';
export { createWarpCluster, type WarpCluster, type WarpClusterOptions, type WarpNodeParts } from './warp-cluster.js';
export { eventually } from './eventually.js';
