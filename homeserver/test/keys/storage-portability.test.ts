import test from 'ava';
import type { Knex } from 'knex';
import { migrate } from '../../src/db/migrations.js';
import { allMigrations } from '../../src/db/schema.js';
import { DurableStream } from '../../src/components/keys/durable-stream.js';
import * as backup from '../../src/components/keys/storage/backup.js';
import { changesBetween, insertChanges } from '../../src/components/keys/storage/device-lists.js';
import * as otk from '../../src/components/keys/storage/one-time-keys.js';
import * as toDevice from '../../src/components/keys/storage/to-device.js';
import { createTestDatabase, postgresServerUrl } from '../helpers/database.js';

/** The keys component's hand-written SQL (lateral claims, upserts with conditions, CTE deletes) run against one database. */
async function exercise(db: Knex): Promise<Record<string, unknown>> {
  await migrate(db, allMigrations());
  const out: Record<string, unknown> = {};

  const s1 = await DurableStream.open(db, 'probe');
  const r = await s1.reserve(3);
  r.done();
  await s1.bump();
  const s2 = await DurableStream.open(db, 'probe');
  out.stream = { before: s1.current(), reopenedAbove: s2.current() > s1.current() };

  const U = '@u:hs';
  await otk.insertOneTimeKeys(db, U, 'D', [
    { algorithm: 'signed_curve25519', keyId: 'a', json: '{"key":"a"}' },
    { algorithm: 'signed_curve25519', keyId: 'b', json: '{"key":"b"}' },
  ]);
  await otk.putFallbackKeys(db, U, 'D', [{ algorithm: 'signed_curve25519', keyId: 'f', json: '{"key":"f"}' }]);
  const want = [{ userId: U, deviceId: 'D', algorithm: 'signed_curve25519' }];
  const claims = [];
  for (let i = 0; i < 3; i++) {
    const got = await otk.claimOneTimeKeys(db, want);
    claims.push(got.length > 0 ? got.map((g) => g.keyId) : (await otk.claimFallbackKeys(db, want)).map((g) => `fallback:${g.keyId}`));
  }
  out.claims = claims;
  out.countsAfterClaims = await otk.keyCounts(db, U, 'D');
  await otk.putFallbackKeys(db, U, 'D', [{ algorithm: 'signed_curve25519', keyId: 'f', json: '{"key":"f"}' }]);
  out.sameFallbackStaysUsed = await otk.keyCounts(db, U, 'D');
  await otk.putFallbackKeys(db, U, 'D', [{ algorithm: 'signed_curve25519', keyId: 'g', json: '{"key":"g"}' }]);
  out.newFallbackUnused = await otk.keyCounts(db, U, 'D');

  const msg = (streamId: number) => ({ userId: U, deviceId: 'D', streamId, sender: '@s:hs', type: 't', content: `{"i":${streamId}}` });
  await toDevice.insertMessages(db, [1, 2, 3, 4, 5].map(msg), 4);
  const first = await toDevice.messagesFor(db, U, 'D', undefined, 10, 2);
  await toDevice.recordLimit(db, U, 'D', 10, first[first.length - 1]!.streamId);
  await toDevice.acknowledge(db, U, 'D', 10);
  const rest = await toDevice.messagesFor(db, U, 'D', 10, 11, 10);
  await toDevice.acknowledge(db, U, 'D', 11);
  out.toDevice = { first: first.map((m) => m.streamId), rest: rest.map((m) => m.streamId), left: await toDevice.pendingCount(db, U, 'D') };
  out.txn = [await toDevice.claimTxn(db, U, 'D', 't', 'x', 1), await toDevice.claimTxn(db, U, 'D', 't', 'x', 2)];

  const v = await backup.insertVersion(db, U, 'alg', { public_key: 'k' });
  const put = (fmi: number, verified: boolean) => backup.putKeys(db, U, v!, [{ roomId: '!r:hs', sessionId: 's', first_message_index: fmi, forwarded_count: 0, is_verified: verified, session_data: { fmi } }]);
  out.backup = [await put(5, false), await put(7, false), await put(3, false), await put(9, true), await put(1, false)];
  out.backupKept = (await backup.getKeys(db, U, v!)).map((k) => k.session_data);
  out.touch = await backup.touchVersion(db, U, v!, 1);

  await insertChanges(db, [1, 2, 3], [
    { userId: '@a:hs', kind: 'keys', roomId: null, visibleTo: null },
    { userId: '@b:hs', kind: 'join', roomId: '!r:hs', visibleTo: null },
    { userId: '@c:hs', kind: 'keys', roomId: null, visibleTo: '@someone:hs' },
  ]);
  out.changes = (await changesBetween(db, 0, 3, U, ['!r:hs'])).map((c) => `${c.kind}:${c.userId}`).sort();
  return out;
}

async function run(kind: 'postgres' | 'pglite'): Promise<Record<string, unknown>> {
  const database = await createTestDatabase(kind);
  const { db, close } = database.open();
  try {
    return await exercise(db);
  } finally {
    await close();
    await database.drop();
  }
}

test('the keys storage SQL gives the same answers on PGlite and PostgreSQL', async (t) => {
  const lite = await run('pglite');
  t.deepEqual(lite.claims, [['a'], ['b'], ['fallback:f']]);
  t.deepEqual(lite.countsAfterClaims, { counts: {}, unusedFallback: [] });
  t.deepEqual(lite.sameFallbackStaysUsed, { counts: {}, unusedFallback: [] });
  t.deepEqual(lite.newFallbackUnused, { counts: {}, unusedFallback: ['signed_curve25519'] });
  t.deepEqual(lite.toDevice, { first: [2, 3], rest: [4, 5], left: 0 }, 'capped at 4 (1 dropped), 2 per response');
  t.deepEqual(lite.txn, [true, false]);
  t.deepEqual(lite.backup, [
    { inserted: 1, changed: 1 },
    { inserted: 0, changed: 0 },
    { inserted: 0, changed: 1 },
    { inserted: 0, changed: 1 },
    { inserted: 0, changed: 0 },
  ]);
  t.deepEqual(lite.backupKept, [{ fmi: 9 }]);
  t.deepEqual(lite.changes, ['join:@b:hs', 'keys:@a:hs']);
  t.true((lite.stream as { reopenedAbove: boolean }).reopenedAbove);
  if (await postgresServerUrl()) t.deepEqual(await run('postgres'), lite);
});
