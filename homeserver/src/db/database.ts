import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import knex, { type Knex } from 'knex';
import ClientPGLite from 'knex-pglite';
import pg from 'pg';
import { connectionActivity, type ConnectionActivity } from './pool-diagnosis.js';

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
  /** How long a query may wait for a free connection before it fails. */
  acquireTimeoutMs?: number;
  /** Where knex's warnings go (console.warn without one). */
  warn?: (message: string) => void;
  /**
   * Told, at most every few seconds, what PostgreSQL says each of the server's connections is
   * doing when a query waited in vain for one (console.warn without it).
   */
  onPoolStarved?: (activity: ConnectionActivity[]) => void;
}

const APPLICATION_NAME = 'hearth';
/** Between two diagnoses of a starved pool: one report tells the story; a storm of them hides it. */
const DIAGNOSIS_INTERVAL_MS = 10_000;

export function openDatabase(options: DatabaseOptions): Database {
  if (options.url) {
    const url = options.url;
    const warn = options.warn ?? ((m: string) => console.warn(m));
    const report = options.onPoolStarved ?? ((a: ConnectionActivity[]) => console.warn('database pool starved; its connections:', JSON.stringify(a)));
    let lastDiagnosis = -Infinity;
    const db = knex({
      client: 'pg',
      connection: { connectionString: url, application_name: APPLICATION_NAME },
      pool: { min: 0, max: options.poolMax ?? 10 },
      acquireConnectionTimeout: options.acquireTimeoutMs ?? 30_000,
      log: {
        warn(raw: unknown) {
          const message = typeof raw === 'string' ? raw : inspect(raw);
          warn(message);
          if (!message.startsWith('Acquire connection error') || Date.now() - lastDiagnosis < DIAGNOSIS_INTERVAL_MS) return;
          lastDiagnosis = Date.now();
          connectionActivity(url, APPLICATION_NAME).then(report, (err: unknown) => warn(`database pool starved; its connections could not be listed: ${String(err)}`));
        },
      },
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
