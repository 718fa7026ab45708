import test from 'ava';
import { createRoom, enc, join, registerAdmin, registerUser, room, setState, startRoomsServer } from './support.js';

const dir = (alias: string) => `/_matrix/client/v3/directory/room/${enc(alias)}`;
const list = (roomId: string) => `/_matrix/client/v3/directory/list/room/${enc(roomId)}`;

test('aliases: create, resolve without a token, list, and delete', async (t) => {
  const s = await startRoomsServer(t);
  const [alice, bob] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob')]);
  const r = await createRoom(alice, { preset: 'public_chat' });
  await join(bob, r);

  const put = await alice.call('PUT', dir('#lounge:hs.test'), { room_id: r });
  t.is(put.status, 200);
  t.deepEqual(put.body, {});
  const resolved = await s.request('GET', dir('#lounge:hs.test'));
  t.is(resolved.status, 200);
  t.deepEqual(resolved.body, { room_id: r, servers: ['hs.test'] });
  const taken = await bob.call('PUT', dir('#lounge:hs.test'), { room_id: r });
  t.is(taken.status, 409);
  t.is(taken.body.errcode, 'M_UNKNOWN');
  t.is((await bob.call('PUT', dir('#bobs:hs.test'), { room_id: r })).status, 200);

  const aliases = await bob.call('GET', `${room(r)}/aliases`);
  t.deepEqual(aliases.body, { aliases: ['#bobs:hs.test', '#lounge:hs.test'] });

  // Bob made #bobs and may delete it; #lounge is alice's and bob is no moderator.
  const denied = await bob.call('DELETE', dir('#lounge:hs.test'));
  t.is(denied.status, 403);
  t.is(denied.body.errcode, 'M_FORBIDDEN');
  t.is((await bob.call('DELETE', dir('#bobs:hs.test'))).status, 200);
  t.is((await s.request('GET', dir('#bobs:hs.test'))).status, 404);
  const gone = await bob.call('DELETE', dir('#bobs:hs.test'));
  t.is(gone.status, 404);
  t.is(gone.body.errcode, 'M_NOT_FOUND');
  // The room's admin may delete any alias of the room.
  await bob.call('PUT', dir('#again:hs.test'), { room_id: r });
  t.is((await alice.call('DELETE', dir('#again:hs.test'))).status, 200);
});

test('aliases: deleting the canonical alias updates m.room.canonical_alias', async (t) => {
  const s = await startRoomsServer(t);
  const alice = await registerUser(s, 'alice');
  const r = await createRoom(alice, { room_alias_name: 'main' });
  await alice.call('PUT', dir('#alt:hs.test'), { room_id: r });
  await setState(alice, r, 'm.room.canonical_alias', { alias: '#main:hs.test', alt_aliases: ['#alt:hs.test'] });
  t.is((await alice.call('DELETE', dir('#alt:hs.test'))).status, 200);
  t.deepEqual((await alice.call('GET', `${room(r)}/state/m.room.canonical_alias`)).body, { alias: '#main:hs.test' });
  t.is((await alice.call('DELETE', dir('#main:hs.test'))).status, 200);
  t.deepEqual((await alice.call('GET', `${room(r)}/state/m.room.canonical_alias`)).body, {});
});

test('aliases: invalid, foreign, unknown rooms, non-members and server admins', async (t) => {
  const s = await startRoomsServer(t);
  const [alice, bob] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob')]);
  const admin = await registerAdmin(s, 'root');
  const r = await createRoom(alice);
  for (const bad of ['lounge', '#no-server', '#has space:hs.test', '!room:hs.test']) {
    const res = await alice.call('PUT', dir(bad), { room_id: r });
    t.is(res.status, 400, bad);
    t.is(res.body.errcode, 'M_INVALID_PARAM', bad);
    t.is((await s.request('GET', dir(bad))).body.errcode, 'M_INVALID_PARAM', bad);
  }
  const foreign = await alice.call('PUT', dir('#x:elsewhere.test'), { room_id: r });
  t.is(foreign.status, 400);
  t.is(foreign.body.errcode, 'M_INVALID_PARAM');
  t.is((await alice.call('DELETE', dir('#x:elsewhere.test'))).body.errcode, 'M_INVALID_PARAM');
  t.is((await s.request('GET', dir('#x:elsewhere.test'))).status, 404);
  t.is((await s.request('GET', dir('#unknown:hs.test'))).status, 404);
  const noRoom = await alice.call('PUT', dir('#ghost:hs.test'), { room_id: '!ghost:hs.test' });
  t.is(noRoom.status, 400);
  t.is(noRoom.body.errcode, 'M_INVALID_PARAM');
  const badBody = await alice.call('PUT', dir('#typed:hs.test'), { room_id: 5 });
  t.is(badBody.status, 400);
  t.is(badBody.body.errcode, 'M_BAD_JSON');
  t.is((await alice.call('PUT', dir('#typed:hs.test'), '[]')).body.errcode, 'M_BAD_JSON');
  t.is((await s.request('PUT', dir('#typed:hs.test'), { room_id: r })).status, 401);

  const outsider = await bob.call('PUT', dir('#bob:hs.test'), { room_id: r });
  t.is(outsider.status, 403);
  t.is(outsider.body.errcode, 'M_FORBIDDEN');
  const asAdmin = await admin.call('PUT', dir('#admins:hs.test'), { room_id: r });
  t.is(asAdmin.status, 200, 'server admins need not be members');
  t.is((await bob.call('GET', `${room(r)}/aliases`)).status, 403);
  t.deepEqual((await admin.call('GET', `${room(r)}/aliases`)).body, { aliases: ['#admins:hs.test'] });
  t.is((await alice.call('GET', `${room('not-a-room')}/aliases`)).body.errcode, 'M_INVALID_PARAM');
  await alice.call('PUT', `${room(r)}/state/m.room.history_visibility`, { history_visibility: 'world_readable' });
  t.is((await bob.call('GET', `${room(r)}/aliases`)).status, 200, 'world-readable rooms show their aliases to anyone');
  const byAdmin = await admin.call('DELETE', dir('#admins:hs.test'));
  t.is(byAdmin.status, 200);
});

test('directory visibility: read without a token, changed by moderators and server admins', async (t) => {
  const s = await startRoomsServer(t);
  const [alice, bob, carol] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob'), registerUser(s, 'carol')]);
  const admin = await registerAdmin(s, 'root');
  const r = await createRoom(alice, { preset: 'public_chat' });
  const published = await createRoom(alice, { visibility: 'public' });
  await join(bob, r);
  t.deepEqual((await s.request('GET', list(r))).body, { visibility: 'private' });
  t.deepEqual((await s.request('GET', list(published))).body, { visibility: 'public' });

  const byMember = await bob.call('PUT', list(r), { visibility: 'public' });
  t.is(byMember.status, 403);
  t.is(byMember.body.errcode, 'M_FORBIDDEN');
  t.is((await carol.call('PUT', list(r), { visibility: 'public' })).status, 403);
  t.is((await alice.call('PUT', list(r), {})).status, 200, 'visibility defaults to public');
  t.deepEqual((await s.request('GET', list(r))).body, { visibility: 'public' });
  t.is((await admin.call('PUT', list(r), { visibility: 'private' })).status, 200);
  t.deepEqual((await s.request('GET', list(r))).body, { visibility: 'private' });
  // Moderators (power to set the canonical alias) may, too.
  const pl = (await alice.call('GET', `${room(r)}/state/m.room.power_levels`)).body;
  pl.users[bob.userId] = 50;
  await alice.call('PUT', `${room(r)}/state/m.room.power_levels`, pl);
  t.is((await bob.call('PUT', list(r), { visibility: 'public' })).status, 200);

  t.is((await s.request('GET', list('!unknown:hs.test'))).status, 404);
  const unknown = await alice.call('PUT', list('!unknown:hs.test'), { visibility: 'public' });
  t.is(unknown.status, 404);
  t.is(unknown.body.errcode, 'M_NOT_FOUND');
  const badValue = await alice.call('PUT', list(r), { visibility: 'secret' });
  t.is(badValue.status, 400);
  t.is(badValue.body.errcode, 'M_BAD_JSON');
  t.is((await s.request('PUT', list(r), { visibility: 'public' })).status, 401);
  t.is((await s.request('GET', list('garbage'))).body.errcode, 'M_INVALID_PARAM');
});

test('publicRooms: published joinable rooms, largest first, with search, types and pagination', async (t) => {
  const s = await startRoomsServer(t);
  const users = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((u) => registerUser(s, u)));
  const [alice, bob, carol, dave] = users as [typeof users[0], typeof users[0], typeof users[0], typeof users[0]];
  const big = await createRoom(alice, { visibility: 'public', preset: 'public_chat', name: 'Big Room', topic: 'Everything', room_alias_name: 'big' });
  for (const u of [bob, carol, dave]) await join(u, big);
  const mid = await createRoom(bob, { visibility: 'public', preset: 'public_chat', name: 'Gardening' });
  await join(carol, mid);
  const space = await createRoom(carol, { visibility: 'public', preset: 'public_chat', name: 'A Space', creation_content: { type: 'm.space' } });
  const hidden = await createRoom(dave, { visibility: 'public', preset: 'private_chat', name: 'Invite only' });
  const readable = await createRoom(dave, { visibility: 'public', preset: 'private_chat', name: 'Readable', initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'world_readable' } }] });
  await createRoom(alice, { preset: 'public_chat', name: 'Not published' });
  await setState(alice, big, 'm.room.avatar', { url: 'mxc://hs.test/avatar' });

  const res = await s.request('GET', '/_matrix/client/v3/publicRooms');
  t.is(res.status, 200);
  t.is(res.body.total_room_count_estimate, 4);
  t.deepEqual(res.body.chunk.map((c: any) => c.room_id).slice(0, 2), [big, mid]);
  t.deepEqual(res.body.chunk.map((c: any) => c.room_id).sort(), [big, mid, space, readable].sort());
  t.false(res.body.chunk.some((c: any) => c.room_id === hidden));
  t.deepEqual(res.body.chunk[0], {
    room_id: big,
    name: 'Big Room',
    topic: 'Everything',
    canonical_alias: '#big:hs.test',
    avatar_url: 'mxc://hs.test/avatar',
    num_joined_members: 4,
    world_readable: false,
    guest_can_join: false,
    join_rule: 'public',
  });
  const readableEntry = res.body.chunk.find((c: any) => c.room_id === readable);
  t.like(readableEntry, { world_readable: true, guest_can_join: true, join_rule: 'invite' });
  t.is(res.body.chunk.find((c: any) => c.room_id === space).room_type, 'm.space');

  const search = await alice.call('POST', '/_matrix/client/v3/publicRooms', { filter: { generic_search_term: 'GARDEN' } });
  t.deepEqual(search.body.chunk.map((c: any) => c.room_id), [mid]);
  const byTopic = await alice.call('POST', '/_matrix/client/v3/publicRooms', { filter: { generic_search_term: 'everyth' } });
  t.deepEqual(byTopic.body.chunk.map((c: any) => c.room_id), [big]);
  const byAlias = await alice.call('POST', '/_matrix/client/v3/publicRooms', { filter: { generic_search_term: '#big:' } });
  t.deepEqual(byAlias.body.chunk.map((c: any) => c.room_id), [big]);
  const spaces = await alice.call('POST', '/_matrix/client/v3/publicRooms', { filter: { room_types: ['m.space'] } });
  t.deepEqual(spaces.body.chunk.map((c: any) => c.room_id), [space]);
  const untyped = await alice.call('POST', '/_matrix/client/v3/publicRooms', { filter: { room_types: [null] } });
  t.false(untyped.body.chunk.some((c: any) => c.room_id === space));
  t.is(untyped.body.chunk.length, 3);
  const thirdParty = await alice.call('POST', '/_matrix/client/v3/publicRooms', { third_party_instance_id: 'irc' });
  t.deepEqual(thirdParty.body.chunk, []);

  // Paging forwards then back again.
  const p1 = await s.request('GET', '/_matrix/client/v3/publicRooms?limit=2');
  t.deepEqual(p1.body.chunk.map((c: any) => c.room_id), [big, mid]);
  t.truthy(p1.body.next_batch);
  t.is(p1.body.prev_batch, undefined);
  const p2 = await s.request('GET', `/_matrix/client/v3/publicRooms?limit=2&since=${enc(p1.body.next_batch)}`);
  t.is(p2.body.chunk.length, 2);
  t.is(p2.body.next_batch, undefined);
  t.truthy(p2.body.prev_batch);
  const back = await alice.call('POST', '/_matrix/client/v3/publicRooms', { limit: 2, since: p2.body.prev_batch });
  t.deepEqual(back.body.chunk.map((c: any) => c.room_id), [big, mid]);
  t.truthy(back.body.next_batch);
  t.is(back.body.prev_batch, undefined);

  // Updates show: a new name, and a room taken off the list.
  await setState(bob, mid, 'm.room.name', { name: 'Allotments' });
  await bob.call('PUT', list(space), { visibility: 'private' });
  await carol.call('PUT', list(space), { visibility: 'private' });
  const after = await s.request('GET', '/_matrix/client/v3/publicRooms');
  t.is(after.body.chunk.find((c: any) => c.room_id === mid).name, 'Allotments');
  t.false(after.body.chunk.some((c: any) => c.room_id === space));
});

test('publicRooms: bad input and other servers', async (t) => {
  const s = await startRoomsServer(t);
  const alice = await registerUser(s, 'alice');
  const get = (q: string) => s.request('GET', `/_matrix/client/v3/publicRooms?${q}`);
  for (const q of ['limit=abc', 'limit=-1', 'since=garbage', 'server=elsewhere.test']) {
    const res = await get(q);
    t.is(res.status, 400, q);
    t.is(res.body.errcode, 'M_INVALID_PARAM', q);
  }
  t.is((await get('server=hs.test')).status, 200);
  const post = (body: unknown, q = '') => alice.call('POST', `/_matrix/client/v3/publicRooms${q}`, body);
  t.is((await post({ limit: 'ten' })).body.errcode, 'M_BAD_JSON');
  t.is((await post({ filter: { room_types: [1] } })).body.errcode, 'M_BAD_JSON');
  t.is((await post({ since: 'garbage' })).body.errcode, 'M_INVALID_PARAM');
  t.is((await post({}, '?server=elsewhere.test')).body.errcode, 'M_INVALID_PARAM');
  t.is((await s.request('POST', '/_matrix/client/v3/publicRooms', {})).status, 401);
});

test('user directory: users sharing a room or in public rooms, by user ID or display name', async (t) => {
  const s = await startRoomsServer(t);
  const [alice, bob, carol, dave, erin] = await Promise.all(['alice', 'bob', 'carol', 'dave', 'erin'].map((u) => registerUser(s, u)));
  await bob!.call('PUT', `/_matrix/client/v3/profile/${enc(bob!.userId)}/displayname`, { displayname: 'Bobby Tables' });
  // alice and bob share a private room; carol is in a public room; dave is in nobody's room.
  const priv = await createRoom(alice!, { invite: [bob!.userId] });
  await join(bob!, priv);
  await createRoom(carol!, { preset: 'public_chat' });
  await createRoom(dave!);

  const search = (u: typeof alice, term: string, limit?: number) => u!.call('POST', '/_matrix/client/v3/user_directory/search', { search_term: term, ...(limit !== undefined ? { limit } : {}) });
  const byName = await search(alice, 'TABLES');
  t.is(byName.status, 200);
  t.deepEqual(byName.body, { limited: false, results: [{ user_id: bob!.userId, display_name: 'Bobby Tables' }] });
  t.deepEqual((await search(alice, 'caro')).body.results.map((r: any) => r.user_id), [carol!.userId], 'carol is in a public room');
  t.deepEqual((await search(alice, 'dave')).body.results, [], 'dave shares nothing with alice');
  t.deepEqual((await search(erin, 'bob')).body.results, [], 'erin shares no room with bob');
  const all = await search(alice, 'hs.test', 1);
  t.is(all.body.results.length, 1);
  t.true(all.body.limited);
  // Profile changes reach the directory; room-specific names of our users do not.
  await bob!.call('PUT', `/_matrix/client/v3/profile/${enc(bob!.userId)}/displayname`, { displayname: 'Robert' });
  t.deepEqual((await search(alice, 'robert')).body.results, [{ user_id: bob!.userId, display_name: 'Robert' }]);
  await bob!.call('PUT', `${room(priv)}/state/m.room.member/${enc(bob!.userId)}`, { membership: 'join', displayname: 'Nick In Room' });
  t.deepEqual((await search(alice, 'nick in')).body.results, []);
  // Leaving the shared room hides bob again.
  await bob!.call('POST', `${room(priv)}/leave`, {});
  t.deepEqual((await search(alice, 'robert')).body.results, []);

  t.is((await alice!.call('POST', '/_matrix/client/v3/user_directory/search', {})).body.errcode, 'M_BAD_JSON');
  t.is((await alice!.call('POST', '/_matrix/client/v3/user_directory/search', { search_term: 'x', limit: -1 })).body.errcode, 'M_BAD_JSON');
  t.is((await s.request('POST', '/_matrix/client/v3/user_directory/search', { search_term: 'x' })).status, 401);
});
