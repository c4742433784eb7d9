import { Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { ProductController } from './catalogue/product.controller.js';
import { ProductRepository } from './catalogue/product.repository.js';
import { ProductService } from './catalogue/product.service.js';
import { productTableProvider } from './catalogue/product.table.js';
import { CounterController } from './counter/counter.controller.js';
import { sampleInfrastructure, warpForSample } from './warp.config.js';

@Module({
  imports: [
    // Serves GET /metrics; Warp finds it and records its warp_* metrics in the registry it serves.
    PrometheusModule.register(),
    // Memory cache, store and bus by default; WARP_REDIS_URL makes this process a node of a Redis-backed cluster.
    warpForSample(),
    // On Redis, the products live there too: every node reads and writes the same data.
    ...sampleInfrastructure,
  ],
  controllers: [ProductController, CounterController],
  providers: [productTableProvider, ProductRepository, ProductService],
})
export class AppModule {}
