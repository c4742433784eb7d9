import type { Provider } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { MemoryStore, RedisStore, type WarpStore } from '../../lib/index.js';
import { SAMPLE_PREFIX, SAMPLE_REDIS } from '../sample-redis.module.js';
import type { Product } from './product.repository.js';

/** DI token of the products' data source: what a TypeORM repository or a Prisma client is in a real app. */
export const PRODUCT_TABLE = Symbol('PRODUCT_TABLE');

const SEED: Product[] = [
  { id: '1', name: 'Desk lamp', price: 39 },
  { id: '2', name: 'Notebook', price: 4 },
];

/**
 * The products' data source: a Redis "table" every node of a two-node sample shares (so a
 * change made on one node is the data the other reads), or process memory on one node. Seeds the
 * two demo products unless they already exist, so a node that starts later keeps the changes
 * made meanwhile.
 */
export const productTableProvider: Provider = {
  provide: PRODUCT_TABLE,
  inject: [{ token: SAMPLE_REDIS, optional: true }],
  useFactory: async (redis?: Redis): Promise<WarpStore<Product>> => {
    const table = redis === undefined ? new MemoryStore<Product>() : new RedisStore<Product>(redis, { prefix: `${SAMPLE_PREFIX}:products:` });
    for (const product of SEED) {
      if ((await table.get(product.id)) === undefined) await table.set(product.id, product);
    }
    return table;
  },
};
