import pg from 'pg';
import { FenceRejectedError, JsonCodec, type WarpStore, type StoreWrite } from '../../../lib/index.js';

/** The fence a row holds: a deleted key's tombstone keeps it for 24 hours (as Warp's own stores do). */
const ACCEPTED_FENCE = `CASE WHEN t.deleted_at IS NULL OR t.deleted_at > now() - interval '24 hours' THEN t.fence END`;

/**
 * Any key, any JSON value, in one PostgreSQL table (plain `pg`). Fenced writes are refused in
 * the same statement that would write: a row keeps the highest fence it accepted, and a delete
 * leaves a tombstone row (`value` NULL) holding its fence.
 */
export class PgKvStore implements WarpStore {
  private readonly table: string;
  private readonly tombstoneIndex: string;
  // Warp's JSON codec refuses what JSON would store as something else (NaN, Map...).
  private readonly codec = new JsonCodec();

  constructor(
    private readonly pool: pg.Pool,
    table = 'warp_kv',
  ) {
    this.table = pg.escapeIdentifier(table);
    this.tombstoneIndex = pg.escapeIdentifier(`${table}_tombstones`);
  }

  /** Creates the table (and the index that finds expired tombstones) if missing. */
  async createTable(): Promise<void> {
    await this.pool.query(
      `CREATE TABLE IF NOT EXISTS ${this.table} (key text PRIMARY KEY, value jsonb, fence bigint, deleted_at timestamptz)`,
    );
    await this.pool.query(
      `CREATE INDEX IF NOT EXISTS ${this.tombstoneIndex} ON ${this.table} (deleted_at) WHERE deleted_at IS NOT NULL`,
    );
  }

  async get(key: string): Promise<unknown> {
    const { rows } = await this.pool.query(`SELECT value FROM ${this.table} WHERE key = $1 AND deleted_at IS NULL`, [key]);
    return rows[0]?.value;
  }

  /** Upsert, unless `write.fence` is below the row's fence: then nothing changes. */
  async set(key: string, value: unknown, write?: StoreWrite): Promise<void> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO ${this.table} AS t (key, value, fence) VALUES ($1, $2::jsonb, $3)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, deleted_at = NULL,
         fence = COALESCE(EXCLUDED.fence, ${ACCEPTED_FENCE})
       WHERE EXCLUDED.fence IS NULL OR ${ACCEPTED_FENCE} IS NULL OR ${ACCEPTED_FENCE} <= EXCLUDED.fence`,
      [key, this.codec.encode(value), write?.fence?.toString() ?? null],
    );
    if (rowCount === 0) await this.refuse(key, write!.fence!);
  }

  /** Leaves a tombstone (the row, without value), unless `write.fence` is below the row's fence. */
  async delete(key: string, write?: StoreWrite): Promise<void> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO ${this.table} AS t (key, value, fence, deleted_at) VALUES ($1, NULL, $2, now())
       ON CONFLICT (key) DO UPDATE SET value = NULL, deleted_at = now(),
         fence = COALESCE(EXCLUDED.fence, ${ACCEPTED_FENCE})
       WHERE EXCLUDED.fence IS NULL OR ${ACCEPTED_FENCE} IS NULL OR ${ACCEPTED_FENCE} <= EXCLUDED.fence`,
      [key, write?.fence?.toString() ?? null],
    );
    if (rowCount === 0) await this.refuse(key, write!.fence!);
  }

  async keys(prefix = ''): Promise<string[]> {
    const { rows } = await this.pool.query(
      `SELECT key FROM ${this.table} WHERE deleted_at IS NULL AND starts_with(key, $1)`,
      [prefix],
    );
    return rows.map((row) => row.key);
  }

  /** One query for many misses; keeps the order of `keys`. */
  async getMany(keys: readonly string[]): Promise<unknown[]> {
    const { rows } = await this.pool.query(
      `SELECT key, value FROM ${this.table} WHERE key = ANY($1) AND deleted_at IS NULL`,
      [keys],
    );
    const byKey = new Map(rows.map((row) => [row.key, row.value]));
    return keys.map((key) => byKey.get(key));
  }

  /** Deletes tombstones older than 24 hours: run it now and then (e.g. a daily `@Cron`). */
  async purgeTombstones(): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM ${this.table} WHERE deleted_at < now() - interval '24 hours'`,
    );
    return rowCount ?? 0;
  }

  private async refuse(key: string, fence: bigint): Promise<never> {
    const { rows } = await this.pool.query(`SELECT ${ACCEPTED_FENCE} AS fence FROM ${this.table} t WHERE key = $1`, [key]);
    // A write racing this read may have moved the fence since; report what the table says now.
    throw new FenceRejectedError(key, fence, BigInt(rows[0]?.fence ?? fence));
  }
}
