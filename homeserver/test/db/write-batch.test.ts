import test, { type ExecutionContext } from 'ava';
import type { Knex } from 'knex';
import { insertSql, sqlLiteral } from '../../src/db/sql-literal.js';
import { WriteBatch } from '../../src/db/write-batch.js';
import { isUniqueViolation } from '../../src/db/errors.js';
import { createTestDatabase, postgresServerUrl } from '../helpers/database.js';

const AWKWARD = [`it's`, 'back\\slash', 'what? ?? \\? \\\\?', '$1 :x ::text', `'); DROP TABLE probe; --`, "E'\\x41'", 'ünï 🎭 \u2028', 'a\nb\tc\r', ''];

/** A fresh database of `kind` holding an empty `probe` table, dropped when the test ends; undefined without PostgreSQL. */
async function probeDatabase(t: ExecutionContext, kind: 'postgres' | 'pglite'): Promise<Knex | undefined> {
  if (kind === 'postgres' && !(await postgresServerUrl())) return undefined;
  const tdb = await createTestDatabase(kind);
  const { db, close } = tdb.open();
  t.teardown(async () => {
    await close();
    await tdb.drop();
  });
  await db.schema.createTable('probe', (c) => {
    c.integer('n').primary();
    c.text('s');
    c.boolean('b');
    c.bigInteger('big');
  });
  return db;
}

for (const kind of ['postgres', 'pglite'] as const) {
  test(`write batch on ${kind}: values come back exactly, and a failing statement undoes the whole batch`, async (t) => {
    const db = await probeDatabase(t, kind);
    if (!db) return t.pass('no PostgreSQL here');
    const rows = AWKWARD.map((s, n) => [n, s, n % 2 === 0, 2 ** 53 - 1 - n]);
    await new WriteBatch().add(insertSql('probe', ['n', 's', 'b', 'big'], rows), db('probe').insert({ n: 100, s: 'from a builder: ?', b: null, big: null })).commit(db);
    const back = (await db('probe').select('n', 's', 'b', 'big').orderBy('n')) as Array<{ n: number; s: string; b: boolean | null; big: number | string | null }>;
    t.deepEqual(
      back.slice(0, AWKWARD.length).map((r) => [r.n, r.s, r.b, Number(r.big)]),
      rows,
    );
    t.deepEqual(back[AWKWARD.length], { n: 100, s: 'from a builder: ?', b: null, big: null });

    // The second insert repeats a key: the first (and the update) must not stay either.
    const failing = new WriteBatch().add(insertSql('probe', ['n', 's'], [[200, 'new']]), `UPDATE probe SET s = 'changed' WHERE n = 0`, insertSql('probe', ['n', 's'], [[1, 'again']]));
    await t.throwsAsync(() => failing.commit(db));
    t.is(await db('probe').where('n', 200).first(), undefined);
    t.is(((await db('probe').where('n', 0).first()) as { s: string }).s, AWKWARD[0]!);

    // Inside a transaction the caller holds, the batch is part of it.
    await t.throwsAsync(() =>
      db.transaction(async (trx) => {
        await new WriteBatch().add(insertSql('probe', ['n', 's'], [[300, 'in trx']])).runIn(trx);
        t.truthy(await trx('probe').where('n', 300).first());
        throw new Error('roll back');
      }),
    );
    t.is(await db('probe').where('n', 300).first(), undefined);
  });
}

for (const kind of ['postgres', 'pglite'] as const) {
  test(`write batch on ${kind}: a read at its end answers what the batch wrote; a repeated key is a unique violation naming its constraint`, async (t) => {
    const db = await probeDatabase(t, kind);
    if (!db) return t.pass('no PostgreSQL here');
    const one = await new WriteBatch().add(insertSql('probe', ['n', 's', 'b'], [[1, 'one', true]]), `SELECT n, s, b FROM probe WHERE n = 1`).commitReading<{ n: number; s: string; b: boolean }>(db);
    t.deepEqual(one.map((r) => [Number(r.n), r.s, r.b]), [[1, 'one', true]]);
    // A single statement answers one result, not a list: its rows come back all the same.
    t.is((await new WriteBatch().add('SELECT n FROM probe').commitReading(db)).length, 1);
    t.deepEqual(await new WriteBatch().commitReading(db), []);

    const err = await t.throwsAsync(() => new WriteBatch().add(insertSql('probe', ['n', 's'], [[2, 'two']]), insertSql('probe', ['n', 's'], [[1, 'again']])).commitReading(db));
    t.true(isUniqueViolation(err, 'probe_pkey'));
    t.false(isUniqueViolation(err, 'another_key'));
    t.false(isUniqueViolation(new Error('no'), 'probe_pkey'));
    t.is(await db('probe').where('n', 2).first(), undefined);
  });
}

test('sql literals: quotes doubled, backslashes in E strings, no NUL, finite numbers only', (t) => {
  t.is(sqlLiteral(`it's`), `'it''s'`);
  t.is(sqlLiteral('a\\b'), `E'a\\\\b'`);
  t.is(sqlLiteral(null), 'NULL');
  t.is(sqlLiteral(undefined), 'NULL');
  t.is(sqlLiteral(true), 'TRUE');
  t.is(sqlLiteral(-12), '-12');
  t.throws(() => sqlLiteral(Number.NaN));
  t.throws(() => sqlLiteral('nul\u0000'));
});
