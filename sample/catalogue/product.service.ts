import { Injectable } from '@nestjs/common';
import { Mode, WarpEvict, WarpKey, WarpPut } from '../../lib/index.js';
import { ProductRepository, type Product } from './product.repository.js';

/** How long a product stays cached: 60 s (`WARP_SAMPLE_TTL_MS` shortens it for the e2e test). */
const PRODUCT_TTL_MS = Number(process.env.WARP_SAMPLE_TTL_MS ?? 60_000);

/**
 * Cache-aside over the repository: the repository persists, Warp caches. Reads are served from
 * the cache and fill it on a miss; writes persist through the repository, then Warp puts the
 * result (or evicts the key) on every node.
 */
@Injectable()
export class ProductService {
  constructor(private readonly repository: ProductRepository) {}

  /** The repository is asked on a miss only; a missing product is not cached. */
  @WarpKey('product:{0}', Mode.EventualDistributed, { ttl: PRODUCT_TTL_MS })
  findById(id: string): Promise<Product | null> {
    return this.repository.findById(id);
  }

  /** Persists, then puts the saved product in the caches and tells the other nodes. */
  @WarpPut('product:{0.id}')
  save(product: Product): Promise<Product> {
    return this.repository.save(product);
  }

  /** Deletes, then evicts the product everywhere. */
  @WarpEvict('product:{0}')
  remove(id: string): Promise<void> {
    return this.repository.delete(id);
  }
}
