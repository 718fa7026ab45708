import test from 'ava';
import { C, enc, until, type FederationNetwork, type TestUser } from '../federation-edus/helpers.js';
import { txn } from '../helpers/client.js';
import { forgeNext, push, roomTips, withSharedRoom } from './forge.js';

let net: FederationNetwork;
let alice: TestUser;
let bob: TestUser;
let roomId: string;

withSharedRoom(test, (room) => ({ net, alice, bob, roomId } = room));

async function found(user: TestUser, term: string): Promise<string[]> {
  const res = await user.call('POST', `${C}/search`, { search_categories: { room_events: { search_term: term } } });
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  return res.body.search_categories.room_events.results.map((r: any) => r.result.event_id);
}

test.serial('events from another server are searchable once accepted, and on both sides', async (t) => {
  const sent = await bob.call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'greetings from the other server' });
  t.is(sent.status, 200);
  await until(async () => (await found(alice, 'greetings')).includes(sent.body.event_id), 10_000, 'the message of hs2 found on hs1');
  const local = await alice.call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'salutations back' });
  await until(async () => (await found(bob, 'salutations')).includes(local.body.event_id), 10_000, 'the message of hs1 found on hs2');
  t.deepEqual(await found(alice, 'greetings'), [sent.body.event_id]);
});

test.serial('an event kept only in redacted form offers no words to search', async (t) => {
  const tips = await roomTips(net, 'hs1.test', roomId);
  const e = forgeNext(net, 'hs2.test', tips, roomId, bob.userId, { type: 'm.room.message', content: { msgtype: 'm.text', body: 'original zebra' } });
  // The content no longer matches the hash: the server keeps the event, redacted.
  const altered = { ...e.pdu, content: { msgtype: 'm.text', body: 'altered zebra' } };
  t.deepEqual((await push(net, 'hs2.test', 'hs1.test', [altered]))[e.eventId], {});
  t.deepEqual(await found(alice, 'zebra'), []);
});

test.serial('a soft-failed event is not searchable', async (t) => {
  const tips = await roomTips(net, 'hs1.test', roomId);
  // bob is banned now; his next event still cites the state before the ban.
  t.is((await alice.call('POST', `${C}/rooms/${enc(roomId)}/ban`, { user_id: bob.userId })).status, 200);
  const e = forgeNext(net, 'hs2.test', tips, roomId, bob.userId, { type: 'm.room.message', content: { msgtype: 'm.text', body: 'sneaky giraffe' } });
  t.deepEqual((await push(net, 'hs2.test', 'hs1.test', [e.pdu]))[e.eventId], {});
  t.true((await net.server('hs1.test').hs.database.db('events').where('event_id', e.eventId).first()).soft_failed);
  t.deepEqual(await found(alice, 'giraffe'), []);
});
