import { Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { ProductController } from './catalogue/product.controller.js';
import { ProductRepository } from './catalogue/product.repository.js';
import { ProductService } from './catalogue/product.service.js';
import { CounterController } from './counter/counter.controller.js';
import { warpForSample } from './warp.config.js';

@Module({
  imports: [
    // Serves GET /metrics from prom-client's default registry, where Warp's `metrics: true` records.
    PrometheusModule.register(),
    // Memory cache, store and bus by default; WARP_REDIS_URL makes this process a node of a Redis-backed cluster.
    warpForSample(),
  ],
  controllers: [ProductController, CounterController],
  providers: [ProductRepository, ProductService],
})
export class AppModule {}
