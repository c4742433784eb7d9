import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';

/** Boots `module` as a real Nest HTTP app on a free loopback port; close it with `app.close()`. */
export async function startHttpApp(module: new (...args: any[]) => unknown): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}
