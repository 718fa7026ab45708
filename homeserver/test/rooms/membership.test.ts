import test from 'ava';
import { registerUser, type TestUser } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';

const open = { HS_OPEN_REGISTRATION: '1' };
const r = (roomId: string) => `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;

async function setup(t: Parameters<typeof startTestServer>[0]) {
  const s = await startTestServer(t, open);
  const [alice, bob, carol] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob'), registerUser(s, 'carol')]);
  const room = (await alice.call('POST', '/_matrix/client/v3/createRoom', { preset: 'private_chat' })).body.room_id as string;
  return { s, alice, bob, carol, room };
}

async function membership(user: TestUser, room: string, target: string) {
  const res = await user.call('GET', `${r(room)}/state/m.room.member/${encodeURIComponent(target)}`);
  return res.status === 200 ? res.body.membership : undefined;
}

test('invite, join, leave; joining an invite-only room uninvited is forbidden', async (t) => {
  const { alice, bob, carol, room } = await setup(t);
  const uninvited = await carol.call('POST', `${r(room)}/join`, {});
  t.is(uninvited.status, 403);
  t.is(uninvited.body.errcode, 'M_FORBIDDEN');

  t.is((await alice.call('POST', `${r(room)}/invite`, { user_id: bob.userId, reason: 'come' })).status, 200);
  t.is(await membership(alice, room, bob.userId), 'invite');
  const again = await alice.call('POST', `${r(room)}/invite`, { user_id: bob.userId });
  t.is(again.status, 200, 'a repeated invite is allowed by the rules');
  const join = await bob.call('POST', `/_matrix/client/v3/join/${encodeURIComponent(room)}`, {});
  t.is(join.status, 200);
  t.is(join.body.room_id, room);
  t.is(await membership(alice, room, bob.userId), 'join');
  const joined = await bob.call('GET', '/_matrix/client/v3/joined_rooms');
  t.deepEqual(joined.body.joined_rooms, [room]);
  const inviteJoined = await alice.call('POST', `${r(room)}/invite`, { user_id: bob.userId });
  t.is(inviteJoined.status, 403);

  t.is((await bob.call('POST', `${r(room)}/leave`, { reason: 'bye' })).status, 200);
  t.is(await membership(alice, room, bob.userId), 'leave');
  t.deepEqual((await bob.call('GET', '/_matrix/client/v3/joined_rooms')).body.joined_rooms, []);
  const leaveAgain = await bob.call('POST', `${r(room)}/leave`, {});
  t.is(leaveAgain.status, 403);
});

test('an invitee can reject the invite by leaving', async (t) => {
  const { alice, bob, room } = await setup(t);
  await alice.call('POST', `${r(room)}/invite`, { user_id: bob.userId });
  t.is((await bob.call('POST', `${r(room)}/leave`, {})).status, 200);
  t.is(await membership(alice, room, bob.userId), 'leave');
});

test('kick and ban need power; banned users cannot join until unbanned', async (t) => {
  const { alice, bob, carol, room } = await setup(t);
  await alice.call('PUT', `${r(room)}/state/m.room.join_rules`, { join_rule: 'public' });
  await bob.call('POST', `${r(room)}/join`, {});
  await carol.call('POST', `${r(room)}/join`, {});
  const bobKicks = await bob.call('POST', `${r(room)}/kick`, { user_id: carol.userId });
  t.is(bobKicks.status, 403);
  t.is(bobKicks.body.errcode, 'M_FORBIDDEN');
  t.is((await alice.call('POST', `${r(room)}/kick`, { user_id: carol.userId, reason: 'spam' })).status, 200);
  const kicked = await alice.call('GET', `${r(room)}/state/m.room.member/${encodeURIComponent(carol.userId)}?format=event`);
  t.is(kicked.body.content.membership, 'leave');
  t.is(kicked.body.content.reason, 'spam');
  t.is(kicked.body.sender, alice.userId);
  const kickAbsent = await alice.call('POST', `${r(room)}/kick`, { user_id: carol.userId });
  t.is(kickAbsent.status, 403);

  t.is((await alice.call('POST', `${r(room)}/ban`, { user_id: carol.userId })).status, 200);
  const rejoin = await carol.call('POST', `${r(room)}/join`, {});
  t.is(rejoin.status, 403);
  const bobUnbans = await bob.call('POST', `${r(room)}/unban`, { user_id: carol.userId });
  t.is(bobUnbans.status, 403);
  t.is((await alice.call('POST', `${r(room)}/unban`, { user_id: carol.userId })).status, 200);
  const unbanAgain = await alice.call('POST', `${r(room)}/unban`, { user_id: carol.userId });
  t.is(unbanAgain.status, 403);
  t.is((await carol.call('POST', `${r(room)}/join`, {})).status, 200);
});

test('knock on a knock room, then get invited in', async (t) => {
  const { alice, bob, room } = await setup(t);
  const noKnock = await bob.call('POST', `/_matrix/client/v3/knock/${encodeURIComponent(room)}`, { reason: 'let me in' });
  t.is(noKnock.status, 403, 'invite-only rooms refuse knocks');
  await alice.call('PUT', `${r(room)}/state/m.room.join_rules`, { join_rule: 'knock' });
  const knock = await bob.call('POST', `/_matrix/client/v3/knock/${encodeURIComponent(room)}`, { reason: 'let me in' });
  t.is(knock.status, 200, JSON.stringify(knock.body));
  t.is(await membership(alice, room, bob.userId), 'knock');
  await alice.call('POST', `${r(room)}/invite`, { user_id: bob.userId });
  t.is((await bob.call('POST', `${r(room)}/join`, {})).status, 200);
});

test('forget needs the user to have left first', async (t) => {
  const { alice, bob, room } = await setup(t);
  const whileJoined = await alice.call('POST', `${r(room)}/forget`, {});
  t.is(whileJoined.status, 400);
  await alice.call('POST', `${r(room)}/invite`, { user_id: bob.userId });
  await bob.call('POST', `${r(room)}/join`, {});
  await bob.call('POST', `${r(room)}/leave`, {});
  t.is((await bob.call('POST', `${r(room)}/forget`, {})).status, 200);
});

test('membership endpoints refuse bad input and unknown rooms or users', async (t) => {
  const { alice, room } = await setup(t);
  const missing = await alice.call('POST', `${r(room)}/invite`, {});
  t.is(missing.status, 400);
  t.is(missing.body.errcode, 'M_BAD_JSON');
  const badUser = await alice.call('POST', `${r(room)}/invite`, { user_id: 'bob' });
  t.is(badUser.body.errcode, 'M_INVALID_PARAM');
  const unknownUser = await alice.call('POST', `${r(room)}/invite`, { user_id: '@nobody:hs.test' });
  t.is(unknownUser.status, 404);
  const unknownRoom = await alice.call('POST', `${r('!nope:hs.test')}/join`, {});
  t.is(unknownRoom.status, 404);
  const unknownAlias = await alice.call('POST', `/_matrix/client/v3/join/${encodeURIComponent('#nope:hs.test')}`, {});
  t.is(unknownAlias.status, 404);
  const notJson = await alice.call('POST', `${r(room)}/kick`, 'nope');
  t.is(notJson.body.errcode, 'M_NOT_JSON');
});
