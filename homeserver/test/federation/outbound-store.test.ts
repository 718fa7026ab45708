import test from 'ava';
import { migrate } from '../../src/db/migrations.js';
import { allMigrations } from '../../src/db/schema.js';
import type { Knex } from '../../src/db/database.js';
import { OutboundStore } from '../../src/components/federation/storage/outbound-queue.js';
import { backoffDelay } from '../../src/components/federation/outbound/backoff.js';
import { createTestDatabase } from '../helpers/database.js';

let db: Knex;
let cleanup: (() => Promise<void>) | undefined;
test.before(async () => {
  const tdb = await createTestDatabase();
  const opened = tdb.open();
  db = opened.db;
  cleanup = async () => {
    await opened.close();
    await tdb.drop();
  };
  await migrate(db, allMigrations());
});
test.after.always(() => cleanup?.());

let serial = 0;
const dest = (): string => `d${++serial}.test`;
const pduJson = (id: string, room: string): string => JSON.stringify({ event_id: id, room_id: room });
const edu = (n: number | string): string => JSON.stringify({ edu_type: 'org.hearth.test', content: { n } });

test('a transaction takes the oldest 50 PDUs and 100 EDUs', async (t) => {
  const store = new OutboundStore(db);
  const d = dest();
  for (let i = 0; i < 60; i++) await store.enqueuePdu(`$p${i}`, `!r${i}:x`, pduJson(`$p${i}`, `!r${i}:x`), [d], undefined);
  for (let i = 0; i < 130; i++) await store.enqueueEdu(edu(i), [d], undefined);
  const first = (await store.nextTxn(d, false))!;
  t.is(first.pdus.length, 50);
  t.is(first.edus.length, 100);
  t.is(first.pdus[0]!['event_id'], '$p0');
  t.deepEqual(first.edus.at(-1), { edu_type: 'org.hearth.test', content: { n: 99 } });
  t.is(await store.finishTxn(d, first.txnId), 150);
  const second = (await store.nextTxn(d, false))!;
  t.deepEqual([second.pdus.length, second.edus.length], [10, 30]);
  await store.finishTxn(d, second.txnId);
  t.is(await store.nextTxn(d, false), undefined);
});

test('an unacknowledged transaction is offered again, same ID, same items, even to a new store (a restart)', async (t) => {
  const d = dest();
  const store = new OutboundStore(db);
  await store.enqueuePdu('$x', '!r:x', pduJson('$x', '!r:x'), [d], undefined);
  const first = (await store.nextTxn(d, false))!;
  await store.enqueuePdu('$y', '!r:x', pduJson('$y', '!r:x'), [d], undefined);
  const again = (await new OutboundStore(db).nextTxn(d, true))!;
  t.is(again.txnId, first.txnId);
  t.deepEqual(again.pdus.map((p) => p['event_id']), ['$x'], 'items queued later wait for the next transaction');
});

test('catching up keeps only the newest queued PDU per room; EDUs all stay', async (t) => {
  const d = dest();
  const store = new OutboundStore(db);
  for (const [id, room] of [['$a1', '!a:x'], ['$b1', '!b:x'], ['$a2', '!a:x'], ['$a3', '!a:x'], ['$b2', '!b:x']] as const) {
    await store.enqueuePdu(id, room, pduJson(id, room), [d], undefined);
  }
  await store.enqueueEdu(edu('e1'), [d], undefined);
  await store.enqueueEdu(edu('e2'), [d], undefined);
  const txn = (await store.nextTxn(d, true))!;
  t.deepEqual(txn.pdus.map((p) => p['event_id']), ['$a3', '$b2']);
  t.is(txn.edus.length, 2);
  await store.finishTxn(d, txn.txnId);
  const left = (await db('federation_outbound_pdus').whereIn('event_id', ['$a1', '$a2', '$a3', '$b1', '$b2']).count({ n: '*' })) as Array<{ n: string }>;
  t.is(Number(left[0]!.n), 0, 'PDU bodies no destination waits for are deleted');
});

test('one PDU body for many destinations; it stays until the last one acknowledged', async (t) => {
  const [d1, d2] = [dest(), dest()];
  const store = new OutboundStore(db);
  await store.enqueuePdu('$shared', '!s:x', pduJson('$shared', '!s:x'), [d1, d2], undefined);
  t.is(((await db('federation_outbound_pdus').where({ event_id: '$shared' })) as unknown[]).length, 1);
  await store.finishTxn(d1, (await store.nextTxn(d1, false))!.txnId);
  t.is(((await db('federation_outbound_pdus').where({ event_id: '$shared' })) as unknown[]).length, 1);
  const t2 = (await store.nextTxn(d2, false))!;
  t.deepEqual(t2.pdus, [{ event_id: '$shared', room_id: '!s:x' }]);
  await store.finishTxn(d2, t2.txnId);
  t.is(((await db('federation_outbound_pdus').where({ event_id: '$shared' })) as unknown[]).length, 0);
});

test('an EDU with a coalesce key replaces the queued one with the same key', async (t) => {
  const d = dest();
  const store = new OutboundStore(db);
  await store.enqueueEdu(edu('typing-1'), [d], 'm.typing|!r|@u');
  await store.enqueueEdu(edu('other'), [d], undefined);
  await store.enqueueEdu(edu('typing-2'), [d], 'm.typing|!r|@u');
  const txn = (await store.nextTxn(d, false))!;
  t.deepEqual(txn.edus.map((e) => (e['content'] as { n: string }).n), ['other', 'typing-2']);
});

test('the stream position only moves forward', async (t) => {
  const store = new OutboundStore(db);
  await store.enqueuePdu('$pos1', '!p:x', '{}', [dest()], 10);
  await store.enqueuePdu('$pos0', '!p:x', '{}', [], 7);
  t.is(await store.lastPosition(), 10);
  await store.enqueuePdu('$pos2', '!p:x', '{}', [], 12);
  t.is(await store.lastPosition(), 12);
});

test('backoff doubles from the first delay up to the cap, with a little spread', (t) => {
  const retry = { initialMs: 1000, maxMs: 10_000 };
  t.is(backoffDelay(1, retry, () => 0.5), 1000);
  t.is(backoffDelay(2, retry, () => 0.5), 2000);
  t.is(backoffDelay(4, retry, () => 0.5), 8000);
  t.is(backoffDelay(5, retry, () => 0.5), 10_000);
  t.is(backoffDelay(500, retry, () => 0.5), 10_000);
  t.is(backoffDelay(1, retry, () => 0), 900);
  t.is(backoffDelay(1, retry, () => 1), 1100);
});
