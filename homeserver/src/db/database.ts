import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import ClientPGLite from 'knex-pglite';
import pg from 'pg';

export type { Knex };
export type DatabaseKind = 'postgres' | 'pglite';

export interface Database {
  readonly db: Knex;
  readonly kind: DatabaseKind;
  close(): Promise<void>;
}

// BIGINT columns hold timestamps and stream positions, all below 2^53: numbers, not strings,
// so code and tests see the same types on PostgreSQL and on PGlite.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface DatabaseOptions {
  /** postgres:// URL; without one, PGlite keeps the database in `embeddedDir`. */
  url?: string | undefined;
  embeddedDir?: string;
  poolMax?: number;
}

export function openDatabase(options: DatabaseOptions): Database {
  if (options.url) {
    const db = knex({
      client: 'pg',
      connection: { connectionString: options.url, application_name: 'hearth' },
      pool: { min: 0, max: options.poolMax ?? 10 },
      acquireConnectionTimeout: 30_000,
    });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  if (!options.embeddedDir) throw new Error('openDatabase: a URL or an embedded directory is needed');
  const dir = options.embeddedDir === 'memory://' ? 'memory://' : path.resolve(options.embeddedDir);
  if (dir !== 'memory://') mkdirSync(dir, { recursive: true });
  // PGlite is one connection in this process; knex-pglite fixes the pool at one.
  const db = knex({ client: ClientPGLite, connection: { filename: dir } as Knex.StaticConnectionConfig });
  return { db, kind: 'pglite', close: () => db.destroy() };
}
