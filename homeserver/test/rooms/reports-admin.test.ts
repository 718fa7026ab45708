import test from 'ava';
import { createRoom, enc, join, registerAdmin, registerUser, room, send, setState, startRoomsServer, text, type TestUser } from './support.js';

const ADMIN = '/_synapse/admin/v1';

test('reports: events the reporter can see, rooms for anyone, listed for admins', async (t) => {
  const s = await startRoomsServer(t);
  const [alice, bob, carol] = (await Promise.all(['alice', 'bob', 'carol'].map((u) => registerUser(s, u)))) as TestUser[];
  const admin = await registerAdmin(s, 'root');
  const r = await createRoom(alice!, { preset: 'public_chat', name: 'Reported', room_alias_name: 'reported' });
  await setState(alice!, r, 'm.room.history_visibility', { history_visibility: 'joined' });
  const before = await send(alice!, r, text('before bob'));
  await join(bob!, r);
  const bad = await send(alice!, r, text('offensive'));

  const ok = await bob!.call('POST', `${room(r)}/report/${enc(bad)}`, { reason: 'rude', score: -100, extra: 'kept' });
  t.is(ok.status, 200);
  t.deepEqual(ok.body, {});
  t.is((await bob!.call('POST', `${room(r)}/report/${enc(bad)}`, {})).status, 200, 'reason and score are optional');
  const hidden = await bob!.call('POST', `${room(r)}/report/${enc(before)}`, { reason: 'x' });
  t.is(hidden.status, 404, 'bob cannot see what came before he joined');
  t.is(hidden.body.errcode, 'M_NOT_FOUND');
  t.is((await carol!.call('POST', `${room(r)}/report/${enc(bad)}`, { reason: 'x' })).status, 404, 'not joined');
  t.is((await bob!.call('POST', `${room(r)}/report/${enc('$missing')}`, { reason: 'x' })).status, 404);
  t.is((await bob!.call('POST', `${room('!elsewhere:hs.test')}/report/${enc(bad)}`, { reason: 'x' })).status, 404);
  const redacted = await send(alice!, r, text('soon gone'));
  await alice!.call('PUT', `${room(r)}/redact/${enc(redacted)}/txn-r1`, {});
  t.is((await bob!.call('POST', `${room(r)}/report/${enc(redacted)}`, { reason: 'x' })).status, 404, 'redacted events are gone');
  for (const [body, code] of [
    [{ reason: 5 }, 'M_BAD_JSON'],
    [{ score: 'bad' }, 'M_BAD_JSON'],
    [{ score: 1.5 }, 'M_BAD_JSON'],
    [{ score: -101 }, 'M_INVALID_PARAM'],
    [{ score: 1 }, 'M_INVALID_PARAM'],
  ] as const) {
    const res = await bob!.call('POST', `${room(r)}/report/${enc(bad)}`, body);
    t.is(res.status, 400, JSON.stringify(body));
    t.is(res.body.errcode, code, JSON.stringify(body));
  }

  t.is((await carol!.call('POST', `${room(r)}/report`, { reason: 'whole room' })).status, 200, 'room reports need no membership');
  t.is((await carol!.call('POST', `${room('!unknown:hs.test')}/report`, { reason: 'x' })).status, 404);
  t.is((await carol!.call('POST', `${room(r)}/report`, {})).body.errcode, 'M_BAD_JSON', 'a room report needs a reason');
  t.is((await s.request('POST', `${room(r)}/report`, { reason: 'x' })).status, 401);

  // The admin API lists event reports, newest first by default.
  t.is((await bob!.call('GET', `${ADMIN}/event_reports`)).status, 403);
  t.is((await s.request('GET', `${ADMIN}/event_reports`)).status, 401);
  const listed = await admin.call('GET', `${ADMIN}/event_reports`);
  t.is(listed.status, 200);
  t.is(listed.body.total, 2);
  t.is(listed.body.next_token, undefined);
  const [newest, oldest] = listed.body.event_reports;
  t.like(oldest, { event_id: bad, room_id: r, user_id: bob!.userId, reason: 'rude', score: -100, sender: alice!.userId, name: 'Reported', canonical_alias: '#reported:hs.test' });
  t.like(newest, { reason: null, score: null });
  t.true(newest.id > oldest.id);
  const page = await admin.call('GET', `${ADMIN}/event_reports?limit=1&dir=f`);
  t.deepEqual(page.body.event_reports.map((e: any) => e.id), [oldest.id]);
  t.is(page.body.next_token, 1);
  t.is((await admin.call('GET', `${ADMIN}/event_reports?user_id=${enc(carol!.userId)}`)).body.total, 0);
  t.is((await admin.call('GET', `${ADMIN}/event_reports?room_id=${enc(r)}`)).body.total, 2);
  t.is((await admin.call('GET', `${ADMIN}/event_reports?event_sender_user_id=${enc(alice!.userId)}`)).body.total, 2);
  t.is((await admin.call('GET', `${ADMIN}/event_reports?event_sender_user_id=${enc(bob!.userId)}`)).body.total, 0);
  for (const q of ['limit=-1', 'from=x', 'dir=up']) t.is((await admin.call('GET', `${ADMIN}/event_reports?${q}`)).body.errcode, 'M_INVALID_PARAM', q);

  const one = await admin.call('GET', `${ADMIN}/event_reports/${oldest.id}`);
  t.is(one.status, 200);
  t.like(one.body, { id: oldest.id, event_id: bad, reason: 'rude' });
  t.is(one.body.event_json.content.body, 'offensive');
  t.is(one.body.event_json.sender, alice!.userId);
  t.is((await admin.call('GET', `${ADMIN}/event_reports/999999`)).status, 404);
  t.is((await admin.call('GET', `${ADMIN}/event_reports/abc`)).body.errcode, 'M_INVALID_PARAM');
  t.is((await admin.call('DELETE', `${ADMIN}/event_reports/${oldest.id}`)).status, 200);
  t.is((await admin.call('GET', `${ADMIN}/event_reports/${oldest.id}`)).status, 404);
  t.is((await admin.call('DELETE', `${ADMIN}/event_reports/${oldest.id}`)).status, 404);
  t.is((await bob!.call('DELETE', `${ADMIN}/event_reports/${newest.id}`)).status, 403);
});

test('admin rooms: list with order, search, filters and pages; details; members', async (t) => {
  const s = await startRoomsServer(t);
  const [alice, bob] = (await Promise.all(['alice', 'bob'].map((u) => registerUser(s, u)))) as TestUser[];
  const admin = await registerAdmin(s, 'root');
  const a = await createRoom(alice!, { name: 'Alpha', room_alias_name: 'alpha', initial_state: [{ type: 'm.room.encryption', content: { algorithm: 'm.megolm.v1.aes-sha2' } }] });
  const b = await createRoom(bob!, { name: 'Bravo', preset: 'public_chat', visibility: 'public' });
  await join(alice!, b);
  const c = await createRoom(alice!, { name: 'Charlie', room_version: '12', creation_content: { type: 'm.space' } });
  await alice!.call('POST', `${room(c)}/leave`, {});

  t.is((await alice!.call('GET', `${ADMIN}/rooms`)).status, 403);
  t.is((await s.request('GET', `${ADMIN}/rooms`)).status, 401);
  const res = await admin.call('GET', `${ADMIN}/rooms`);
  t.is(res.status, 200);
  t.is(res.body.total_rooms, 3);
  t.is(res.body.offset, 0);
  t.is(res.body.next_batch, undefined);
  t.deepEqual(res.body.rooms.map((x: any) => x.name), ['Alpha', 'Bravo', 'Charlie']);
  t.deepEqual(res.body.rooms[0], {
    room_id: a,
    name: 'Alpha',
    canonical_alias: '#alpha:hs.test',
    joined_members: 1,
    joined_local_members: 1,
    version: '11',
    creator: alice!.userId,
    encryption: 'm.megolm.v1.aes-sha2',
    federatable: true,
    public: false,
    join_rules: 'invite',
    guest_access: 'can_join',
    history_visibility: 'shared',
    state_events: 9,
    room_type: null,
  });
  t.like(res.body.rooms[2], { room_id: c, joined_members: 0, version: '12', room_type: 'm.space' });

  const names = async (q: string) => (await admin.call('GET', `${ADMIN}/rooms?${q}`)).body.rooms.map((x: any) => x.name);
  t.deepEqual(await names('dir=b'), ['Charlie', 'Bravo', 'Alpha']);
  t.deepEqual(await names('order_by=joined_members'), ['Bravo', 'Alpha', 'Charlie']);
  t.deepEqual(await names('order_by=size&dir=b'), ['Charlie', 'Alpha', 'Bravo']);
  t.deepEqual(await names('search_term=rav'), ['Bravo']);
  t.deepEqual(await names('search_term=ALPH'), ['Alpha'], 'name or the local part of the canonical alias');
  t.deepEqual(await names(`search_term=${enc(c)}`), ['Charlie']);
  t.deepEqual(await names('public_rooms=true'), ['Bravo']);
  t.deepEqual(await names('public_rooms=false'), ['Alpha', 'Charlie']);
  t.deepEqual(await names('empty_rooms=true'), ['Charlie']);
  t.deepEqual(await names('empty_rooms=false'), ['Alpha', 'Bravo']);
  const p1 = await admin.call('GET', `${ADMIN}/rooms?limit=2`);
  t.is(p1.body.next_batch, 2);
  t.is(p1.body.prev_batch, undefined);
  const p2 = await admin.call('GET', `${ADMIN}/rooms?limit=2&from=2`);
  t.deepEqual(p2.body.rooms.map((x: any) => x.name), ['Charlie']);
  t.is(p2.body.prev_batch, 0);
  t.is(p2.body.offset, 2);
  for (const q of ['order_by=colour', 'dir=sideways', 'limit=x', 'from=-1', 'search_term=', 'public_rooms=yes']) {
    const bad = await admin.call('GET', `${ADMIN}/rooms?${q}`);
    t.is(bad.status, 400, q);
    t.is(bad.body.errcode, 'M_INVALID_PARAM', q);
  }

  const detail = await admin.call('GET', `${ADMIN}/rooms/${enc(b)}`);
  t.is(detail.status, 200);
  t.like(detail.body, { room_id: b, name: 'Bravo', joined_members: 2, public: true, join_rules: 'public', topic: null, avatar: null, forgotten: false, tombstoned: false, replacement_room: null });
  const upgraded = await bob!.call('POST', `${room(b)}/upgrade`, { new_version: '11' });
  const afterUpgrade = await admin.call('GET', `${ADMIN}/rooms/${enc(b)}`);
  t.like(afterUpgrade.body, { tombstoned: true, replacement_room: upgraded.body.replacement_room, public: false });
  await alice!.call('POST', `${room(c)}/forget`, {});
  t.true((await admin.call('GET', `${ADMIN}/rooms/${enc(c)}`)).body.forgotten);
  t.is((await admin.call('GET', `${ADMIN}/rooms/${enc('!unknown:hs.test')}`)).status, 404);

  const members = await admin.call('GET', `${ADMIN}/rooms/${enc(b)}/members`);
  t.deepEqual(members.body, { members: [alice!.userId, bob!.userId].sort(), total: 2 });
  t.deepEqual((await admin.call('GET', `${ADMIN}/rooms/${enc(c)}/members`)).body, { members: [], total: 0 });
  const unknownMembers = await admin.call('GET', `${ADMIN}/rooms/${enc('!unknown:hs.test')}/members`);
  t.is(unknownMembers.status, 404);
  t.is(unknownMembers.body.errcode, 'M_NOT_FOUND');
  t.is((await bob!.call('GET', `${ADMIN}/rooms/${enc(b)}/members`)).status, 403);
});
