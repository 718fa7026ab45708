import test from 'ava';
import { openDatabase } from '../../src/db/database.js';
import type { ConnectionActivity } from '../../src/db/pool-diagnosis.js';
import { createTestDatabase, postgresServerUrl } from '../helpers/database.js';

test('a query that waits in vain for a connection fails, and the report says what the held connection is doing', async (t) => {
  if (!(await postgresServerUrl())) {
    t.pass('PostgreSQL is not reachable; PGlite has one connection and no pool to starve');
    return;
  }
  const tdb = await createTestDatabase('postgres');
  const warnings: string[] = [];
  let reported: (a: ConnectionActivity[]) => void = () => undefined;
  const report = new Promise<ConnectionActivity[]>((resolve) => (reported = resolve));
  const { db, close } = openDatabase({ url: tdb.url!, poolMax: 1, acquireTimeoutMs: 300, warn: (m) => warnings.push(m), onPoolStarved: (a) => reported(a) });
  t.teardown(async () => {
    await close();
    await tdb.drop();
  });

  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const transaction = db.transaction(async (trx) => {
    await trx.raw('SELECT 41 AS held_by_the_transaction');
    await held;
  });
  // The transaction has the only connection once its statement ran.
  while (!(await db.client.pool.numUsed())) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 50));

  const error = await t.throwsAsync(db.raw('SELECT 1'));
  t.regex(error!.message, /Timeout acquiring a connection/);
  t.true(warnings.some((w) => w.startsWith('Acquire connection error')));
  const activity = await report;
  const ours = activity.find((a) => a.query.includes('held_by_the_transaction'));
  t.truthy(ours, JSON.stringify(activity));
  t.is(ours!.state, 'idle in transaction');
  t.true((ours!.transactionMs ?? 0) >= 300);

  release();
  await transaction;
  t.is((await db.raw('SELECT 2 AS n')).rows[0].n, 2);
});
