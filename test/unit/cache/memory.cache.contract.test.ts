import { MemoryCache } from '../../../lib/cache/memory.cache.js';
import { cacheContract } from '../../../lib/testing/cache.contract.js';

cacheContract('MemoryCache', () => new MemoryCache());
cacheContract('MemoryCache with a small sweep interval and LRU bound', () => new MemoryCache({ maxEntries: 100, sweepIntervalMs: 10, sweepBatchSize: 2 }));
