import { Inject, Injectable } from '@nestjs/common';
import type { WarpStore } from '../../lib/index.js';
import { PRODUCT_TABLE } from './product.table.js';

export interface Product {
  id: string;
  name: string;
  price: number;
}

/**
 * Stands in for a database repository (TypeORM, Prisma...): it owns the products' persistence
 * (writes go to the table it was given, which the nodes of a cluster share), is slow on purpose,
 * and counts its reads so the sample can show the cache at work.
 */
@Injectable()
export class ProductRepository {
  reads = 0;

  constructor(@Inject(PRODUCT_TABLE) private readonly table: WarpStore<Product>) {}

  async findById(id: string): Promise<Product | null> {
    this.reads++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    return (await this.table.get(id)) ?? null;
  }

  async save(product: Product): Promise<Product> {
    await this.table.set(product.id, product);
    return product;
  }

  async delete(id: string): Promise<void> {
    await this.table.delete!(id);
  }
}
