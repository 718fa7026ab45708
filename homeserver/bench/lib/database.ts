import { randomBytes } from 'node:crypto';
import pg from 'pg';

const DEFAULT_PG = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The PostgreSQL server the bench creates its databases on. */
export const adminDatabaseUrl = (): string => process.env.BENCH_DATABASE_URL ?? DEFAULT_PG;

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function asAdmin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminDatabaseUrl() });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A fresh, empty database on the bench's PostgreSQL server, dropped (even if in use) by `drop`. */
export async function createScratchDatabase(prefix = 'hearth_bench'): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await asAdmin(`CREATE DATABASE ${name}`);
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => asAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export interface TableSize {
  table: string;
  /** Heap, indexes and TOAST together. */
  bytes: number;
  heap: number;
  indexes: number;
  /** Statistics' row counts (estimates, updated shortly after writes). */
  liveRows: number;
  deadRows: number;
}

/** Bytes on disk of every table of the public schema, with its indexes and TOAST, largest first. */
export async function tableSizes(databaseUrl: string): Promise<TableSize[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<Record<string, string>>(
      `SELECT c.relname AS table, pg_total_relation_size(c.oid) AS bytes, pg_relation_size(c.oid) AS heap,
              pg_indexes_size(c.oid) AS indexes, coalesce(s.n_live_tup, 0) AS live, coalesce(s.n_dead_tup, 0) AS dead
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'm')
        ORDER BY 2 DESC`,
    );
    return rows.map((r) => ({ table: r.table!, bytes: Number(r.bytes), heap: Number(r.heap), indexes: Number(r.indexes), liveRows: Number(r.live), deadRows: Number(r.dead) }));
  } finally {
    await c.end();
  }
}
