import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Inject, Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { DataSource, Repository } from 'typeorm';
import { MemoryStore, Mode, WarpEvict, WarpKey, WarpModule, WarpPut } from '../../lib/index.js';
import { postgresTestRun } from '../helpers/postgres-test-run.js';
import { skipUnless } from '../helpers/services.js';
import { SqlStatementCounter } from '../helpers/sql-statement-counter.js';
import { User } from '../helpers/store-adapters/user.entity.js';
import { UserStore } from '../helpers/store-adapters/user.store.js';

const skip = await skipUnless('postgres');
const USERS = Symbol('USERS');

/** The README's cache-aside service over a real table: the methods persist, Warp only caches. */
@Injectable()
class UserService {
  constructor(@Inject(USERS) private readonly users: Repository<User>) {}

  @WarpKey('user:{0}', Mode.EventualDistributed, { ttl: 60_000 })
  findById(id: number): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  @WarpPut('user:{0.id}')
  save(user: User): Promise<User> {
    return this.users.save(user);
  }

  @WarpEvict('user:{0}')
  async remove(id: number): Promise<void> {
    await this.users.delete({ id });
  }
}

// Warp's own default store, and the TypeORM Store adapter of docs/store.md over the same table (where
// a read that went through `set` ran `INSERT ... VALUES ($1, DEFAULT, ...)`).
for (const storeKind of ['memory', 'typeorm'] as const) describe(`decorated reads over a real PostgreSQL table (Warp store: ${storeKind})`, { skip }, () => {
  const run = postgresTestRun(`decorated_reads_${storeKind}`);
  const sql = new SqlStatementCounter();
  const memory = new MemoryStore();
  let source: DataSource;
  let app: INestApplicationContext;
  let service: UserService;

  before(async () => {
    source = await run.dataSource({ entities: [User], logger: sql });
    await source.getRepository(User).insert({ id: 1, name: 'Ada', email: 'ada@example.com' });

    @Module({
      imports: [WarpModule.forRoot({ store: storeKind === 'memory' ? memory : new UserStore(source.getRepository(User)) })],
      providers: [UserService, { provide: USERS, useValue: source.getRepository(User) }],
    })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });
    await app.init();
    service = app.get(UserService);
  });

  after(() => app?.close());

  it('issues SELECTs only for present and missing rows, and caches only what exists', async () => {
    sql.reset();
    assert.equal((await service.findById(1))?.name, 'Ada');
    assert.equal((await service.findById(1))?.name, 'Ada'); // from the cache
    assert.equal(await service.findById(42), null); // a missing row: no junk row, nothing cached
    assert.equal(await service.findById(42), null);
    assert.deepEqual(sql.counts, { SELECT: 3, INSERT: 0, UPDATE: 0, DELETE: 0, OTHER: 0 }, sql.statements.map((s) => s.sql).join('\n'));
    assert.equal(await source.getRepository(User).countBy({ id: 42 }), 0);
    // A read path never grows Warp's own store either.
    assert.equal(memory.size, 0);
  });

  it('caches what @WarpPut saved and drops what @WarpEvict deleted, the methods doing the SQL', async () => {
    await service.save(Object.assign(new User(), { id: 1, name: 'Ada Lovelace', email: 'ada@example.com' }));
    sql.reset();
    assert.equal((await service.findById(1))?.name, 'Ada Lovelace');
    assert.equal(sql.statements.length, 0); // the put cached the saved row
    await service.remove(1);
    sql.reset();
    assert.equal(await service.findById(1), null);
    assert.deepEqual(sql.counts, { SELECT: 1, INSERT: 0, UPDATE: 0, DELETE: 0, OTHER: 0 });
    assert.equal(memory.size, 0);
  });
});
