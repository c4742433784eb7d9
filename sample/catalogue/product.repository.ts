import { Injectable } from '@nestjs/common';

export interface Product {
  id: string;
  name: string;
  price: number;
}

/** Stands in for a database repository (TypeORM, Prisma...): slow on purpose, and counts reads. */
@Injectable()
export class ProductRepository {
  reads = 0;
  private readonly rows = new Map<string, Product>([
    ['1', { id: '1', name: 'Desk lamp', price: 39 }],
    ['2', { id: '2', name: 'Notebook', price: 4 }],
  ]);

  async findById(id: string): Promise<Product | null> {
    this.reads++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    return this.rows.get(id) ?? null;
  }

  async save(product: Product): Promise<Product> {
    this.rows.set(product.id, product);
    return product;
  }

  async delete(id: string): Promise<void> {
    this.rows.delete(id);
  }
}
