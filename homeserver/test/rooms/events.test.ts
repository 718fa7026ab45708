import test from 'ava';
import { registerUser, txn } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';

const open = { HS_OPEN_REGISTRATION: '1' };
const r = (roomId: string) => `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;

async function setup(t: Parameters<typeof startTestServer>[0]) {
  const s = await startTestServer(t, open);
  const [alice, bob] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob')]);
  const room = (await alice.call('POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' })).body.room_id as string;
  await bob.call('POST', `${r(room)}/join`, {});
  return { s, alice, bob, room };
}

test('send: the event is stored as sent, and a repeated transaction returns the same event', async (t) => {
  const { alice, room } = await setup(t);
  const id = txn();
  const first = await alice.call('PUT', `${r(room)}/send/m.room.message/${id}`, { msgtype: 'm.text', body: 'hello' });
  t.is(first.status, 200);
  const again = await alice.call('PUT', `${r(room)}/send/m.room.message/${id}`, { msgtype: 'm.text', body: 'hello' });
  t.is(again.body.event_id, first.body.event_id);
  const other = await alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'hello' });
  t.not(other.body.event_id, first.body.event_id);
  const event = await alice.call('GET', `${r(room)}/event/${encodeURIComponent(first.body.event_id)}`);
  t.is(event.status, 200);
  t.is(event.body.type, 'm.room.message');
  t.is(event.body.sender, alice.userId);
  t.deepEqual(event.body.content, { msgtype: 'm.text', body: 'hello' });
  t.is(event.body.room_id, room);
  t.is(event.body.unsigned.transaction_id, id, 'the sending device sees its transaction ID');
  t.true(event.body.unsigned.age >= 0);
});

test('sends arriving together are committed together, each checked on its own', async (t) => {
  const { s, alice, bob, room } = await setup(t);
  const carol = await registerUser(s, 'carol');
  const repeated = txn();
  const results = await Promise.all([
    ...Array.from({ length: 20 }, (_, i) => alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: `a${i}` })),
    carol.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'not a member' }),
    bob.call('PUT', `${r(room)}/send/m.room.message/${repeated}`, { msgtype: 'm.text', body: 'once' }),
    bob.call('PUT', `${r(room)}/send/m.room.message/${repeated}`, { msgtype: 'm.text', body: 'once' }),
  ]);
  t.deepEqual(results.slice(0, 20).map((x) => x.status), Array(20).fill(200));
  t.is(results[20]!.status, 403);
  t.is(results[21]!.body.event_id, results[22]!.body.event_id, 'one transaction ID, one event');
  const chunk = (await alice.call('GET', `${r(room)}/messages?dir=f&limit=100`)).body.chunk as any[];
  const bodies = chunk.filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
  t.deepEqual(bodies.filter((b) => b.startsWith('a')).sort(), Array.from({ length: 20 }, (_, i) => `a${i}`).sort());
  t.is(bodies.filter((b) => b === 'once').length, 1);
  t.false(bodies.includes('not a member'));
});

test('send: refused to non-members, for redactions, for floats, and over 64 KiB', async (t) => {
  const { s, alice, room } = await setup(t);
  const carol = await registerUser(s, 'carol');
  const notMember = await carol.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { body: 'x' });
  t.is(notMember.status, 403);
  const redaction = await alice.call('PUT', `${r(room)}/send/m.room.redaction/${txn()}`, {});
  t.is(redaction.status, 400);
  const float = await alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { body: 'x', n: 1.5 });
  t.is(float.status, 400);
  t.is(float.body.errcode, 'M_BAD_JSON');
  const huge = await alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { body: 'x'.repeat(70_000) });
  t.is(huge.status, 413);
  t.is(huge.body.errcode, 'M_TOO_LARGE');
  const notObject = await alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, '[1]');
  t.is(notObject.body.errcode, 'M_BAD_JSON');
  const unknownRoom = await alice.call('PUT', `${r('!unknown:hs.test')}/send/m.room.message/${txn()}`, { body: 'x' });
  t.is(unknownRoom.status, 403);
});

test('state: put and get with and without a state key; power levels decide who may set it', async (t) => {
  const { alice, bob, room } = await setup(t);
  const put = await alice.call('PUT', `${r(room)}/state/m.room.topic`, { topic: 'first' });
  t.is(put.status, 200);
  const got = await bob.call('GET', `${r(room)}/state/m.room.topic`);
  t.deepEqual(got.body, { topic: 'first' });
  const withSlash = await bob.call('GET', `${r(room)}/state/m.room.topic/`);
  t.deepEqual(withSlash.body, { topic: 'first' });
  const custom = await alice.call('PUT', `${r(room)}/state/org.example.thing/${encodeURIComponent('key/with slash')}`, { v: 1 });
  t.is(custom.status, 200);
  t.deepEqual((await bob.call('GET', `${r(room)}/state/org.example.thing/${encodeURIComponent('key/with slash')}`)).body, { v: 1 });
  const bobTopic = await bob.call('PUT', `${r(room)}/state/m.room.topic`, { topic: 'mine' });
  t.is(bobTopic.status, 403);
  t.is(bobTopic.body.errcode, 'M_FORBIDDEN');
  const missing = await bob.call('GET', `${r(room)}/state/m.room.name`);
  t.is(missing.status, 404);
  t.is(missing.body.errcode, 'M_NOT_FOUND');
  // State keyed by a user ID belongs to that user alone, whatever the sender's power.
  const otherKey = await alice.call('PUT', `${r(room)}/state/org.example.user/${encodeURIComponent(bob.userId)}`, {});
  t.is(otherKey.status, 403);
  t.is((await alice.call('PUT', `${r(room)}/state/org.example.user/${encodeURIComponent(alice.userId)}`, {})).status, 200);
  // Raising bob's power lets him set the topic; prev_content shows what it replaced.
  const pl = (await alice.call('GET', `${r(room)}/state/m.room.power_levels`)).body;
  pl.users[bob.userId] = 50;
  t.is((await alice.call('PUT', `${r(room)}/state/m.room.power_levels`, pl)).status, 200);
  t.is((await bob.call('PUT', `${r(room)}/state/m.room.topic`, { topic: 'second' })).status, 200);
  const event = await bob.call('GET', `${r(room)}/state/m.room.topic?format=event`);
  t.is(event.body.content.topic, 'second');
  t.deepEqual(event.body.unsigned.prev_content, { topic: 'first' });
  const tooHigh = await bob.call('PUT', `${r(room)}/state/m.room.power_levels`, { ...pl, users: { ...pl.users, [bob.userId]: 100 } });
  t.is(tooHigh.status, 403, 'nobody raises themselves above their own level');
});

test('redact: own events freely, others only with power; redacted content is stripped', async (t) => {
  const { alice, bob, room } = await setup(t);
  const mine = (await bob.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'oops' })).body.event_id;
  const hers = (await alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'keep' })).body.event_id;
  const denied = await bob.call('PUT', `${r(room)}/redact/${encodeURIComponent(hers)}/${txn()}`, {});
  t.is(denied.status, 403);
  const own = await bob.call('PUT', `${r(room)}/redact/${encodeURIComponent(mine)}/${txn()}`, { reason: 'typo' });
  t.is(own.status, 200);
  const redacted = await alice.call('GET', `${r(room)}/event/${encodeURIComponent(mine)}`);
  t.deepEqual(redacted.body.content, {});
  t.is(redacted.body.unsigned.redacted_because.event_id, own.body.event_id);
  t.is(redacted.body.unsigned.redacted_because.content.reason, 'typo');
  t.is(redacted.body.unsigned.redacted_because.redacts, mine);
  const byAdmin = await alice.call('PUT', `${r(room)}/redact/${encodeURIComponent(mine)}/${txn()}`, {});
  t.is(byAdmin.status, 200);
  const unknown = await alice.call('PUT', `${r(room)}/redact/${encodeURIComponent('$nope')}/${txn()}`, {});
  t.is(unknown.status, 404);
});
