import test from 'ava';
import { migrate, type Migration } from '../../src/db/migrations.js';
import { allMigrations } from '../../src/db/schema.js';
import { createTestDatabase, postgresServerUrl } from '../helpers/database.js';

/**
 * The same schema steps and the same queries must behave the same on PostgreSQL and on PGlite: the
 * embedded database is what `npm start` uses, PostgreSQL is what operators and CI use.
 */
const probe: Migration = {
  name: 'test/001_probe',
  async up(db) {
    await db.schema.createTable('portability_probe', (t) => {
      t.bigIncrements('stream_ordering').primary();
      t.text('room_id').notNullable();
      t.bigInteger('ts').notNullable();
      t.jsonb('content').notNullable();
      t.boolean('flag').notNullable().defaultTo(false);
      t.unique(['room_id', 'ts']);
    });
  },
};

async function exercise(kind: 'postgres' | 'pglite') {
  const tdb = await createTestDatabase(kind);
  const { db, close } = tdb.open();
  try {
    const steps = [...allMigrations(), probe];
    const applied = await migrate(db, steps);
    const again = await migrate(db, steps);
    const big = 2 ** 53 - 1;
    await db('portability_probe').insert([
      { room_id: '!a:hs', ts: big, content: JSON.stringify({ body: 'héllo 😀', n: [1, { x: null }] }) },
      { room_id: '!b:hs', ts: 2, content: JSON.stringify({}) },
    ]);
    // Upsert: the second write of (room, ts) updates instead of failing.
    await db('portability_probe')
      .insert({ room_id: '!b:hs', ts: 2, content: JSON.stringify({ v: 2 }), flag: true })
      .onConflict(['room_id', 'ts'])
      .merge(['content', 'flag']);
    // A failed transaction leaves nothing behind.
    await db
      .transaction(async (trx) => {
        await trx('portability_probe').insert({ room_id: '!c:hs', ts: 3, content: '{}' });
        throw new Error('roll back');
      })
      .catch(() => undefined);
    const rows = await db('portability_probe').select('stream_ordering', 'room_id', 'ts', 'content', 'flag').orderBy('stream_ordering');
    const max = await db('portability_probe').max({ m: 'stream_ordering' }).first();
    const json = await db('portability_probe').whereRaw(`content->>'v' = ?`, ['2']).select('room_id');
    const keys = await db('federation_remote_server_keys').insert({
      server_name: 'other.test', key_id: 'ed25519:a', public_key: 'k', valid_until_ts: big, fetched_at: 1, key_json: JSON.stringify({ a: 1 }),
    }).returning(['server_name', 'valid_until_ts']);
    return { applied, again, rows, max, json, keys };
  } finally {
    await close();
    await tdb.drop();
  }
}

test('the same migrations and queries give the same results on PostgreSQL and PGlite', async (t) => {
  if (!(await postgresServerUrl())) {
    t.log('PostgreSQL is not reachable here: PGlite only');
  }
  const lite = await exercise('pglite');
  t.true(lite.applied.includes('test/001_probe'));
  t.true(lite.applied.includes('federation/001_remote_server_keys'));
  t.deepEqual(lite.again, []);
  t.deepEqual(lite.rows, [
    { stream_ordering: 1, room_id: '!a:hs', ts: 2 ** 53 - 1, content: { body: 'héllo 😀', n: [1, { x: null }] }, flag: false },
    { stream_ordering: 2, room_id: '!b:hs', ts: 2, content: { v: 2 }, flag: true },
  ]);
  t.deepEqual(lite.json, [{ room_id: '!b:hs' }]);
  t.deepEqual(lite.keys, [{ server_name: 'other.test', valid_until_ts: 2 ** 53 - 1 }]);
  if (await postgresServerUrl()) {
    const pg = await exercise('postgres');
    t.deepEqual(pg, lite);
  }
});
