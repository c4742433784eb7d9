import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type CallHandler,
  Controller,
  type ExecutionContext,
  Get,
  Injectable,
  Module,
  type NestInterceptor,
  Param,
  SetMetadata,
  UseInterceptors,
  type INestApplication,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { map } from 'rxjs';
import {
  InvalidKeyError,
  InvalidOptionsError,
  MemoryStore,
  Mode,
  WarpStore,
  UnregisteredKeyError,
  WarpEvict,
  WarpKey,
  WarpModule,
  WarpPut,
  WarpService,
} from '../../lib/index.js';

interface Product {
  id: string;
  name: string;
}

@Injectable()
class ProductRepository {
  calls = 0;
  readonly rows = new Map<string, Product>([['1', { id: '1', name: 'Lamp' }]]);
  async find(id: string): Promise<Product | null> {
    this.calls++;
    return this.rows.get(id) ?? null;
  }
}

@Injectable()
class ProductService {
  constructor(private readonly repo: ProductRepository) {}

  @WarpKey('product:{0}', Mode.StrongLocal, { unless: (result) => result === null })
  find(id: string): Promise<Product | null> {
    return this.repo.find(id);
  }

  @WarpPut('product:{0.id}')
  async save(product: Product): Promise<Product> {
    this.repo.rows.set(product.id, product);
    return product;
  }

  @WarpEvict('product:{0}')
  async remove(id: string): Promise<void> {
    this.repo.rows.delete(id);
  }

  @WarpKey((tenant: string, id: number) => `report:${tenant}:${id}`, Mode.StrongLocal)
  async report(tenant: string, id: number): Promise<string> {
    this.repo.calls++;
    return `${tenant}-${id}`;
  }
}

const TAG = 'test:tag';

/** Reads metadata from the handler Nest resolves, proving the wrapper kept it. */
@Injectable()
class TagInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}
  intercept(context: ExecutionContext, next: CallHandler) {
    const tag = this.reflector.get<string>(TAG, context.getHandler());
    return next.handle().pipe(map((body) => ({ ...body, tag })));
  }
}

@Controller('products')
class ProductController {
  constructor(private readonly repo: ProductRepository) {}

  @Get(':id')
  @SetMetadata(TAG, 'kept')
  @UseInterceptors(TagInterceptor)
  @WarpKey('http:product:{0}', Mode.StrongLocal)
  async byId(@Param('id') id: string) {
    const product = await this.repo.find(id);
    return { ...product, servedBy: 'handler' };
  }
}

@Module({
  imports: [WarpModule.forRoot()],
  controllers: [ProductController],
  providers: [ProductRepository, ProductService],
})
class AppModule {}

describe('WarpModule in a real Nest HTTP application', () => {
  let app: INestApplication;
  let baseUrl: string;

  before(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
  });
  after(() => app.close());

  it('caches a decorated service method: the repository is hit once', async () => {
    const service = app.get(ProductService);
    const repo = app.get(ProductRepository);
    const before = repo.calls;
    assert.deepEqual(await service.find('1'), { id: '1', name: 'Lamp' });
    assert.deepEqual(await service.find('1'), { id: '1', name: 'Lamp' });
    assert.equal(repo.calls - before, 1);
  });

  it('does not cache results excluded by unless', async () => {
    const service = app.get(ProductService);
    const repo = app.get(ProductRepository);
    const before = repo.calls;
    assert.equal(await service.find('missing'), null);
    assert.equal(await service.find('missing'), null);
    assert.equal(repo.calls - before, 2);
  });

  it('updates the cached value through @WarpPut and drops it through @WarpEvict', async () => {
    const service = app.get(ProductService);
    const warp = app.get(WarpService);
    await service.find('2');
    await service.save({ id: '2', name: 'Desk' });
    assert.deepEqual(await warp.get('product:2'), { id: '2', name: 'Desk' });
    const repo = app.get(ProductRepository);
    const before = repo.calls;
    assert.deepEqual(await service.find('2'), { id: '2', name: 'Desk' });
    assert.equal(repo.calls, before);
    await service.remove('2');
    assert.equal(await service.find('2'), null);
    assert.equal(repo.calls, before + 1);
  });

  it('supports function templates, registering each exact key on first use', async () => {
    const service = app.get(ProductService);
    const repo = app.get(ProductRepository);
    const before = repo.calls;
    assert.equal(await service.report('acme', 7), 'acme-7');
    assert.equal(await service.report('acme', 7), 'acme-7');
    assert.equal(repo.calls - before, 1);
  });

  it('throws InvalidKeyError when a template resolves to an invalid key part', async () => {
    const service = app.get(ProductService);
    await assert.rejects(service.save({ name: 'no id' } as Product), InvalidKeyError);
    await assert.rejects(service.find({} as unknown as string), InvalidKeyError);
  });

  it('serves a decorated controller route, keeps its other metadata, and caches it', async () => {
    const repo = app.get(ProductRepository);
    const before = repo.calls;
    const first = await (await fetch(`${baseUrl}/products/1`)).json();
    const second = await (await fetch(`${baseUrl}/products/1`)).json();
    assert.deepEqual(first, { id: '1', name: 'Lamp', servedBy: 'handler', tag: 'kept' });
    assert.deepEqual(second, first);
    assert.equal(repo.calls - before, 1);
  });

  it('exposes WarpService for direct use with registrations made at runtime', async () => {
    const warp = app.get(WarpService);
    warp.register('session:*', Mode.StrongLocal, { ttl: 60_000 });
    await warp.set('session:a', { user: 1 });
    assert.deepEqual(await warp.get('session:a'), { user: 1 });
    await assert.rejects(warp.get('unknown:1'), UnregisteredKeyError);
  });
});

describe('WarpModule configuration', () => {
  it('builds options asynchronously from injected providers', async () => {
    const CONFIG = Symbol('config');
    @Module({ providers: [{ provide: CONFIG, useValue: { namespace: 'async-ns' } }], exports: [CONFIG] })
    class ConfigModule {}
    const store = new MemoryStore([['greeting', 'hello']]);
    const moduleRef = await Test.createTestingModule({
      imports: [
        WarpModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: (config: { namespace: string }) => ({
            namespace: config.namespace,
            store,
            keys: [{ key: 'greeting', mode: Mode.EventualDistributed }],
          }),
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    assert.equal(await app.get(WarpService).get('greeting'), 'hello');
    assert.equal(app.get(WarpStore), store);
    await app.close();
  });

  it('lets tests replace the store provider', async () => {
    const replacement = new MemoryStore([['k', 'replaced']]);
    const moduleRef = await Test.createTestingModule({ imports: [WarpModule.forRoot({ keys: [{ key: 'k', mode: Mode.StrongLocal }] })] })
      .overrideProvider(WarpStore)
      .useValue(replacement)
      .compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    assert.equal(await app.get(WarpService).get('k'), 'replaced');
    await app.close();
  });

  it('fails at startup with InvalidOptionsError naming a bad option', async () => {
    await assert.rejects(
      Test.createTestingModule({ imports: [WarpModule.forRoot({ namespace: 'bad namespace!' })] }).compile(),
      (error: Error) => error instanceof InvalidOptionsError && /namespace/.test(error.message),
    );
  });
});
