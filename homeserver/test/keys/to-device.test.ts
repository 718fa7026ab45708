import test from 'ava';
import WebSocket from 'ws';
import { migrate } from '../../src/db/migrations.js';
import { allMigrations } from '../../src/db/schema.js';
import { insertMessages, pendingCount } from '../../src/components/keys/storage/to-device.js';
import { WS_SYNC_PATH } from '../../src/components/sync/ws.js';
import { createTestDatabase } from '../helpers/database.js';
import { C, login, registerUser, startKeysServer, sync, txn, type TestUser } from './helpers.js';

const send = (from: TestUser, messages: Record<string, unknown>, id = txn(), type = 'm.test') => from.call('PUT', `${C}/sendToDevice/${type}/${id}`, { messages });
const toDevice = (body: any): any[] => body.to_device?.events ?? [];

test('a message reaches the named device only, and is gone only once a later token is used', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  const bob2 = await login(s, bob);
  const first = await sync(bob);
  t.deepEqual(toDevice(first), []);

  t.is((await send(alice, { [bob.userId]: { [bob.deviceId]: { n: 1 } } })).status, 200);
  const got = await sync(bob, { since: first.next_batch });
  t.deepEqual(toDevice(got), [{ sender: alice.userId, type: 'm.test', content: { n: 1 } }]);
  t.deepEqual(toDevice(await sync(bob2)), [], 'the other device gets nothing');

  // The response was lost: syncing again from the same token delivers it again.
  const retry = await sync(bob, { since: first.next_batch });
  t.deepEqual(toDevice(retry).map((e) => e.content), [{ n: 1 }]);
  // A later token acknowledges it.
  const acked = await sync(bob, { since: retry.next_batch });
  t.deepEqual(toDevice(acked), []);
  t.deepEqual(toDevice(await sync(bob, { since: first.next_batch })), [], 'deleted once acknowledged');
});

test('`*` reaches every device of the user; a named device wins; unknown devices are skipped', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  const bob2 = await login(s, bob);
  const bob3 = await login(s, bob);
  await send(alice, { [bob.userId]: { '*': { to: 'all' }, [bob3.deviceId]: { to: 'three' }, NOSUCHDEVICE: { to: 'nobody' } } });
  t.deepEqual(toDevice(await sync(bob)).map((e) => e.content), [{ to: 'all' }]);
  t.deepEqual(toDevice(await sync(bob2)).map((e) => e.content), [{ to: 'all' }]);
  t.deepEqual(toDevice(await sync(bob3)).map((e) => e.content), [{ to: 'three' }]);
});

test('a transaction ID is done once per sending device; another device may use it too', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const alice2 = await login(s, alice);
  const bob = await registerUser(s, 'bob');
  const messages = { [bob.userId]: { [bob.deviceId]: { hello: true } } };
  t.is((await send(alice, messages, 'same')).status, 200);
  t.is((await send(alice, messages, 'same')).status, 200);
  t.is(toDevice(await sync(bob)).length, 1);
  await send(alice2, messages, 'same');
  await send(alice, messages, 'same', 'm.other');
  t.is(toDevice(await sync(bob)).length, 3, 'another device, or another event type, is another transaction');
});

test('at most 100 messages per response, oldest first; the rest follows with its own token', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  for (let i = 0; i < 250; i++) await send(alice, { [bob.userId]: { [bob.deviceId]: { i } } });
  const r1 = await sync(bob);
  t.deepEqual(toDevice(r1).map((e) => e.content.i), Array.from({ length: 100 }, (_, i) => i));
  const r1again = await sync(bob);
  t.deepEqual(toDevice(r1again).map((e) => e.content.i).slice(0, 3), [0, 1, 2], 'nothing acknowledged yet');
  const r2 = await sync(bob, { since: r1.next_batch, timeout: '0' });
  t.deepEqual(toDevice(r2).map((e) => e.content.i), Array.from({ length: 100 }, (_, i) => i + 100));
  t.not(r2.next_batch, r1.next_batch);
  const r3 = await sync(bob, { since: r2.next_batch, timeout: '0' });
  t.deepEqual(toDevice(r3).map((e) => e.content.i), Array.from({ length: 50 }, (_, i) => i + 200));
  const r3retry = await sync(bob, { since: r2.next_batch, timeout: '0' });
  t.is(toDevice(r3retry)[0].content.i, 200, 'a retried request gets the same part again');
  const r4 = await sync(bob, { since: r3.next_batch, timeout: '0' });
  t.deepEqual(toDevice(r4), []);
});

test('a waiting long-poll wakes for a new message', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  const since = (await sync(bob)).next_batch;
  const started = Date.now();
  const waiting = sync(bob, { since, timeout: '20000' });
  await new Promise((r) => setTimeout(r, 300));
  await send(alice, { [bob.userId]: { [bob.deviceId]: { wake: 'up' } } });
  const body = await waiting;
  t.true(Date.now() - started < 10_000);
  t.deepEqual(toDevice(body).map((e) => e.content), [{ wake: 'up' }]);
});

test('WebSocket sync delivers messages and deletes them once acknowledged', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}${WS_SYNC_PATH}`, { headers: { Authorization: `Bearer ${bob.accessToken}` } });
  t.teardown(() => ws.close());
  const frames: any[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (data) => {
    frames.push(JSON.parse(String(data)));
    wake?.();
  });
  const next = (pred: (f: any) => boolean): Promise<any> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no such frame')), 10_000);
      const check = () => {
        const i = frames.findIndex(pred);
        if (i >= 0) {
          clearTimeout(timer);
          wake = undefined;
          resolve(frames.splice(0, i + 1)[i]);
        }
      };
      wake = check;
      check();
    });
  await new Promise<void>((resolve) => ws.once('open', () => resolve()));
  ws.send(JSON.stringify({}));
  await next(() => true);
  await send(alice, { [bob.userId]: { [bob.deviceId]: { over: 'ws' } } });
  const frame = await next((f) => toDevice(f).length > 0);
  t.deepEqual(toDevice(frame).map((e) => e.content), [{ over: 'ws' }]);
  // Still stored until the client says it has it.
  t.is(toDevice(await sync(bob)).length, 1);
  ws.send(JSON.stringify({ type: 'ack', since: frame.next_batch }));
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual(toDevice(await sync(bob)), []);
});

test('messages for users on other servers are not stored anywhere; bad requests are 400', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  t.is((await send(alice, { '@carol:elsewhere.example': { D: { x: 1 } } })).status, 200);
  const stored = await s.hs.database.db('keys_to_device_inbox').count({ n: '*' });
  t.is(Number(stored[0]!.n), 0);
  for (const messages of [[], { 'not-a-user': {} }, { [alice.userId]: { D: 'text' } }, { [alice.userId]: { 'a\u0000b': {} } }]) {
    const res = await send(alice, messages as Record<string, unknown>);
    t.is(res.status, 400, JSON.stringify(messages));
    t.is(res.body.errcode, 'M_BAD_JSON');
  }
  const noMessages = await alice.call('PUT', `${C}/sendToDevice/m.test/${txn()}`, {});
  t.is(noMessages.body.errcode, 'M_BAD_JSON');
});

test('a device holds at most the cap of messages: the oldest are dropped', async (t) => {
  const database = await createTestDatabase();
  const { db, close } = database.open();
  t.teardown(async () => {
    await close();
    await database.drop();
  });
  await migrate(db, allMigrations());
  const msg = (streamId: number) => ({ userId: '@u:hs', deviceId: 'D', streamId, sender: '@s:hs', type: 't', content: `{"i":${streamId}}` });
  await insertMessages(db, [1, 2, 3, 4].map(msg), 5);
  await insertMessages(db, [5, 6, 7].map(msg), 5);
  t.is(await pendingCount(db, '@u:hs', 'D'), 5);
  const ids = (await db('keys_to_device_inbox').orderBy('stream_id').pluck('stream_id')).map(Number);
  t.deepEqual(ids, [3, 4, 5, 6, 7]);
  await insertMessages(db, [8].map(msg), 5);
  t.deepEqual((await db('keys_to_device_inbox').orderBy('stream_id').pluck('stream_id')).map(Number), [4, 5, 6, 7, 8]);
});
