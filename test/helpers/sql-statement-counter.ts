import type { Logger } from 'typeorm';

/** What a SQL statement does, by its leading keyword. */
export type SqlKind = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE' | 'OTHER';

const LEADING = /^\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*([a-z]+)/i;
const WRITES = /\b(INSERT|UPDATE|DELETE)\b/i;

/**
 * The kind of `sql`: its first keyword after comments. A `WITH` statement counts as the first
 * write it contains (a data-modifying CTE is a write), else as a `SELECT`. `INSERT ... ON
 * CONFLICT DO UPDATE` (an upsert) is an `INSERT`. Transaction control, DDL, `SET`... are `OTHER`.
 */
export function sqlKind(sql: string): SqlKind {
  const keyword = LEADING.exec(sql)?.[1]?.toUpperCase();
  if (keyword === 'WITH') return (WRITES.exec(sql)?.[1]?.toUpperCase() as SqlKind | undefined) ?? 'SELECT';
  return keyword === 'SELECT' || keyword === 'INSERT' || keyword === 'UPDATE' || keyword === 'DELETE' ? keyword : 'OTHER';
}

/** Something that runs SQL through a `query(text | { text }, ...)` method: a `pg` `Pool` or `Client`. */
export interface Queryable {
  query(...args: any[]): any;
}

/**
 * Counts the SQL statements an application sends, by kind: pass it as a TypeORM data source's
 * `logger` (TypeORM reports every query to its logger, whatever `logging` says), or `watch` a
 * `pg` pool. For tests such as "decorated reads issue SELECTs only".
 *
 * @example
 * const sql = new SqlStatementCounter();
 * const source = await run.dataSource({ entities: [User], logger: sql });
 * sql.reset();                       // forget the schema set-up
 * await service.findUser(1); await service.findUser(1);
 * assert.deepEqual(sql.counts, { SELECT: 1, INSERT: 0, UPDATE: 0, DELETE: 0, OTHER: 0 });
 */
export class SqlStatementCounter implements Logger {
  /** Every statement seen since the last `reset`, in order. */
  readonly statements: Array<{ kind: SqlKind; sql: string }> = [];

  /** Statements per kind since the last `reset`. */
  get counts(): Record<SqlKind, number> {
    const counts: Record<SqlKind, number> = { SELECT: 0, INSERT: 0, UPDATE: 0, DELETE: 0, OTHER: 0 };
    for (const { kind } of this.statements) counts[kind]++;
    return counts;
  }

  /** `INSERT`s, `UPDATE`s and `DELETE`s since the last `reset`. */
  get writes(): number {
    const { INSERT, UPDATE, DELETE } = this.counts;
    return INSERT + UPDATE + DELETE;
  }

  record(sql: string): void {
    this.statements.push({ kind: sqlKind(sql), sql });
  }

  reset(): void {
    this.statements.length = 0;
  }

  /** Counts every statement sent through `queryable.query` until the returned function is called. */
  watch(queryable: Queryable): () => void {
    const original = queryable.query;
    queryable.query = (...args: any[]) => {
      const [first] = args;
      this.record(typeof first === 'string' ? first : String(first?.text ?? ''));
      return original.apply(queryable, args);
    };
    return () => {
      queryable.query = original;
    };
  }

  // TypeORM's Logger: queries are counted; the rest is ignored.
  logQuery(query: string): void {
    this.record(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}
