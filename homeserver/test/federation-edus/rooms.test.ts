import test from 'ava';
import type { JsonObject } from '../../src/core/json.js';
import { generateSigningKey } from '../../src/core/signing.js';
import { login, makeDevice, sign, upload } from '../keys/helpers.js';
import { txn } from '../helpers/client.js';
import { C, clientApi, enc, newUser, sendEdus, startServers, syncUntil, until, type FederationNetwork, type TestUser } from './helpers.js';

/*
 * Typing, receipts, presence and device-list updates between users sharing a room across two
 * servers: alice on hs1 made the room, bob on hs2 joined it over federation.
 */

let fed: FederationNetwork;
let alice: TestUser;
let bob: TestUser;
let roomId: string;
/** EDUs hs2 received, as they came (observed next to the real handlers). */
const received: Array<{ type: string; origin: string; content: JsonObject }> = [];

test.before(async () => {
  fed = await startServers();
  for (const type of ['m.typing', 'm.receipt', 'm.presence', 'm.device_list_update', 'm.signing_key_update']) {
    fed.server('hs2.test').hs.federation.registerEduHandler(type, (origin, content) => {
      received.push({ type, origin, content });
    });
  }
  alice = await newUser(fed.server('hs1.test'), 'alice');
  bob = await newUser(fed.server('hs2.test'), 'bob');
  const created = await alice.call('POST', `${C}/createRoom`, { preset: 'public_chat' });
  if (created.status !== 200) throw new Error(`createRoom: ${JSON.stringify(created.body)}`);
  roomId = created.body.room_id;
  const joined = await bob.call('POST', `${C}/join/${enc(roomId)}?server_name=hs1.test`, {});
  if (joined.status !== 200) throw new Error(`remote join: ${joined.status} ${JSON.stringify(joined.body)}`);
  // Both servers know of the join before the tests start.
  await until(async () => (await alice.call('GET', `${C}/rooms/${enc(roomId)}/joined_members`)).body?.joined?.[bob.userId] !== undefined, 10_000, 'hs1 to see the join');
});
test.after.always(() => fed?.close());

const ephemeral = (body: any, type: string): any[] => (body.rooms?.join?.[roomId]?.ephemeral?.events ?? []).filter((e: any) => e.type === type);

test.serial('typing: each side sees the other type and stop', async (t) => {
  const bobStart = await syncUntil(bob, undefined, () => true);
  t.is((await alice.call('PUT', `${C}/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { typing: true, timeout: 30_000 })).status, 200);
  const bobSees = await syncUntil(bob, bobStart.next_batch, (b) => ephemeral(b, 'm.typing').some((e) => e.content.user_ids.includes(alice.userId)));
  t.deepEqual(ephemeral(bobSees, 'm.typing')[0].content.user_ids, [alice.userId]);
  await alice.call('PUT', `${C}/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { typing: false });
  await syncUntil(bob, bobSees.next_batch, (b) => ephemeral(b, 'm.typing').some((e) => e.content.user_ids.length === 0));

  const aliceStart = await syncUntil(alice, undefined, () => true);
  await bob.call('PUT', `${C}/rooms/${enc(roomId)}/typing/${enc(bob.userId)}`, { typing: true, timeout: 30_000 });
  await syncUntil(alice, aliceStart.next_batch, (b) => ephemeral(b, 'm.typing').some((e) => e.content.user_ids.includes(bob.userId)));
  await bob.call('PUT', `${C}/rooms/${enc(roomId)}/typing/${enc(bob.userId)}`, { typing: false });
  t.true(received.some((e) => e.type === 'm.typing' && e.content['user_id'] === alice.userId && e.content['typing'] === false));
});

test.serial('receipts: public read receipts cross with their thread; private ones never leave the server', async (t) => {
  const sent = await alice.call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'hello hs2' });
  const eventId = sent.body.event_id as string;
  const start = await syncUntil(bob, undefined, () => true);
  await until(async () => (await bob.call('GET', `${C}/rooms/${enc(roomId)}/event/${enc(eventId)}`)).status === 200, 10_000, 'the event to reach hs2');

  t.is((await alice.call('POST', `${C}/rooms/${enc(roomId)}/receipt/m.read.private/${enc(eventId)}`, {})).status, 200);
  t.is((await alice.call('POST', `${C}/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, { thread_id: 'main' })).status, 200);
  const got = await syncUntil(bob, start.next_batch, (b) => ephemeral(b, 'm.receipt').some((e) => e.content[eventId]?.['m.read']?.[alice.userId]));
  const receipt = ephemeral(got, 'm.receipt').find((e) => e.content[eventId])!.content[eventId];
  t.is(receipt['m.read'][alice.userId].thread_id, 'main');
  t.is(receipt['m.read.private'], undefined);
  const edus = received.filter((e) => e.type === 'm.receipt');
  t.true(edus.length > 0);
  t.false(edus.some((e) => JSON.stringify(e.content).includes('m.read.private')));
});

test.serial('presence: a user\'s presence reaches the users of the other server sharing a room', async (t) => {
  const start = await syncUntil(bob, undefined, () => true);
  t.is((await alice.call('PUT', `${C}/presence/${enc(alice.userId)}/status`, { presence: 'online', status_msg: 'baking' })).status, 200);
  const got = await syncUntil(bob, start.next_batch, (b) => (b.presence?.events ?? []).some((e: any) => e.sender === alice.userId && e.content.status_msg === 'baking'));
  const event = got.presence.events.find((e: any) => e.sender === alice.userId);
  t.is(event.content.presence, 'online');
  const status = await bob.call('GET', `${C}/presence/${enc(alice.userId)}/status`);
  t.is(status.body.presence, 'online');
});

test.serial('device lists: new and deleted devices and cross-signing keys reach the other server; its users see them changed', async (t) => {
  const start = await syncUntil(bob, undefined, () => true);
  const changed = (b: any): string[] => b.device_lists?.changed ?? [];
  const second = await login(clientApi(fed.server('hs1.test')), alice);
  t.is((await upload(second, { device_keys: makeDevice(second).keys })).status, 200);
  const afterAdd = await syncUntil(bob, start.next_batch, (b) => changed(b).includes(alice.userId));
  const query = await bob.call('POST', `${C}/keys/query`, { device_keys: { [alice.userId]: [] } });
  t.truthy(query.body.device_keys[alice.userId][second.deviceId]);

  const added = received.filter((e) => e.type === 'm.device_list_update' && e.content['device_id'] === second.deviceId);
  t.is(added.length, 1);
  t.is(added[0]!.origin, 'hs1.test');
  t.is((added[0]!.content['keys'] as JsonObject)['device_id'], second.deviceId);
  t.is(added[0]!.content['deleted'], false);

  // Deleting the device (UIA with the password) is an update too, numbered after the last.
  const del = (auth?: unknown) => alice.call('DELETE', `${C}/devices/${second.deviceId}`, auth ? { auth } : {});
  const challenge = await del();
  t.is((await del({ type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password: 'correct horse battery staple', session: challenge.body.session })).status, 200);
  const afterDelete = await syncUntil(bob, afterAdd.next_batch, (b) => changed(b).includes(alice.userId));
  await until(() => received.some((e) => e.type === 'm.device_list_update' && e.content['device_id'] === second.deviceId && e.content['deleted'] === true), 10_000, 'the deletion');
  const updates = received.filter((e) => e.type === 'm.device_list_update' && e.content['user_id'] === alice.userId);
  const [a, b] = updates.slice(-2).map((e) => e.content);
  t.is(b!['stream_id'], (a!['stream_id'] as number) + 1);
  t.deepEqual(b!['prev_id'], [a!['stream_id']]);
  const gone = await bob.call('POST', `${C}/keys/query`, { device_keys: { [alice.userId]: [] } });
  t.is(gone.body.device_keys[alice.userId][second.deviceId], undefined);

  const master = generateSigningKey();
  const key = (usage: string, k: typeof master) => ({ user_id: alice.userId, usage: [usage], keys: { [`ed25519:${k.publicKey}`]: k.publicKey } });
  const cs = await alice.call('POST', `${C}/keys/device_signing/upload`, {
    master_key: key('master', master),
    self_signing_key: sign(key('self_signing', generateSigningKey()), alice.userId, `ed25519:${master.publicKey}`, master),
  });
  t.is(cs.status, 200);
  await syncUntil(bob, afterDelete.next_batch, (b) => changed(b).includes(alice.userId));
  const signing = received.filter((e) => e.type === 'm.signing_key_update' && e.content['user_id'] === alice.userId);
  t.is(signing.length, 1);
  t.deepEqual(Object.keys((signing[0]!.content['master_key'] as JsonObject)['keys'] as JsonObject), [`ed25519:${master.publicKey}`]);
});

test.serial('device lists: renaming a device with keys sends its new name', async (t) => {
  t.is((await upload(alice, { device_keys: makeDevice(alice).keys })).status, 200);
  const start = await syncUntil(bob, undefined, () => true);
  t.is((await alice.call('PUT', `${C}/devices/${alice.deviceId}`, { display_name: 'Kitchen tablet' })).status, 200);
  await syncUntil(bob, start.next_batch, (b) => (b.device_lists?.changed ?? []).includes(alice.userId));
  await until(() => received.some((e) => e.type === 'm.device_list_update' && e.content['device_display_name'] === 'Kitchen tablet'), 10_000, 'the rename');
  const query = await bob.call('POST', `${C}/keys/query`, { device_keys: { [alice.userId]: [alice.deviceId] } });
  t.is(query.body.device_keys[alice.userId][alice.deviceId].unsigned.device_display_name, 'Kitchen tablet');
});

test.serial('inbound typing and receipts count only from joined users of the sending server, in rooms we are in', async (t) => {
  const sent = await alice.call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'read me' });
  const eventId = sent.body.event_id as string;
  await until(async () => (await bob.call('GET', `${C}/rooms/${enc(roomId)}/event/${enc(eventId)}`)).status === 200, 10_000, 'the event to reach hs2');
  const start = await syncUntil(bob, undefined, () => true);
  const receipt = (userId: string) => ({ edu_type: 'm.receipt', content: { [roomId]: { 'm.read': { [userId]: { event_ids: [eventId], data: { ts: 1 } } } } } });
  await sendEdus(fed, 'hs1.test', 'hs2.test', [
    { edu_type: 'm.typing', content: { room_id: roomId, user_id: '@intruder:hs1.test', typing: true } },
    { edu_type: 'm.typing', content: { room_id: roomId, user_id: bob.userId, typing: true } },
    { edu_type: 'm.typing', content: { room_id: '!elsewhere:hs1.test', user_id: alice.userId, typing: true } },
    { edu_type: 'm.typing', content: { room_id: roomId, user_id: alice.userId } },
    receipt('@intruder:hs1.test'),
    receipt(bob.userId),
  ]);
  await alice.call('PUT', `${C}/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { typing: true, timeout: 30_000 });
  // Every response on the way counts: a receipt let through may come in an earlier one.
  const readers: string[] = [];
  const typists: string[][] = [];
  await syncUntil(bob, start.next_batch, (b) => {
    readers.push(...ephemeral(b, 'm.receipt').flatMap((e) => Object.keys(e.content[eventId]?.['m.read'] ?? {})));
    typists.push(...ephemeral(b, 'm.typing').map((e) => e.content.user_ids as string[]));
    return typists.some((u) => u.includes(alice.userId));
  });
  t.deepEqual(typists.filter((u) => u.length > 0), [[alice.userId]]);
  t.false(readers.includes('@intruder:hs1.test'));
  t.false(readers.includes(bob.userId));
  await alice.call('PUT', `${C}/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { typing: false });
});
