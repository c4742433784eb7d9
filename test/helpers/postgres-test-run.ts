import { randomUUID } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { POSTGRES } from './services.js';

/** The PostgreSQL side of one test file: unique table names, and pools and data sources closed and tables dropped after it. */
export interface PostgresTestRun {
  /** `warp_test_<name>_<hex>_`: every table the file creates starts with it. */
  readonly prefix: string;
  /** A shared pool, opened on first use. */
  pool(): pg.Pool;
  /** A table name unique to one test, under the run's prefix (dropped after the file). */
  freshTable(): string;
  /**
   * An initialised TypeORM data source whose tables are created for `entities` under a fresh
   * prefix (TypeORM's `entityPrefix`); destroyed and its tables dropped after the file.
   */
  dataSource(options: Omit<Partial<DataSourceOptions>, 'type'> & { entities: Array<new () => object> }): Promise<DataSource>;
}

/**
 * Sets up a test file's PostgreSQL usage (database `test`): every table it creates has a name
 * unique to the run, and an `after` hook at the file's root drops them and closes every
 * connection, so suites sharing the database are not disturbed. Connects only when asked.
 */
export function postgresTestRun(name: string): PostgresTestRun {
  const prefix = `warp_test_${name}_${randomUUID().replaceAll('-', '').slice(0, 12)}_`;
  const sources: DataSource[] = [];
  let shared: pg.Pool | undefined;
  const pool = (): pg.Pool => (shared ??= new pg.Pool({ ...POSTGRES, max: 4 }));
  after(async () => {
    await Promise.all(sources.map((source) => (source.isInitialized ? source.destroy() : undefined)));
    if (shared === undefined && sources.length === 0) return;
    const admin = pool();
    const { rows } = await admin.query<{ name: string }>(
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND starts_with(tablename, $1)`,
      [prefix],
    );
    for (const { name: table } of rows) await admin.query(`DROP TABLE IF EXISTS ${pg.escapeIdentifier(table)} CASCADE`);
    await admin.end();
  });
  return {
    prefix,
    pool,
    freshTable: () => `${prefix}${randomUUID().replaceAll('-', '').slice(0, 12)}`,
    async dataSource(options) {
      const source = new DataSource({
        type: 'postgres',
        host: POSTGRES.host,
        port: POSTGRES.port,
        username: POSTGRES.user, // TypeORM's name for it
        database: POSTGRES.database,
        entityPrefix: `${prefix}${randomUUID().replaceAll('-', '').slice(0, 8)}_`,
        synchronize: true,
        ...options,
      } as DataSourceOptions);
      sources.push(source);
      return source.initialize();
    },
  };
}
