import { Module } from '@nestjs/common';
import { ProductController } from './catalogue/product.controller.js';
import { ProductRepository } from './catalogue/product.repository.js';
import { ProductService } from './catalogue/product.service.js';
import { CounterController } from './counter/counter.controller.js';
import { warpForSample } from './warp.config.js';

@Module({
  imports: [
    // Memory cache, store and bus by default; WARP_REDIS_URL makes this process a node of a Redis-backed cluster.
    warpForSample(),
  ],
  controllers: [ProductController, CounterController],
  providers: [ProductRepository, ProductService],
})
export class AppModule {}
