import { Module } from '@nestjs/common';
import { Mode, WarpModule } from '../lib/index.js';
import { ProductController } from './catalogue/product.controller.js';
import { ProductRepository } from './catalogue/product.repository.js';
import { ProductService } from './catalogue/product.service.js';
import { CounterController } from './counter/counter.controller.js';
import { warpClusterOptions } from './cluster-options.js';

@Module({
  imports: [
    WarpModule.forRoot({
      keys: [{ key: 'counter', mode: Mode.EventualDistributed, merge: (current: number, increment: number) => current + increment }],
      // Memory cache, store and bus by default; WARP_REDIS_URL switches to a Redis-backed cluster.
      ...warpClusterOptions(),
    }),
  ],
  controllers: [ProductController, CounterController],
  providers: [ProductRepository, ProductService],
})
export class AppModule {}
