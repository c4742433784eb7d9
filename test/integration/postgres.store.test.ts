import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FenceRejectedError, SerializationError } from '../../lib/index.js';
import { postgresTestRun } from '../helpers/postgres-test-run.js';
import { skipUnless } from '../helpers/services.js';
import { SqlStatementCounter, sqlKind } from '../helpers/sql-statement-counter.js';
import { PgKvStore } from '../helpers/store-adapters/pg-kv.store.js';
import { User } from '../helpers/store-adapters/user.entity.js';
import { UserStore } from '../helpers/store-adapters/user.store.js';
import { storeContract } from '../../lib/testing/store.contract.js';

const skip = await skipUnless('postgres');
const run = postgresTestRun('store');

/** A fresh PgKvStore on its own table. */
async function kvStore(): Promise<PgKvStore> {
  const store = new PgKvStore(run.pool(), run.freshTable());
  await store.createTable();
  return store;
}

storeContract('PgKvStore (plain pg, docs/store.md)', kvStore, { skip, fencing: true });

describe('PgKvStore on PostgreSQL', { skip }, () => {
  it('keeps a tombstone per deleted key until purgeTombstones finds it older than 24 hours', async () => {
    const table = run.freshTable();
    const store = new PgKvStore(run.pool(), table);
    await store.createTable();
    await store.set('a', 1, { fence: 5n });
    await store.delete('a', { fence: 6n });
    await store.delete('b');
    assert.equal(await store.purgeTombstones(), 0);
    await assert.rejects(store.set('a', 'stale', { fence: 5n }), FenceRejectedError);
    // Age the tombstones by hand: the table is this test's own.
    await run.pool().query(`UPDATE "${table}" SET deleted_at = now() - interval '25 hours' WHERE deleted_at IS NOT NULL`);
    await store.set('a', 'fresh start', { fence: 1n }); // an expired tombstone no longer fences
    assert.equal(await store.get('a'), 'fresh start');
    assert.equal(await store.purgeTombstones(), 1); // "b"; "a" is live again
    assert.deepEqual((await run.pool().query(`SELECT key FROM "${table}" ORDER BY key`)).rows, [{ key: 'a' }]);
  });

  it('refuses what JSON cannot round-trip, writing nothing', async () => {
    const store = await kvStore();
    await assert.rejects(store.set('k', { price: Number.NaN }), (error: unknown) => error instanceof SerializationError && /\$\.price is NaN/.test(error.message));
    assert.equal(await store.get('k'), undefined);
  });

  it('reads with SELECTs and writes with one INSERT each, fenced or not', async () => {
    const store = await kvStore();
    const sql = new SqlStatementCounter();
    const unwatch = sql.watch(run.pool());
    try {
      await store.set('k', 1);
      await store.set('k', 2, { fence: 1n });
      await store.delete('k', { fence: 1n });
      assert.deepEqual(sql.counts, { SELECT: 0, INSERT: 3, UPDATE: 0, DELETE: 0, OTHER: 0 });
      sql.reset();
      await store.get('k');
      await store.getMany(['k', 'j']);
      await store.keys('k');
      assert.deepEqual(sql.counts, { SELECT: 3, INSERT: 0, UPDATE: 0, DELETE: 0, OTHER: 0 });
      assert.equal(sql.writes, 0);
    } finally {
      unwatch();
    }
  });
});

describe('UserStore (TypeORM entity adapter, docs/store.md)', { skip }, () => {
  async function setUp() {
    const sql = new SqlStatementCounter();
    const source = await run.dataSource({ entities: [User], logger: sql });
    sql.reset(); // the schema set-up
    return { store: new UserStore(source.getRepository(User)), sql };
  }

  it('maps user:<id> keys to rows: read, upsert, delete, list', async () => {
    const { store } = await setUp();
    assert.equal(await store.get('user:1'), undefined);
    await store.set('user:1', { id: 1, name: 'Ada', email: 'ada@example.com' });
    await store.set('user:2', { id: 2, name: 'Alan', email: 'alan@example.com' });
    await store.set('user:1', { id: 1, name: 'Ada L.', email: 'ada@example.com' });
    assert.deepEqual({ ...(await store.get('user:1')) }, { id: 1, name: 'Ada L.', email: 'ada@example.com' });
    assert.deepEqual((await store.keys('user:')).sort(), ['user:1', 'user:2']);
    assert.deepEqual(await store.keys('user:2'), ['user:2']);
    assert.deepEqual(await store.keys('order:'), []);
    await store.delete('user:2');
    await store.delete('user:2');
    assert.equal(await store.get('user:2'), undefined);
    assert.deepEqual(await store.keys(), ['user:1']);
  });

  it('takes the id from the key, whatever the value says', async () => {
    const { store } = await setUp();
    await store.set('user:7', { id: 99, name: 'Grace', email: 'grace@example.com' });
    assert.equal((await store.get('user:7'))?.name, 'Grace');
    assert.equal(await store.get('user:99'), undefined);
  });

  it('reads with one SELECT and writes with one INSERT (an upsert), counted through the TypeORM logger', async () => {
    const { store, sql } = await setUp();
    await store.set('user:1', { id: 1, name: 'Ada', email: 'ada@example.com' });
    await store.set('user:1', { id: 1, name: 'Ada L.', email: 'ada@example.com' });
    assert.deepEqual(sql.counts, { SELECT: 0, INSERT: 2, UPDATE: 0, DELETE: 0, OTHER: 0 });
    sql.reset();
    await store.get('user:1');
    assert.deepEqual(sql.counts, { SELECT: 1, INSERT: 0, UPDATE: 0, DELETE: 0, OTHER: 0 });
  });
});

describe('sqlKind', () => {
  it('classifies statements by what they do', () => {
    const cases: Array<[string, string]> = [
      ['SELECT 1', 'SELECT'],
      ['  select * from t', 'SELECT'],
      ['/* hint */ -- note\n INSERT INTO t VALUES (1) ON CONFLICT (k) DO UPDATE SET v = 1', 'INSERT'],
      ['UPDATE t SET v = 1', 'UPDATE'],
      ['DELETE FROM t', 'DELETE'],
      ['WITH x AS (SELECT 1) SELECT * FROM x', 'SELECT'],
      ['WITH moved AS (DELETE FROM t RETURNING *) INSERT INTO u SELECT * FROM moved', 'DELETE'],
      ['START TRANSACTION', 'OTHER'],
      ['CREATE TABLE t (k text)', 'OTHER'],
    ];
    for (const [sql, kind] of cases) assert.equal(sqlKind(sql), kind, sql);
  });
});
