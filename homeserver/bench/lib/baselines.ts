import { generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import pg from 'pg';
import { createScratchDatabase } from './database.js';

/**
 * The machine's limit for anything that commits once per request: single-row INSERTs, each its
 * own transaction, one after another on one connection, into a fresh database of the same
 * PostgreSQL server (so with its fsync and synchronous_commit settings). Commits per second.
 */
export async function rawPgCommitRate(seconds = 2): Promise<number> {
  return withCommits(async (commit) => {
    let n = 0;
    const start = performance.now();
    const end = start + seconds * 1000;
    while (performance.now() < end) {
      await commit();
      n++;
    }
    return n / ((performance.now() - start) / 1000);
  });
}

/** Runs `work` with a function that commits one 200-byte row into a table of a fresh database. */
async function withCommits<T>(work: (commit: () => Promise<unknown>) => Promise<T>): Promise<T> {
  const db = await createScratchDatabase('hearth_bench_raw');
  const c = new pg.Client({ connectionString: db.url });
  try {
    await c.connect();
    await c.query('CREATE TABLE t (id bigserial PRIMARY KEY, body text NOT NULL)');
    const row = 'x'.repeat(200);
    return await work(() => c.query('INSERT INTO t (body) VALUES ($1)', [row]));
  } finally {
    await c.end().catch(() => undefined);
    await db.drop();
  }
}

/**
 * How long one commit takes on this PostgreSQL when commits come at a steady pace, as a send of
 * the fan-out bench does (one every `intervalMs`, single-row INSERTs into a fresh database): a
 * send is delivered only after its commit, so a disk that stalls shows in the delivery p99.
 */
export async function rawPgCommitLatency(seconds: number, intervalMs: number): Promise<{ p50_ms: number; p99_ms: number; max_ms: number }> {
  const took = await withCommits(async (commit) => {
    const out: number[] = [];
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      const t0 = performance.now();
      await commit();
      out.push(performance.now() - t0);
      await new Promise((res) => setTimeout(res, intervalMs));
    }
    return out.sort((x, y) => x - y);
  });
  const at = (q: number): number => Math.round(took[Math.min(took.length - 1, Math.ceil(q * took.length) - 1)]! * 100) / 100;
  return { p50_ms: at(0.5), p99_ms: at(0.99), max_ms: Math.round(took[took.length - 1]! * 100) / 100 };
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
