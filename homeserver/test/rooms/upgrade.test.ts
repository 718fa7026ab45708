import test from 'ava';
import { createRoom, enc, join, registerUser, room, send, setState, startRoomsServer, text, type TestUser } from './support.js';

async function stateOf(user: TestUser, roomId: string): Promise<Array<{ type: string; state_key: string; content: any; sender: string; event_id: string }>> {
  const res = await user.call('GET', `${room(roomId)}/state`);
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  return res.body;
}
const find = (state: Awaited<ReturnType<typeof stateOf>>, type: string, key = '') => state.find((e) => e.type === type && e.state_key === key);

test('upgrade: v11 to v11 copies state, moves aliases and the directory entry, tombstones and silences the old room', async (t) => {
  const s = await startRoomsServer(t);
  const [alice, bob, carol, mallory] = await Promise.all(['alice', 'bob', 'carol', 'mallory'].map((u) => registerUser(s, u))) as TestUser[];
  const old = await createRoom(alice!, {
    preset: 'public_chat',
    visibility: 'public',
    name: 'Old',
    topic: 'Topic',
    room_alias_name: 'main',
    initial_state: [
      { type: 'm.room.encryption', content: { algorithm: 'm.megolm.v1.aes-sha2' } },
      { type: 'm.room.server_acl', content: { allow: ['*'], deny: ['evil.test'], allow_ip_literals: false } },
      { type: 'm.room.avatar', content: { url: 'mxc://hs.test/av' } },
      { type: 'org.example.custom', content: { keep: false } },
    ],
  });
  await alice!.call('PUT', `/_matrix/client/v3/directory/room/${enc('#second:hs.test')}`, { room_id: old });
  await setState(alice!, old, 'm.room.canonical_alias', { alias: '#main:hs.test', alt_aliases: ['#second:hs.test', '#remote:elsewhere.test'] });
  await join(bob!, old);
  await join(mallory!, old);
  const pl = (await alice!.call('GET', `${room(old)}/state/m.room.power_levels`)).body;
  pl.users[bob!.userId] = 50;
  await setState(alice!, old, 'm.room.power_levels', pl);
  await alice!.call('POST', `${room(old)}/ban`, { user_id: mallory!.userId, reason: 'spam' });
  await alice!.call('POST', `${room(old)}/invite`, { user_id: carol!.userId });
  const last = await send(alice!, old, text('last words'));

  const res = await alice!.call('POST', `${room(old)}/upgrade`, { new_version: '11' });
  t.is(res.status, 200, JSON.stringify(res.body));
  const replacement = res.body.replacement_room as string;
  t.regex(replacement, /^!.+:hs\.test$/);
  t.not(replacement, old);

  const fresh = await stateOf(alice!, replacement);
  const create = find(fresh, 'm.room.create')!;
  t.deepEqual(create.content, { room_version: '11', predecessor: { room_id: old, event_id: last } });
  t.is(create.sender, alice!.userId);
  t.is(find(fresh, 'm.room.name')?.content.name, 'Old');
  t.is(find(fresh, 'm.room.topic')?.content.topic, 'Topic');
  t.is(find(fresh, 'm.room.avatar')?.content.url, 'mxc://hs.test/av');
  t.is(find(fresh, 'm.room.encryption')?.content.algorithm, 'm.megolm.v1.aes-sha2');
  t.deepEqual(find(fresh, 'm.room.server_acl')?.content.deny, ['evil.test']);
  t.is(find(fresh, 'm.room.join_rules')?.content.join_rule, 'public');
  t.is(find(fresh, 'm.room.guest_access')?.content.guest_access, 'forbidden');
  t.is(find(fresh, 'm.room.history_visibility')?.content.history_visibility, 'shared');
  t.deepEqual(find(fresh, 'm.room.power_levels')?.content.users, { [alice!.userId]: 100, [bob!.userId]: 50 });
  t.is(find(fresh, 'org.example.custom'), undefined, 'custom state is not copied');
  t.deepEqual(find(fresh, 'm.room.canonical_alias')?.content, { alias: '#main:hs.test', alt_aliases: ['#second:hs.test'] });
  t.like(find(fresh, 'm.room.member', mallory!.userId)?.content, { membership: 'ban', reason: 'spam' });
  t.is(find(fresh, 'm.room.member', carol!.userId), undefined, 'invites are not copied');
  t.is(find(fresh, 'm.room.member', bob!.userId), undefined, 'members join by themselves');

  const oldState = await stateOf(alice!, old);
  t.deepEqual(find(oldState, 'm.room.tombstone')?.content, { body: 'This room has been replaced', replacement_room: replacement });
  t.deepEqual(find(oldState, 'm.room.canonical_alias')?.content, { alt_aliases: ['#remote:elsewhere.test'] });
  const oldPl = find(oldState, 'm.room.power_levels')!.content;
  t.is(oldPl.events_default, 50);
  t.is(oldPl.invite, 50);
  t.is((await s.request('GET', `/_matrix/client/v3/directory/room/${enc('#main:hs.test')}`)).body.room_id, replacement);
  t.is((await s.request('GET', `/_matrix/client/v3/directory/room/${enc('#second:hs.test')}`)).body.room_id, replacement);
  t.deepEqual((await s.request('GET', `/_matrix/client/v3/directory/list/room/${enc(old)}`)).body, { visibility: 'private' });
  t.deepEqual((await s.request('GET', `/_matrix/client/v3/directory/list/room/${enc(replacement)}`)).body, { visibility: 'public' });
  const silenced = await bob!.call('PUT', `${room(old)}/send/m.room.message/txn-silenced`, text('still here?'));
  t.is(silenced.status, 200, 'bob is a moderator (50) and may still speak');
  await join(carol!, old);
  t.is((await carol!.call('PUT', `${room(old)}/send/m.room.message/txn-carol`, text('hello'))).status, 403, 'ordinary members may not');
  await join(bob!, replacement);
  t.is((await mallory!.call('POST', `${room(replacement)}/join`, {})).status, 403, 'the ban carried over');
});

test('upgrade: to v12 makes the upgrader the creator, with additional creators and the tombstone level above state_default', async (t) => {
  const s = await startRoomsServer(t);
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((u) => registerUser(s, u))) as TestUser[];
  const old = await createRoom(alice!, { preset: 'public_chat', room_version: '11', name: 'To twelve', creation_content: { type: 'm.space' } });
  await join(bob!, old);
  await join(carol!, old);
  const child = '!child:hs.test';
  await setState(alice!, old, 'm.space.child', { via: ['hs.test'] }, child);
  await setState(alice!, old, 'm.space.child', {}, '!removed:hs.test');
  const pl = (await alice!.call('GET', `${room(old)}/state/m.room.power_levels`)).body;
  pl.users[bob!.userId] = 100;
  pl.users[carol!.userId] = 20;
  await setState(alice!, old, 'm.room.power_levels', pl);

  const res = await bob!.call('POST', `${room(old)}/upgrade`, { new_version: '12', additional_creators: [alice!.userId] });
  t.is(res.status, 200, JSON.stringify(res.body));
  const replacement = res.body.replacement_room as string;
  t.regex(replacement, /^![A-Za-z0-9_-]{43}$/, 'v12 room IDs are hashes');
  const fresh = await stateOf(bob!, replacement);
  const create = find(fresh, 'm.room.create')!;
  t.deepEqual(create.content, { room_version: '12', predecessor: { room_id: old }, type: 'm.space', additional_creators: [alice!.userId] });
  t.is(create.sender, bob!.userId);
  const newPl = find(fresh, 'm.room.power_levels')!.content;
  t.deepEqual(newPl.users, { [carol!.userId]: 20 }, 'creators are not listed in users');
  t.true(newPl.events['m.room.tombstone'] > (newPl.state_default ?? 50));
  t.deepEqual(find(fresh, 'm.space.child', child)?.content, { via: ['hs.test'] });
  t.is(find(fresh, 'm.space.child', '!removed:hs.test'), undefined);
  // Alice, an additional creator, may do what creators do.
  await join(alice!, replacement);
  t.is((await alice!.call('PUT', `${room(replacement)}/state/m.room.name`, { name: 'mine' })).status, 200);
});

test('upgrade: from v12 back to v11 keeps the old creators on top', async (t) => {
  const s = await startRoomsServer(t);
  const alice = await registerUser(s, 'alice');
  const old = await createRoom(alice, { room_version: '12' });
  const res = await alice.call('POST', `${room(old)}/upgrade`, { new_version: '11' });
  t.is(res.status, 200, JSON.stringify(res.body));
  const fresh = await stateOf(alice, res.body.replacement_room);
  t.is(find(fresh, 'm.room.power_levels')!.content.users[alice.userId], 100);
  t.is(find(fresh, 'm.room.create')!.content.predecessor.room_id, old);
  t.is(typeof find(fresh, 'm.room.create')!.content.predecessor.event_id, 'string');
});

test('upgrade: refused without power, for unknown rooms and versions, and for bad input', async (t) => {
  const s = await startRoomsServer(t);
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((u) => registerUser(s, u))) as TestUser[];
  const old = await createRoom(alice!, { preset: 'public_chat' });
  await join(bob!, old);
  const up = (u: TestUser, body: unknown, roomId = old) => u.call('POST', `${room(roomId)}/upgrade`, body);
  const weak = await up(bob!, { new_version: '11' });
  t.is(weak.status, 403);
  t.is(weak.body.errcode, 'M_FORBIDDEN');
  t.is((await up(carol!, { new_version: '11' })).status, 403, 'not a member');
  const version = await up(alice!, { new_version: '99' });
  t.is(version.status, 400);
  t.is(version.body.errcode, 'M_UNSUPPORTED_ROOM_VERSION');
  t.is((await up(alice!, { new_version: '9' })).body.errcode, 'M_UNSUPPORTED_ROOM_VERSION', 'known but not supported');
  const unknown = await up(alice!, { new_version: '11' }, '!unknown:hs.test');
  t.is(unknown.status, 404);
  t.is(unknown.body.errcode, 'M_NOT_FOUND');
  t.is((await up(alice!, {})).body.errcode, 'M_BAD_JSON');
  t.is((await up(alice!, { new_version: 11 })).body.errcode, 'M_BAD_JSON');
  t.is((await up(alice!, { new_version: '12', additional_creators: 'bob' })).body.errcode, 'M_BAD_JSON');
  t.is((await up(alice!, { new_version: '12', additional_creators: ['not a user'] })).body.errcode, 'M_INVALID_PARAM');
  t.is((await s.request('POST', `${room(old)}/upgrade`, { new_version: '11' })).status, 401);
  // Nothing was tombstoned by the refusals.
  t.is((await alice!.call('GET', `${room(old)}/state/m.room.tombstone`)).status, 404);
});
