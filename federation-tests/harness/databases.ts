import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import pg from 'pg';

/**
 * One PostgreSQL database per server per run, on the server the homeserver tests use (found by
 * homeserver/test/helpers/database.ts). Without one, the servers use their embedded PGlite
 * database (in their data folder).
 */

/** Our databases are named `<prefix><unix seconds>_<random>_<label>`. */
const PREFIX = 'hearth_fedtest_';
/** A database this old belongs to a run that died without cleaning up (no run lasts an hour). */
const STALE_AFTER_S = 3600;

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function withAdmin<T>(serverUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface RunDatabase {
  readonly name: string;
  /** What the homeserver's `database.url` gets. */
  readonly url: string;
  drop(): Promise<void>;
  /** The same, blocking: for process-exit handlers, where nothing asynchronous runs any more. */
  dropSync(): void;
}

/** Drops databases left behind by runs that died (older than an hour), then makes fresh ones. */
export async function createDatabases(serverUrl: string, labels: readonly string[]): Promise<RunDatabase[]> {
  const now = Math.floor(Date.now() / 1000);
  const run = `${PREFIX}${now}_${randomBytes(3).toString('hex')}`;
  const names = labels.map((l) => `${run}_${l.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`);
  await withAdmin(serverUrl, async (c) => {
    const existing = await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${PREFIX}%`]);
    for (const { datname } of existing.rows) {
      const created = Number(/^hearth_fedtest_(\d+)_/.exec(datname)?.[1]);
      if (Number.isFinite(created) && now - created > STALE_AFTER_S) {
        await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => undefined);
      }
    }
    for (const name of names) await c.query(`CREATE DATABASE "${name}"`);
  });
  return names.map((name) => ({
    name,
    url: withDatabase(serverUrl, name),
    drop: () => withAdmin(serverUrl, async (c) => void (await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))),
    dropSync: () => dropSync(serverUrl, name),
  }));
}

const pgPath = createRequire(import.meta.url).resolve('pg');

function dropSync(serverUrl: string, name: string): void {
  const script = `
    const pg = require(${JSON.stringify(pgPath)});
    const c = new pg.Client({ connectionString: process.env.ADMIN_URL });
    c.connect()
      .then(() => c.query('DROP DATABASE IF EXISTS "' + process.env.DB_NAME + '" WITH (FORCE)'))
      .catch(() => undefined)
      .finally(() => c.end().catch(() => undefined));`;
  spawnSync(process.execPath, ['-e', script], { env: { ...process.env, ADMIN_URL: serverUrl, DB_NAME: name }, stdio: 'ignore', timeout: 10_000 });
}
