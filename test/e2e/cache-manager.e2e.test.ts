import 'reflect-metadata';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { CACHE_MANAGER, CacheModule } from '@nestjs/cache-manager';
import { Test } from '@nestjs/testing';
import type { Cache as CacheManager } from 'cache-manager';
import { MemoryBus, MemoryStore, WarpKeyvStore, WarpModule, WarpService } from '../../lib/index.js';
import { eventually } from '../helpers/deferred.js';

describe('Warp behind CACHE_MANAGER (@nestjs/cache-manager) through WarpKeyvStore', () => {
  const apps: INestApplicationContext[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  async function node(bus: MemoryBus, store: MemoryStore<unknown>): Promise<{ cache: CacheManager; warp: WarpService }> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        WarpModule.forRoot({ bus: bus.node(), store }),
        CacheModule.registerAsync({
          inject: [WarpService],
          useFactory: (warp: WarpService) => ({ stores: [new WarpKeyvStore(warp, { prefix: 'http-cache:' })] }),
        }),
      ],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    apps.push(app);
    return { cache: app.get<CacheManager>(CACHE_MANAGER), warp: app.get(WarpService) };
  }

  it('stores what CACHE_MANAGER sets in Warp, and keeps every node consistent', async () => {
    const bus = new MemoryBus();
    const store = new MemoryStore<unknown>();
    const a = await node(bus, store);
    const b = await node(bus, store);
    await a.cache.set('user:1', { name: 'Ada' }, 60_000);
    assert.deepEqual(await b.cache.get('user:1'), { name: 'Ada' });
    assert.ok((await store.keys('http-cache:')).length === 1, 'persisted in Warp\'s store under the prefix');

    await a.cache.set('user:1', { name: 'Ada Lovelace' }, 60_000);
    await eventually(async () => (await b.cache.get<{ name: string }>('user:1'))?.name === 'Ada Lovelace');

    await b.cache.del('user:1');
    await eventually(async () => (await a.cache.get('user:1')) === undefined);
  });

  it('honours the per-entry TTL CACHE_MANAGER gives', async () => {
    const { cache } = await node(new MemoryBus(), new MemoryStore());
    await cache.set('short', 'lived', 1);
    await eventually(async () => (await cache.get('short')) === undefined);
  });
});
