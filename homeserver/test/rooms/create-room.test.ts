import test from 'ava';
import { registerUser } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';

const open = { HS_OPEN_REGISTRATION: '1' };

async function stateOf(user: Awaited<ReturnType<typeof registerUser>>, roomId: string) {
  const res = await user.call('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`);
  return res.body as Array<{ type: string; state_key: string; content: any; sender: string; event_id: string }>;
}

test('createRoom: defaults to version 11, a private chat with the creator as admin', async (t) => {
  const s = await startTestServer(t, open);
  const alice = await registerUser(s, 'alice');
  const res = await alice.call('POST', '/_matrix/client/v3/createRoom', {});
  t.is(res.status, 200);
  t.regex(res.body.room_id, /^![A-Za-z0-9_-]+:hs\.test$/);
  const state = await stateOf(alice, res.body.room_id);
  const get = (type: string, key = '') => state.find((e) => e.type === type && e.state_key === key);
  t.is(get('m.room.create')?.content.room_version, '11');
  t.is(get('m.room.create')?.content.creator, undefined);
  t.is(get('m.room.member', alice.userId)?.content.membership, 'join');
  t.is(get('m.room.power_levels')?.content.users[alice.userId], 100);
  t.is(get('m.room.join_rules')?.content.join_rule, 'invite');
  t.is(get('m.room.history_visibility')?.content.history_visibility, 'shared');
  t.is(get('m.room.guest_access')?.content.guest_access, 'can_join');
});

test('createRoom: public_chat preset, name, topic, alias, initial_state, invites with is_direct', async (t) => {
  const s = await startTestServer(t, open);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  const res = await alice.call('POST', '/_matrix/client/v3/createRoom', {
    preset: 'public_chat',
    name: 'The Pub',
    topic: 'Happy hour',
    room_alias_name: 'pub',
    invite: [bob.userId],
    is_direct: true,
    initial_state: [
      { type: 'm.room.encryption', content: { algorithm: 'm.megolm.v1.aes-sha2' } },
      { type: 'm.room.name', content: { name: 'overridden by name' } },
    ],
    creation_content: { 'm.federate': false },
    power_level_content_override: { events_default: 10 },
  });
  t.is(res.status, 200, JSON.stringify(res.body));
  const roomId = res.body.room_id;
  const state = await stateOf(alice, roomId);
  const get = (type: string, key = '') => state.find((e) => e.type === type && e.state_key === key);
  t.is(get('m.room.join_rules')?.content.join_rule, 'public');
  t.is(get('m.room.guest_access')?.content.guest_access, 'forbidden');
  t.is(get('m.room.name')?.content.name, 'The Pub');
  t.is(get('m.room.topic')?.content.topic, 'Happy hour');
  t.deepEqual(get('m.room.topic')?.content['m.topic'], { 'm.text': [{ mimetype: 'text/plain', body: 'Happy hour' }] });
  t.is(get('m.room.canonical_alias')?.content.alias, '#pub:hs.test');
  t.is(get('m.room.encryption')?.content.algorithm, 'm.megolm.v1.aes-sha2');
  t.is(get('m.room.create')?.content['m.federate'], false);
  t.is(get('m.room.power_levels')?.content.events_default, 10);
  const invite = get('m.room.member', bob.userId);
  t.is(invite?.content.membership, 'invite');
  t.true(invite?.content.is_direct);
  // The alias resolves, so another user can join by it.
  const join = await bob.call('POST', `/_matrix/client/v3/join/${encodeURIComponent('#pub:hs.test')}`, {});
  t.is(join.status, 200);
  t.is(join.body.room_id, roomId);
  const taken = await bob.call('POST', '/_matrix/client/v3/createRoom', { room_alias_name: 'pub' });
  t.is(taken.status, 400);
  t.is(taken.body.errcode, 'M_ROOM_IN_USE');
});

for (const version of ['10', '11', '12']) {
  test(`createRoom: room version ${version} works end to end`, async (t) => {
    const s = await startTestServer(t, open);
    const alice = await registerUser(s, 'alice');
    const res = await alice.call('POST', '/_matrix/client/v3/createRoom', { room_version: version, preset: 'trusted_private_chat', invite: ['@bob:hs.test'] });
    // bob does not exist: inviting an unknown local user is refused
    t.is(res.status, 404, JSON.stringify(res.body));
    const ok = await alice.call('POST', '/_matrix/client/v3/createRoom', { room_version: version, name: 'v' + version });
    t.is(ok.status, 200, JSON.stringify(ok.body));
    const state = await stateOf(alice, ok.body.room_id);
    const create = state.find((e) => e.type === 'm.room.create')!;
    t.is(create.content.room_version, version);
    const pl = state.find((e) => e.type === 'm.room.power_levels')!;
    if (version === '12') {
      // v12: the room ID is the create event's hash and the creator is above all levels.
      t.is(ok.body.room_id, `!${create.event_id.slice(1)}`);
      t.is(pl.content.users[alice.userId], undefined);
      t.is(pl.content.events['m.room.tombstone'], 150);
    } else {
      t.is(pl.content.users[alice.userId], 100);
    }
    if (version === '10') t.is(create.content.creator, alice.userId);
    const sent = await alice.call('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(ok.body.room_id)}/send/m.room.message/t1`, { msgtype: 'm.text', body: 'hi' });
    t.is(sent.status, 200);
    t.regex(sent.body.event_id, /^\$[A-Za-z0-9_-]{43}$/);
  });
}

test('createRoom: bad input is refused with the spec errors', async (t) => {
  const s = await startTestServer(t, open);
  const alice = await registerUser(s, 'alice');
  const noToken = await s.request('POST', '/_matrix/client/v3/createRoom', {});
  t.is(noToken.status, 401);
  t.is(noToken.body.errcode, 'M_MISSING_TOKEN');
  const unsupported = await alice.call('POST', '/_matrix/client/v3/createRoom', { room_version: '9' });
  t.is(unsupported.status, 400);
  t.is(unsupported.body.errcode, 'M_UNSUPPORTED_ROOM_VERSION');
  const unknown = await alice.call('POST', '/_matrix/client/v3/createRoom', { room_version: 'xyz' });
  t.is(unknown.body.errcode, 'M_UNSUPPORTED_ROOM_VERSION');
  const wrongType = await alice.call('POST', '/_matrix/client/v3/createRoom', { name: 5 });
  t.is(wrongType.status, 400);
  t.is(wrongType.body.errcode, 'M_BAD_JSON');
  const badPreset = await alice.call('POST', '/_matrix/client/v3/createRoom', { preset: 'party' });
  t.is(badPreset.body.errcode, 'M_BAD_JSON');
  const badInvite = await alice.call('POST', '/_matrix/client/v3/createRoom', { invite: ['not-a-user'] });
  t.is(badInvite.status, 400);
  t.is(badInvite.body.errcode, 'M_INVALID_PARAM');
  const badAlias = await alice.call('POST', '/_matrix/client/v3/createRoom', { room_alias_name: 'a:b' });
  t.is(badAlias.body.errcode, 'M_INVALID_PARAM');
});
