import { generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import pg from 'pg';
import { createScratchDatabase } from './database.js';

/**
 * The machine's limit for anything that commits once per request: single-row INSERTs, each its
 * own transaction, one after another on one connection, into a fresh database of the same
 * PostgreSQL server (so with its fsync and synchronous_commit settings). Commits per second.
 */
export async function rawPgCommitRate(seconds = 2): Promise<number> {
  const db = await createScratchDatabase('hearth_bench_raw');
  const c = new pg.Client({ connectionString: db.url });
  try {
    await c.connect();
    await c.query('CREATE TABLE t (id bigserial PRIMARY KEY, body text NOT NULL)');
    const row = 'x'.repeat(200);
    let n = 0;
    const start = performance.now();
    const end = start + seconds * 1000;
    while (performance.now() < end) {
      await c.query('INSERT INTO t (body) VALUES ($1)', [row]);
      n++;
    }
    return n / ((performance.now() - start) / 1000);
  } finally {
    await c.end().catch(() => undefined);
    await db.drop();
  }
}

/**
 * The machine's limit for checking signed events: Ed25519 verifications per second with
 * node:crypto on one thread (the key object made once), over `message` (an event's signed bytes).
 */
export function rawEd25519VerifyRate(message: Uint8Array, seconds = 1): number {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const signature = cryptoSign(null, message, privateKey);
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) if (!cryptoVerify(null, message, publicKey, signature)) throw new Error('the baseline signature does not verify');
    n += 100;
  }
  return n / ((performance.now() - start) / 1000);
}

/**
 * The machine's limit for storing a room's worth of events at once: rows per second into a bare
 * (event_id primary key, room_id, json) table, 1,000 rows per INSERT … unnest, all in one
 * transaction, in a fresh database of the same PostgreSQL server. `json` is each row's body.
 */
export async function rawPgBulkInsertRate(bodies: readonly string[]): Promise<number> {
  const db = await createScratchDatabase('hearth_bench_raw');
  const c = new pg.Client({ connectionString: db.url });
  try {
    await c.connect();
    await c.query('CREATE TABLE events (event_id text PRIMARY KEY, room_id text NOT NULL, json text NOT NULL)');
    const start = performance.now();
    await c.query('BEGIN');
    for (let i = 0; i < bodies.length; i += 1000) {
      const chunk = bodies.slice(i, i + 1000);
      await c.query('INSERT INTO events SELECT * FROM unnest($1::text[], $2::text[], $3::text[])', [
        chunk.map((_, j) => `$raw${i + j}`),
        chunk.map(() => '!raw:bench.test'),
        chunk,
      ]);
    }
    await c.query('COMMIT');
    return bodies.length / ((performance.now() - start) / 1000);
  } finally {
    await c.end().catch(() => undefined);
    await db.drop();
  }
}
