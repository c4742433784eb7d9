import { Injectable } from '@nestjs/common';
import { Mode, WarpEvict, WarpKey, WarpPut } from '../../lib/index.js';
import { ProductRepository, type Product } from './product.repository.js';

@Injectable()
export class ProductService {
  constructor(private readonly repository: ProductRepository) {}

  /** Read-through: the repository is only asked on a miss; peers are invalidated on writes. */
  @WarpKey('product:{0}', Mode.EventualDistributed, { ttl: 60_000, unless: (product) => product === null })
  findById(id: string): Promise<Product | null> {
    return this.repository.findById(id);
  }

  @WarpPut('product:{0.id}')
  save(product: Product): Promise<Product> {
    return this.repository.save(product);
  }

  @WarpEvict('product:{0}')
  remove(id: string): Promise<void> {
    return this.repository.delete(id);
  }
}
