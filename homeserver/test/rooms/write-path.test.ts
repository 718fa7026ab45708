import test from 'ava';
import { startHomeserver } from '../../src/homeserver.js';
import { requestJson } from '../helpers/server.js';
import { createRoom, enc, join, registerUser, room, setState, startRoomsServer, text, txn } from './support.js';

// A send's statements travel as one message with the values written into the SQL: whatever a
// client puts in a body, a state key or a transaction ID must come back exactly.
const AWKWARD = [
  `it's`,
  'back\\slash',
  'what? and ?? and \\? and \\\\?',
  '$1 $2 :name ::text',
  `'); DROP TABLE events; --`,
  'E\'\\x41\'',
  'ünïcödé 🎭 \u2028 \u00a0',
  'line\nbreak\ttab\r',
  '"quoted" {json} [array]',
];

test('sends: bodies, state and transaction IDs with quotes, backslashes and placeholders are stored exactly', async (t) => {
  const s = await startRoomsServer(t);
  const alice = await registerUser(s, 'alice');
  const roomId = await createRoom(alice);
  const sent = new Map<string, string>();
  for (const body of AWKWARD) {
    const id = `t?${body.length}\\${txn()}'`;
    const res = await alice.call('PUT', `${room(roomId)}/send/m.room.message/${enc(id)}`, text(body, { extra: body }));
    t.is(res.status, 200, body);
    sent.set(res.body.event_id as string, body);
    // The same transaction ID answers with the same event.
    const again = await alice.call('PUT', `${room(roomId)}/send/m.room.message/${enc(id)}`, text(body, { extra: body }));
    t.is(again.body.event_id, res.body.event_id);
  }
  await setState(alice, roomId, 'org.example.awkward', { value: AWKWARD[2] }, AWKWARD[4]);
  await setState(alice, roomId, 'm.room.topic', { topic: AWKWARD[1] });

  const page = await alice.call('GET', `${room(roomId)}/messages?dir=b&limit=50`);
  const bodies = (page.body.chunk as Array<{ event_id: string; type: string; content: { body?: string; extra?: string } }>).filter((e) => e.type === 'm.room.message');
  t.is(bodies.length, AWKWARD.length);
  for (const e of bodies) {
    t.is(e.content.body, sent.get(e.event_id));
    t.is(e.content.extra, sent.get(e.event_id));
  }
  const state = await alice.call('GET', `${room(roomId)}/state/org.example.awkward/${enc(AWKWARD[4]!)}`);
  t.deepEqual(state.body, { value: AWKWARD[2] });
  const topic = await alice.call('GET', `${room(roomId)}/state/m.room.topic`);
  t.deepEqual(topic.body, { topic: AWKWARD[1] });
  // The search index got the words as written.
  const found = await alice.call('POST', '/_matrix/client/v3/search', { search_categories: { room_events: { search_term: 'DROP TABLE' } } });
  t.true((found.body.search_categories.room_events.results as Array<{ result: { content: { body: string } } }>).some((r) => r.result.content.body === AWKWARD[4]));
});

test('sends: a transaction ID used before a restart still answers with its event, and no second event is stored', async (t) => {
  const s = await startRoomsServer(t);
  const [alice, bob] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob')]);
  const roomId = await createRoom(alice, { preset: 'public_chat' });
  await join(bob, roomId);
  const id = txn();
  const first = await alice.call('PUT', `${room(roomId)}/send/m.room.message/${id}`, text('before the restart'));
  t.is(first.status, 200);
  await s.hs.stop();

  const hs = await startHomeserver(s.hs.config);
  t.teardown(() => hs.stop());
  const call = (method: string, path: string, token: string, body?: unknown) => requestJson(hs.url, method, path, body, { Authorization: `Bearer ${token}` });
  // Sent again in a group with others: the group is committed without the repeat.
  const [again, other, bobs] = await Promise.all([
    call('PUT', `${room(roomId)}/send/m.room.message/${id}`, alice.accessToken, text('before the restart')),
    call('PUT', `${room(roomId)}/send/m.room.message/${txn()}`, alice.accessToken, text('after the restart')),
    // Bob's own ID may equal Alice's: transaction IDs belong to one device.
    call('PUT', `${room(roomId)}/send/m.room.message/${id}`, bob.accessToken, text('same ID, other device')),
  ]);
  t.is(again.status, 200);
  t.is(again.body.event_id, first.body.event_id);
  t.is(other.status, 200);
  t.is(bobs.status, 200);
  t.not(bobs.body.event_id, first.body.event_id);
  const page = await call('GET', `${room(roomId)}/messages?dir=b&limit=50`, alice.accessToken);
  const bodies = (page.body.chunk as Array<{ type: string; content: { body: string } }>).filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
  t.deepEqual(bodies.sort(), ['after the restart', 'before the restart', 'same ID, other device']);
  // And the room goes on: one forward extremity, the newest event.
  const latest = await call('PUT', `${room(roomId)}/send/m.room.message/${txn()}`, alice.accessToken, text('later'));
  t.is(latest.status, 200);
  const database = s.database.open();
  try {
    const tips = await database.db('room_forward_extremities').where('room_id', roomId).pluck('event_id');
    t.deepEqual(tips, [latest.body.event_id]);
  } finally {
    await database.close();
  }
});
