import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.js';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

let serverUrl: Promise<string | undefined> | undefined;

async function answers(url: string, timeoutMs: number): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The PostgreSQL server tests use: TEST_DATABASE_URL, else DATABASE_URL, else the local server when
 * it answers; undefined means PGlite. HS_TEST_REQUIRE_POSTGRES=1 (set in CI) turns a silent
 * fallback into a failure.
 */
export function postgresServerUrl(): Promise<string | undefined> {
  serverUrl ??= (async () => {
    const explicit = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
    const candidate = explicit ?? DEFAULT_URL;
    const required = explicit !== undefined || process.env.HS_TEST_REQUIRE_POSTGRES === '1';
    // A loaded machine (a whole suite on 2 cores) can keep a connection waiting for seconds: a
    // server that must be there gets several patient tries before the test fails.
    for (let attempt = 0; attempt < (required ? 4 : 1); attempt++) {
      if (await answers(candidate, 5000)) return candidate;
    }
    if (required) {
      throw new Error(`PostgreSQL at ${candidate.replace(/:[^:@/]*@/, ':***@')} does not answer`);
    }
    return undefined;
  })();
  return serverUrl;
}

export interface TestDatabase {
  readonly kind: 'postgres' | 'pglite';
  /** A postgres:// URL of the fresh database, for a homeserver to connect to; undefined for PGlite. */
  readonly url: string | undefined;
  open(): Database;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A new, empty database: on PostgreSQL its own database, dropped afterwards; else in-memory PGlite. */
export async function createTestDatabase(kind?: 'postgres' | 'pglite'): Promise<TestDatabase> {
  const server = kind === 'pglite' ? undefined : await postgresServerUrl();
  if (kind === 'postgres' && !server) throw new Error('PostgreSQL is not reachable');
  if (!server) {
    return { kind: 'pglite', url: undefined, open: () => openDatabase({ embeddedDir: 'memory://' }), drop: async () => undefined };
  }
  const name = `hearth_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(server, name);
  return {
    kind: 'postgres',
    url,
    open: () => openDatabase({ url, poolMax: 5 }),
    async drop() {
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
