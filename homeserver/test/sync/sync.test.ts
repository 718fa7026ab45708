import test from 'ava';
import { registerUser, txn, type TestUser } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';
import { aliceAndBobInRoom } from './support.js';

const open = { HS_OPEN_REGISTRATION: '1', HS_RATE_LIMIT_REGISTER_BURST: '100' };
const r = (roomId: string) => `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;

async function sync(user: TestUser, params: Record<string, string> = {}) {
  const res = await user.call('GET', `/_matrix/client/v3/sync?${new URLSearchParams(params)}`);
  if (res.status !== 200) throw new Error(`sync: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const messages = (room: any) => (room?.timeline?.events ?? []).filter((e: any) => e.type === 'm.room.message').map((e: any) => e.content.body);

test('initial sync: joined room with state, timeline, summary and counts; then an empty incremental sync', async (t) => {
  const s = await startTestServer(t, open);
  const alice = await registerUser(s, 'alice');
  const room = (await alice.call('POST', '/_matrix/client/v3/createRoom', { name: 'Hello' })).body.room_id;
  await alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'one' });
  const first = await sync(alice);
  t.regex(first.next_batch, /^s\d+(_\d+){6}$/);
  const joined = first.rooms.join[room];
  t.truthy(joined);
  t.deepEqual(messages(joined), ['one']);
  const everything = [...joined.state.events, ...joined.timeline.events];
  t.true(everything.some((e: any) => e.type === 'm.room.name' && e.content.name === 'Hello'));
  t.true(everything.some((e: any) => e.type === 'm.room.create'));
  t.is(joined.summary['m.joined_member_count'], 1);
  t.deepEqual(joined.unread_notifications, { notification_count: 0, highlight_count: 0 });
  t.deepEqual(first.account_data.events.filter((e: any) => e.type === 'm.push_rules'), []);
  const started = Date.now();
  const second = await sync(alice, { since: first.next_batch, timeout: '0' });
  t.true(Date.now() - started < 2000);
  t.deepEqual(second.rooms.join, {});
  t.is(second.next_batch, first.next_batch);
});

test('long-poll returns as soon as a message arrives, and every message arrives exactly once', async (t) => {
  const { alice, bob, room } = await aliceAndBobInRoom(t, open);
  let since = (await sync(bob)).next_batch;

  const total = 1000;
  const sending = (async () => {
    for (let i = 0; i < total; i++) {
      const res = await alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: `n${i}` });
      if (res.status !== 200) throw new Error(JSON.stringify(res.body));
    }
  })();
  const received: string[] = [];
  const deadline = Date.now() + 90_000;
  while (received.length < total && Date.now() < deadline) {
    const res = await sync(bob, { since, timeout: '10000', filter: JSON.stringify({ room: { timeline: { limit: 50 } } }) });
    const joined = res.rooms.join[room];
    if (joined?.timeline.limited) {
      // Fill the gap from /messages, exactly as a client does.
      let from = joined.timeline.prev_batch;
      const gap: string[] = [];
      const boundary = received[received.length - 1];
      for (;;) {
        const page = await bob.call('GET', `${r(room)}/messages?dir=b&limit=100&from=${from}`);
        const bodies = page.body.chunk.filter((e: any) => e.type === 'm.room.message').map((e: any) => e.content.body);
        const stop = boundary === undefined ? -1 : bodies.indexOf(boundary);
        gap.push(...(stop >= 0 ? bodies.slice(0, stop) : bodies));
        if (stop >= 0 || !page.body.end) break;
        from = page.body.end;
      }
      received.push(...gap.reverse());
    }
    received.push(...messages(joined));
    since = res.next_batch;
  }
  await sending;
  t.is(received.length, total);
  t.deepEqual(received, Array.from({ length: total }, (_, i) => `n${i}`));
});

test('a long-poll from an up-to-date token waits for what concerns its user, and times out empty', async (t) => {
  const { alice, bob, room } = await aliceAndBobInRoom(t, open);
  let since = (await sync(bob)).next_batch;
  // Waits while nothing happens, then answers with no news and the same token.
  let started = Date.now();
  const idle = await sync(bob, { since, timeout: '600' });
  t.true(Date.now() - started >= 550, 'it waited for its timeout');
  t.deepEqual(idle.rooms.join, {});
  t.is(idle.next_batch, since);

  // Each kind of change wakes a waiting sync at once and is in its answer.
  const changes: Array<[string, () => Promise<unknown>, (body: any) => boolean]> = [
    ['a message', () => alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'wake' }), (b) => messages(b.rooms.join[room]).includes('wake')],
    [
      'a to-device message',
      () => alice.call('PUT', `/_matrix/client/v3/sendToDevice/org.example.ping/${txn()}`, { messages: { [bob.userId]: { [bob.deviceId]: { n: 1 } } } }),
      (b) => b.to_device.events.some((e: any) => e.type === 'org.example.ping'),
    ],
    [
      'own account data',
      () => bob.call('PUT', `/_matrix/client/v3/user/${encodeURIComponent(bob.userId)}/account_data/org.example.pref`, { on: true }),
      (b) => b.account_data.events.some((e: any) => e.type === 'org.example.pref'),
    ],
    [
      'an invite',
      async () => {
        const other = (await alice.call('POST', '/_matrix/client/v3/createRoom', {})).body.room_id;
        await alice.call('POST', `${r(other)}/invite`, { user_id: bob.userId });
      },
      (b) => Object.keys(b.rooms.invite).length === 1,
    ],
  ];
  for (const [what, change, seen] of changes) {
    started = Date.now();
    const waiting = sync(bob, { since, timeout: '20000' });
    await new Promise((res) => setTimeout(res, 200));
    await change();
    const body = await waiting;
    t.true(Date.now() - started < 10_000, what);
    t.true(seen(body), what);
    t.not(body.next_batch, since, what);
    since = body.next_batch;
  }

  // full_state asks for every room again, even from an up-to-date token: no waiting.
  started = Date.now();
  const full = await sync(bob, { since, timeout: '20000', full_state: 'true' });
  t.true(Date.now() - started < 10_000);
  t.truthy(full.rooms.join[room]);
});

test('a limited timeline continues seamlessly through /messages from prev_batch', async (t) => {
  const s = await startTestServer(t, open);
  const alice = await registerUser(s, 'alice');
  const room = (await alice.call('POST', '/_matrix/client/v3/createRoom', {})).body.room_id;
  const since = (await sync(alice)).next_batch;
  for (let i = 0; i < 30; i++) await alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: `p${i}` });
  const res = await sync(alice, { since, filter: JSON.stringify({ room: { timeline: { limit: 5 } } }) });
  const joined = res.rooms.join[room];
  t.true(joined.timeline.limited);
  t.deepEqual(messages(joined), ['p25', 'p26', 'p27', 'p28', 'p29']);
  const page = await alice.call('GET', `${r(room)}/messages?dir=b&limit=25&from=${joined.timeline.prev_batch}`);
  t.deepEqual(page.body.chunk.map((e: any) => e.content.body), Array.from({ length: 25 }, (_, i) => `p${24 - i}`));
});

test('typing shows up in ephemeral and expires', async (t) => {
  const { alice, bob, room } = await aliceAndBobInRoom(t, open);
  const since = (await sync(bob)).next_batch;
  t.is((await alice.call('PUT', `${r(room)}/typing/${encodeURIComponent(alice.userId)}`, { typing: true, timeout: 800 })).status, 200);
  const typing = await sync(bob, { since, timeout: '5000' });
  const ephemeral = typing.rooms.join[room].ephemeral.events.find((e: any) => e.type === 'm.typing');
  t.deepEqual(ephemeral.content.user_ids, [alice.userId]);
  const expired = await sync(bob, { since: typing.next_batch, timeout: '5000' });
  const after = expired.rooms.join[room].ephemeral.events.find((e: any) => e.type === 'm.typing');
  t.deepEqual(after.content.user_ids, [], 'the timeout ended the typing notice');
  const forOther = await alice.call('PUT', `${r(room)}/typing/${encodeURIComponent(bob.userId)}`, { typing: true });
  t.is(forOther.status, 403);
  const badBody = await alice.call('PUT', `${r(room)}/typing/${encodeURIComponent(alice.userId)}`, { typing: 'yes' });
  t.is(badBody.body.errcode, 'M_BAD_JSON');
});

test('receipts: public ones reach others, private ones only their owner; unread counts drop', async (t) => {
  const { alice, bob, room } = await aliceAndBobInRoom(t, open);
  const e1 = (await alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'hello there' })).body.event_id;
  const e2 = (await alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: `hey ${bob.userId}` })).body.event_id;
  const before = await sync(bob);
  t.deepEqual(before.rooms.join[room].unread_notifications, { notification_count: 2, highlight_count: 1 });
  const aliceSince = (await sync(alice)).next_batch;

  t.is((await bob.call('POST', `${r(room)}/receipt/m.read.private/${encodeURIComponent(e1)}`, {})).status, 200);
  const own = await sync(bob, { since: before.next_batch, timeout: '3000' });
  const ownReceipt = own.rooms.join[room].ephemeral.events.find((e: any) => e.type === 'm.receipt');
  t.truthy(ownReceipt.content[e1]['m.read.private'][bob.userId].ts);
  t.deepEqual(own.rooms.join[room].unread_notifications, { notification_count: 1, highlight_count: 1 });
  const aliceView = await sync(alice, { since: aliceSince, timeout: '500' });
  t.is(aliceView.rooms.join[room], undefined, 'a private receipt is not shown to others');

  t.is((await bob.call('POST', `${r(room)}/receipt/m.read/${encodeURIComponent(e2)}`, { thread_id: 'main' })).status, 200);
  const pub = await sync(alice, { since: aliceView.next_batch, timeout: '3000' });
  const receipt = pub.rooms.join[room].ephemeral.events.find((e: any) => e.type === 'm.receipt');
  t.is(receipt.content[e2]['m.read'][bob.userId].thread_id, 'main');
  const counts = await sync(bob);
  t.deepEqual(counts.rooms.join[room].unread_notifications, { notification_count: 0, highlight_count: 0 });

  t.is((await bob.call('POST', `${r(room)}/read_markers`, { 'm.fully_read': e2 })).status, 200);
  const marker = await sync(bob);
  t.is(marker.rooms.join[room].account_data.events.find((e: any) => e.type === 'm.fully_read').content.event_id, e2);
  t.is((await bob.call('POST', `${r(room)}/receipt/m.bogus/${encodeURIComponent(e2)}`, {})).body.errcode, 'M_INVALID_PARAM');
  t.is((await bob.call('POST', `${r(room)}/receipt/m.read/${encodeURIComponent('$nope')}`, {})).status, 404);
});

test('presence: set, seen by room-mates only, offline after idling', async (t) => {
  const s = await startTestServer(t, { ...open, HS_PRESENCE_OFFLINE_AFTER_MS: '1500' });
  const [alice, bob, carol] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob'), registerUser(s, 'carol')]);
  const room = (await alice.call('POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' })).body.room_id;
  await bob.call('POST', `${r(room)}/join`, {});
  t.is((await alice.call('PUT', `/_matrix/client/v3/presence/${encodeURIComponent(alice.userId)}/status`, { presence: 'unavailable', status_msg: 'lunch' })).status, 200);
  const seen = await bob.call('GET', `/_matrix/client/v3/presence/${encodeURIComponent(alice.userId)}/status`);
  t.is(seen.body.presence, 'unavailable');
  t.is(seen.body.status_msg, 'lunch');
  t.is(typeof seen.body.last_active_ago, 'number');
  const stranger = await carol.call('GET', `/_matrix/client/v3/presence/${encodeURIComponent(alice.userId)}/status`);
  t.is(stranger.status, 403);
  const bobSync = await sync(bob);
  t.true(bobSync.presence.events.some((e: any) => e.sender === alice.userId && e.content.status_msg === 'lunch'));
  const carolSync = await sync(carol);
  t.false(carolSync.presence.events.some((e: any) => e.sender === alice.userId));
  t.is((await bob.call('PUT', `/_matrix/client/v3/presence/${encodeURIComponent(alice.userId)}/status`, { presence: 'online' })).status, 403);
  // No sync from alice for longer than the idle time: offline.
  await new Promise((resolve) => setTimeout(resolve, 3500));
  const later = await bob.call('GET', `/_matrix/client/v3/presence/${encodeURIComponent(alice.userId)}/status`);
  t.is(later.body.presence, 'offline');
});

test('presence: people one starts sharing a room with show as they are now, not only on their next change', async (t) => {
  const s = await startTestServer(t, open);
  const [alice, bob] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob')]);
  t.is((await alice.call('PUT', `/_matrix/client/v3/presence/${encodeURIComponent(alice.userId)}/status`, { presence: 'online', status_msg: 'here' })).status, 200);
  const room = (await alice.call('POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' })).body.room_id;
  const before = await sync(bob);
  t.false(before.presence.events.some((e: any) => e.sender === alice.userId));
  await bob.call('POST', `${r(room)}/join`, {});
  const after = await sync(bob, { since: before.next_batch });
  t.true(after.presence.events.some((e: any) => e.sender === alice.userId && e.content.status_msg === 'here'));
  // A sync from a position after the join brings nothing again.
  const aliceNext = await sync(alice, { since: (await sync(alice)).next_batch });
  t.false(aliceNext.presence.events.some((e: any) => e.sender === bob.userId), 'nothing new once it was seen');
});

test('invite and leave sections; left rooms show on request; forgotten rooms do not', async (t) => {
  const s = await startTestServer(t, open);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  const room = (await alice.call('POST', '/_matrix/client/v3/createRoom', { name: 'Secret club', preset: 'private_chat' })).body.room_id;
  const since = (await sync(bob)).next_batch;
  await alice.call('POST', `${r(room)}/invite`, { user_id: bob.userId });
  const invited = await sync(bob, { since, timeout: '5000' });
  const state = invited.rooms.invite[room].invite_state.events;
  t.true(state.some((e: any) => e.type === 'm.room.name' && e.content.name === 'Secret club'));
  t.true(state.some((e: any) => e.type === 'm.room.member' && e.state_key === bob.userId && e.content.membership === 'invite'));
  await bob.call('POST', `${r(room)}/join`, {});
  const joined = await sync(bob, { since: invited.next_batch, timeout: '5000' });
  t.truthy(joined.rooms.join[room]);
  t.true(joined.rooms.join[room].state.events.some((e: any) => e.type === 'm.room.name') || joined.rooms.join[room].timeline.events.some((e: any) => e.type === 'm.room.name'));
  await alice.call('POST', `${r(room)}/kick`, { user_id: bob.userId, reason: 'bye' });
  const left = await sync(bob, { since: joined.next_batch, timeout: '5000' });
  const leave = left.rooms.leave[room];
  t.truthy(leave);
  t.is(leave.timeline.events.at(-1).content.membership, 'leave');
  t.is((await sync(bob)).rooms.leave[room], undefined, 'not in a first sync unless asked');
  const withLeave = await sync(bob, { filter: JSON.stringify({ room: { include_leave: true } }) });
  t.truthy(withLeave.rooms.leave[room]);
  await bob.call('POST', `${r(room)}/forget`, {});
  const forgotten = await sync(bob, { filter: JSON.stringify({ room: { include_leave: true } }) });
  t.is(forgotten.rooms.leave[room], undefined);
});

test('filters: stored and inline, rooms, types; lazy-loaded members', async (t) => {
  const s = await startTestServer(t, open);
  const [alice, bob, carol] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob'), registerUser(s, 'carol')]);
  const room = (await alice.call('POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' })).body.room_id;
  const other = (await alice.call('POST', '/_matrix/client/v3/createRoom', {})).body.room_id;
  await bob.call('POST', `${r(room)}/join`, {});
  await carol.call('POST', `${r(room)}/join`, {});
  for (let i = 0; i < 5; i++) await bob.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: `b${i}` });
  await alice.call('PUT', `${r(room)}/send/org.example.custom/${txn()}`, { x: 1 });
  const filter = { room: { rooms: [room], timeline: { limit: 3, types: ['m.room.message'] }, state: { lazy_load_members: true } } };
  const stored = await alice.call('POST', `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/filter`, filter);
  t.is(stored.status, 200);
  // The stored filter twice: the second use is answered from what the first read and checked.
  for (const f of [stored.body.filter_id, stored.body.filter_id, JSON.stringify(filter)]) {
    const res = await sync(alice, { filter: f });
    t.deepEqual(Object.keys(res.rooms.join), [room]);
    const joined = res.rooms.join[room];
    t.deepEqual(messages(joined), ['b2', 'b3', 'b4']);
    t.true(joined.timeline.limited);
    const members = joined.state.events.filter((e: any) => e.type === 'm.room.member').map((e: any) => e.state_key).sort();
    t.deepEqual(members, [alice.userId, bob.userId].sort(), 'only the senders and the user themself');
  }
  t.truthy((await sync(alice)).rooms.join[other]);
  // A filter belongs to its user: Alice's filter, read and checked above, is not Carol's to use.
  const foreign = await carol.call('GET', `/_matrix/client/v3/sync?filter=${encodeURIComponent(stored.body.filter_id)}`);
  t.is(foreign.status, 404);
  const bad = await alice.call('GET', `/_matrix/client/v3/sync?filter=${encodeURIComponent('{"room":{"timeline":{"limit":"x"}}}')}`);
  t.is(bad.body.errcode, 'M_BAD_JSON');
  const unknown = await alice.call('GET', '/_matrix/client/v3/sync?filter=12345');
  t.is(unknown.status, 404);
  const badSince = await alice.call('GET', '/_matrix/client/v3/sync?since=garbage');
  t.is(badSince.body.errcode, 'M_INVALID_PARAM');
  const noToken = await s.request('GET', '/_matrix/client/v3/sync');
  t.is(noToken.status, 401);
});

test('use_state_after gives the state at the end of the timeline', async (t) => {
  const s = await startTestServer(t, open);
  const alice = await registerUser(s, 'alice');
  const room = (await alice.call('POST', '/_matrix/client/v3/createRoom', { name: 'A' })).body.room_id;
  const first = await sync(alice, { use_state_after: 'true' });
  t.true(first.rooms.join[room].state_after.events.some((e: any) => e.type === 'm.room.name' && e.content.name === 'A'));
  t.is(first.rooms.join[room].state, undefined);
  await alice.call('PUT', `${r(room)}/state/m.room.name`, { name: 'B' });
  const next = await sync(alice, { use_state_after: 'true', since: first.next_batch });
  t.deepEqual(next.rooms.join[room].state_after.events.map((e: any) => e.content.name), ['B']);
});

test('push rules: the default rule set', async (t) => {
  const s = await startTestServer(t, open);
  const alice = await registerUser(s, 'alice');
  const res = await alice.call('GET', '/_matrix/client/v3/pushrules/');
  t.is(res.status, 200);
  t.is(res.body.global.override[0].rule_id, '.m.rule.master');
  t.false(res.body.global.override[0].enabled);
  const invite = res.body.global.override.find((x: any) => x.rule_id === '.m.rule.invite_for_me');
  t.deepEqual(invite.conditions.find((c: any) => c.key === 'state_key').pattern, alice.userId);
  t.deepEqual(res.body.global.underride.map((x: any) => x.rule_id), ['.m.rule.call', '.m.rule.encrypted_room_one_to_one', '.m.rule.room_one_to_one', '.m.rule.message', '.m.rule.encrypted']);
});

test('/sync, answered past koa, carries the same headers; its other spellings and methods still answer', async (t) => {
  const s = await startTestServer(t, open);
  const alice = await registerUser(s, 'alice');
  const auth = { authorization: `Bearer ${alice.accessToken}` };
  const plain = await s.request('GET', '/_matrix/client/v3/sync?timeout=0', undefined, auth);
  t.is(plain.status, 200);
  t.is(plain.headers.get('content-type'), 'application/json; charset=utf-8');
  t.is(plain.headers.get('access-control-allow-origin'), '*');
  t.truthy(plain.body.next_batch);
  const query = await s.request('GET', `/_matrix/client/v3/sync?timeout=0&access_token=${encodeURIComponent(alice.accessToken)}`);
  t.is(query.status, 200);
  const slash = await s.request('GET', '/_matrix/client/v3/sync/?timeout=0', undefined, auth);
  t.is(slash.status, 200);
  t.truthy(slash.body.next_batch);
  const head = await fetch(`${s.url}/_matrix/client/v3/sync?timeout=0`, { method: 'HEAD', headers: auth });
  t.is(head.status, 200);
  const options = await fetch(`${s.url}/_matrix/client/v3/sync`, { method: 'OPTIONS' });
  t.is(options.status, 204);
  const badTimeout = await s.request('GET', '/_matrix/client/v3/sync?timeout=soon', undefined, auth);
  t.deepEqual([badTimeout.status, badTimeout.body.errcode, badTimeout.headers.get('access-control-allow-origin')], [400, 'M_INVALID_PARAM', '*']);
});
