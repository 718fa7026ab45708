import test from 'ava';
import { registerUser, txn, type TestUser } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';

const open = { HS_OPEN_REGISTRATION: '1' };
const r = (roomId: string) => `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;

async function send(user: TestUser, room: string, body: string): Promise<string> {
  const res = await user.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body });
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  return res.body.event_id;
}

const bodies = (chunk: any[]) => chunk.filter((e) => e.type === 'm.room.message').map((e) => e.content.body);

test('messages: paging backwards then forwards gives every message once, in order', async (t) => {
  const s = await startTestServer(t, open);
  const alice = await registerUser(s, 'alice');
  const room = (await alice.call('POST', '/_matrix/client/v3/createRoom', {})).body.room_id;
  const sent: string[] = [];
  for (let i = 0; i < 25; i++) {
    sent.push(`m${i}`);
    await send(alice, room, `m${i}`);
  }
  const seen: string[] = [];
  let from: string | undefined;
  for (let page = 0; page < 20; page++) {
    const q = new URLSearchParams({ dir: 'b', limit: '7', ...(from ? { from } : {}) });
    const res = await alice.call('GET', `${r(room)}/messages?${q}`);
    t.is(res.status, 200);
    t.true(res.body.chunk.length <= 7);
    seen.push(...bodies(res.body.chunk));
    if (!res.body.end) break;
    from = res.body.end;
  }
  t.deepEqual(seen, [...sent].reverse());
  // The whole history, forwards, ends with the create event first.
  const forward = await alice.call('GET', `${r(room)}/messages?dir=f&limit=100`);
  t.is(forward.body.chunk[0].type, 'm.room.create');
  t.deepEqual(bodies(forward.body.chunk), sent);
  t.is(forward.body.end, undefined);
  // A type filter and lazy-loaded members.
  const filtered = await alice.call('GET', `${r(room)}/messages?dir=b&limit=3&filter=${encodeURIComponent(JSON.stringify({ types: ['m.room.message'], lazy_load_members: true }))}`);
  t.deepEqual(bodies(filtered.body.chunk), ['m24', 'm23', 'm22']);
  t.is(filtered.body.chunk.length, 3);
  t.deepEqual(filtered.body.state.map((e: any) => e.state_key), [alice.userId]);
});

test('messages: bad parameters', async (t) => {
  const s = await startTestServer(t, open);
  const alice = await registerUser(s, 'alice');
  const room = (await alice.call('POST', '/_matrix/client/v3/createRoom', {})).body.room_id;
  t.is((await alice.call('GET', `${r(room)}/messages?dir=x`)).body.errcode, 'M_INVALID_PARAM');
  t.is((await alice.call('GET', `${r(room)}/messages?dir=b&limit=abc`)).body.errcode, 'M_INVALID_PARAM');
  t.is((await alice.call('GET', `${r(room)}/messages?dir=b&from=garbage`)).body.errcode, 'M_INVALID_PARAM');
  t.is((await alice.call('GET', `${r(room)}/messages?dir=b&from=t99999999999999999999_1`)).body.errcode, 'M_INVALID_PARAM');
  t.is((await alice.call('GET', `/_matrix/client/v3/sync?since=s99999999999999999999`)).body.errcode, 'M_INVALID_PARAM');
  t.is((await alice.call('GET', `${r(room)}/messages?dir=b&filter=%7B`)).body.errcode, 'M_NOT_JSON');
  const bob = await registerUser(s, 'bob');
  t.is((await bob.call('GET', `${r(room)}/messages?dir=b`)).status, 403);
});

test('history visibility: shared shows earlier history to new members, joined does not, and leaving stops new events', async (t) => {
  const s = await startTestServer(t, open);
  const [alice, bob, carol] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob'), registerUser(s, 'carol')]);
  const room = (await alice.call('POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' })).body.room_id;
  const early = await send(alice, room, 'before anyone came');
  await bob.call('POST', `${r(room)}/join`, {});
  const bobSees = await bob.call('GET', `${r(room)}/event/${encodeURIComponent(early)}`);
  t.is(bobSees.status, 200, 'shared: history before joining is visible');

  await alice.call('PUT', `${r(room)}/state/m.room.history_visibility`, { history_visibility: 'joined' });
  const secret = await send(alice, room, 'only for members');
  await carol.call('POST', `${r(room)}/join`, {});
  const carolEarly = await carol.call('GET', `${r(room)}/event/${encodeURIComponent(secret)}`);
  t.is(carolEarly.status, 404, 'joined: events before joining are hidden');
  const carolMessages = await carol.call('GET', `${r(room)}/messages?dir=b&limit=50`);
  t.false(bodies(carolMessages.body.chunk).includes('only for members'));
  const after = await send(alice, room, 'after carol joined');
  t.is((await carol.call('GET', `${r(room)}/event/${encodeURIComponent(after)}`)).status, 200);

  await bob.call('POST', `${r(room)}/leave`, {});
  const whileGone = await send(alice, room, 'bob is gone');
  t.is((await bob.call('GET', `${r(room)}/event/${encodeURIComponent(whileGone)}`)).status, 404);
  t.is((await bob.call('GET', `${r(room)}/event/${encodeURIComponent(secret)}`)).status, 200, 'what bob could see stays visible');
  // His view of the state stops where he left.
  const state = await bob.call('GET', `${r(room)}/state`);
  t.is(state.status, 200);
  t.is(state.body.find((e: any) => e.type === 'm.room.member' && e.state_key === bob.userId).content.membership, 'leave');
});

test('context, members and joined_members', async (t) => {
  const s = await startTestServer(t, open);
  const [alice, bob] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob')]);
  const room = (await alice.call('POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' })).body.room_id;
  await bob.call('POST', `${r(room)}/join`, {});
  const ids: string[] = [];
  for (let i = 0; i < 9; i++) ids.push(await send(i % 2 ? bob : alice, room, `c${i}`));
  const ctx = await alice.call('GET', `${r(room)}/context/${encodeURIComponent(ids[4]!)}?limit=4`);
  t.is(ctx.status, 200);
  t.is(ctx.body.event.content.body, 'c4');
  t.deepEqual(bodies(ctx.body.events_before), ['c3', 'c2']);
  t.deepEqual(bodies(ctx.body.events_after), ['c5', 'c6']);
  t.true(ctx.body.state.some((e: any) => e.type === 'm.room.create'));
  // Paging on from the context's tokens continues without a gap.
  const next = await alice.call('GET', `${r(room)}/messages?dir=f&from=${ctx.body.end}&limit=2`);
  t.deepEqual(bodies(next.body.chunk), ['c7', 'c8']);
  const prev = await alice.call('GET', `${r(room)}/messages?dir=b&from=${ctx.body.start}&limit=2`);
  t.deepEqual(bodies(prev.body.chunk), ['c1', 'c0']);

  const members = await alice.call('GET', `${r(room)}/members`);
  t.deepEqual(members.body.chunk.map((e: any) => e.state_key).sort(), [alice.userId, bob.userId].sort());
  await bob.call('POST', `${r(room)}/leave`, {});
  const joinedOnly = await alice.call('GET', `${r(room)}/members?membership=join`);
  t.deepEqual(joinedOnly.body.chunk.map((e: any) => e.state_key), [alice.userId]);
  const notJoined = await alice.call('GET', `${r(room)}/members?not_membership=join`);
  t.deepEqual(notJoined.body.chunk.map((e: any) => e.state_key), [bob.userId]);
  const atStart = await alice.call('GET', `${r(room)}/members?at=${ctx.body.start}&membership=join`);
  t.deepEqual(atStart.body.chunk.map((e: any) => e.state_key).sort(), [alice.userId, bob.userId].sort(), 'members at an earlier point');
  t.is((await alice.call('GET', `${r(room)}/members?membership=dancing`)).body.errcode, 'M_INVALID_PARAM');
  const jm = await alice.call('GET', `${r(room)}/joined_members`);
  t.deepEqual(Object.keys(jm.body.joined), [alice.userId]);
  const missing = await alice.call('GET', `${r(room)}/context/${encodeURIComponent('$missing')}`);
  t.is(missing.status, 404);
});
