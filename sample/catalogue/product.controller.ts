import { Body, Controller, Delete, Get, NotFoundException, Param, Put } from '@nestjs/common';
import type { Product } from './product.repository.js';
import { ProductRepository } from './product.repository.js';
import { ProductService } from './product.service.js';

@Controller('products')
export class ProductController {
  constructor(
    private readonly products: ProductService,
    private readonly repository: ProductRepository,
  ) {}

  @Get(':id')
  async findOne(@Param('id') id: string) {
    const product = await this.products.findById(id);
    if (product === null) throw new NotFoundException(`product ${id} not found`);
    return { product, repositoryReads: this.repository.reads };
  }

  @Put(':id')
  save(@Param('id') id: string, @Body() body: Omit<Product, 'id'>) {
    return this.products.save({ ...body, id });
  }

  @Delete(':id')
  async remove(@Param('id') id: string) {
    await this.products.remove(id);
    return { deleted: id };
  }
}
