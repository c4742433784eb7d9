import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, '127.0.0.1');
  console.log(`Warp sample listening on http://127.0.0.1:${port}`);
  console.log(`  curl http://127.0.0.1:${port}/products/1         # read-through cache`);
  console.log(`  curl -X POST http://127.0.0.1:${port}/counter/incr  # merge-function counter`);
}

void bootstrap();
