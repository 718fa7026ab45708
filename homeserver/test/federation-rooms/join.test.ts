import test from 'ava';
import { C, enc, newUser, startServers, until, type FederationNetwork, type TestUser } from '../federation-edus/helpers.js';
import { txn } from '../helpers/client.js';

let net: FederationNetwork;
test.before(async () => {
  net = await startServers(['hs1.test', 'hs2.test']);
});
test.after.always(() => net?.close());

async function timeline(user: TestUser, roomId: string): Promise<any[]> {
  const res = await user.call('GET', `${C}/rooms/${enc(roomId)}/messages?dir=b&limit=100`);
  if (res.status !== 200) throw new Error(`messages: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.chunk;
}

async function bodies(user: TestUser, roomId: string): Promise<string[]> {
  return (await timeline(user, roomId)).filter((e) => e.type === 'm.room.message').map((e) => e.content.body).reverse();
}

test.serial('a user of another server joins a public room, and messages flow both ways', async (t) => {
  const alice = await newUser(net.server('hs1.test'), 'alice');
  const bob = await newUser(net.server('hs2.test'), 'bob');
  const created = await alice.call('POST', `${C}/createRoom`, { preset: 'public_chat', name: 'Across', room_alias_name: 'across' });
  t.is(created.status, 200);
  const roomId = created.body.room_id as string;
  await alice.call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'before bob' });

  const joined = await bob.call('POST', `${C}/join/${enc('#across:hs1.test')}`, {});
  t.is(joined.status, 200, JSON.stringify(joined.body));
  t.is(joined.body.room_id, roomId);

  // hs1 sees bob's join.
  await until(async () => (await alice.call('GET', `${C}/rooms/${enc(roomId)}/joined_members`)).body.joined?.[bob.userId] !== undefined, 10_000, 'bob joined on hs1');
  // bob's server knows the room's state: name and members.
  const name = await bob.call('GET', `${C}/rooms/${enc(roomId)}/state/m.room.name/`);
  t.is(name.body.name, 'Across');

  const a1 = await alice.call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'hello bob' });
  t.is(a1.status, 200);
  await until(async () => (await bodies(bob, roomId)).includes('hello bob'), 10_000, 'hello bob on hs2');
  const b1 = await bob.call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'hi alice' });
  t.is(b1.status, 200, JSON.stringify(b1.body));
  await until(async () => (await bodies(alice, roomId)).includes('hi alice'), 10_000, 'hi alice on hs1');

  // Both servers hold the same events in the same order after the join.
  const onBob = await bodies(bob, roomId);
  const onAlice = await bodies(alice, roomId);
  t.deepEqual(onBob.slice(-2), ['hello bob', 'hi alice']);
  t.deepEqual(onAlice.slice(-2), ['hello bob', 'hi alice']);

  // bob's /sync shows the room as joined with alice's message.
  const sync = await bob.call('GET', `${C}/sync?timeout=0`);
  t.truthy(sync.body.rooms?.join?.[roomId]);
});

test.serial('invites to a user of another server are countersigned, shown in /sync, and can be accepted', async (t) => {
  const alice = await newUser(net.server('hs1.test'), 'alice');
  const carol = await newUser(net.server('hs2.test'), 'carol');
  const created = await alice.call('POST', `${C}/createRoom`, { preset: 'private_chat', name: 'Private', invite: [] });
  const roomId = created.body.room_id as string;
  const invited = await alice.call('POST', `${C}/rooms/${enc(roomId)}/invite`, { user_id: carol.userId });
  t.is(invited.status, 200, JSON.stringify(invited.body));
  await until(async () => (await carol.call('GET', `${C}/sync?timeout=0`)).body.rooms?.invite?.[roomId] !== undefined, 10_000, 'invite on hs2');
  const sync = await carol.call('GET', `${C}/sync?timeout=0`);
  const state = sync.body.rooms.invite[roomId].invite_state.events as any[];
  t.truthy(state.find((e) => e.type === 'm.room.name' && e.content.name === 'Private'));
  t.truthy(state.find((e) => e.type === 'm.room.member' && e.state_key === carol.userId && e.content.membership === 'invite'));

  const joined = await carol.call('POST', `${C}/rooms/${enc(roomId)}/join`, {});
  t.is(joined.status, 200, JSON.stringify(joined.body));
  await until(async () => (await alice.call('GET', `${C}/rooms/${enc(roomId)}/joined_members`)).body.joined?.[carol.userId] !== undefined, 10_000, 'carol joined');
});

test.serial('rejecting an invite to a room of another server reaches that server', async (t) => {
  const alice = await newUser(net.server('hs1.test'), 'alice');
  const dave = await newUser(net.server('hs2.test'), 'dave');
  const roomId = (await alice.call('POST', `${C}/createRoom`, { preset: 'private_chat', invite: [dave.userId] })).body.room_id as string;
  t.truthy(roomId);
  await until(async () => (await dave.call('GET', `${C}/sync?timeout=0`)).body.rooms?.invite?.[roomId] !== undefined, 10_000, 'invite on hs2');
  const left = await dave.call('POST', `${C}/rooms/${enc(roomId)}/leave`, {});
  t.is(left.status, 200, JSON.stringify(left.body));
  const members = await alice.call('GET', `${C}/rooms/${enc(roomId)}/members`);
  const daveMember = (members.body.chunk as any[]).find((e) => e.state_key === dave.userId);
  t.is(daveMember?.content.membership, 'leave');
});

test.serial('kicks and bans of remote users reach their server', async (t) => {
  const alice = await newUser(net.server('hs1.test'), 'alice');
  const erin = await newUser(net.server('hs2.test'), 'erin');
  const roomId = (await alice.call('POST', `${C}/createRoom`, { preset: 'public_chat' })).body.room_id as string;
  t.is((await erin.call('POST', `${C}/join/${enc(roomId)}?server_name=hs1.test`, {})).status, 200);
  const banned = await alice.call('POST', `${C}/rooms/${enc(roomId)}/ban`, { user_id: erin.userId, reason: 'spam' });
  t.is(banned.status, 200);
  const withLeft = `${C}/sync?timeout=0&filter=${enc(JSON.stringify({ room: { include_leave: true } }))}`;
  await until(async () => (await erin.call('GET', withLeft)).body.rooms?.leave?.[roomId] !== undefined, 10_000, 'ban seen on hs2');
  const again = await erin.call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'still here?' });
  t.is(again.status, 403);
});

test.serial('history from before the join is backfilled when the new member pages back', async (t) => {
  const alice = await newUser(net.server('hs1.test'), 'alice');
  const frank = await newUser(net.server('hs2.test'), 'frank');
  const roomId = (await alice.call('POST', `${C}/createRoom`, { preset: 'public_chat', name: 'Old history' })).body.room_id as string;
  for (let i = 0; i < 30; i++) await alice.call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: `old ${i}` });
  t.is((await frank.call('POST', `${C}/join/${enc(roomId)}?via=hs1.test`, {})).status, 200);
  const seen: string[] = [];
  let from: string | undefined;
  for (let page = 0; page < 10; page++) {
    const res = await frank.call('GET', `${C}/rooms/${enc(roomId)}/messages?dir=b&limit=20${from ? `&from=${enc(from)}` : ''}`);
    t.is(res.status, 200, JSON.stringify(res.body));
    for (const e of res.body.chunk) if (e.type === 'm.room.message') seen.push(e.content.body);
    if (!res.body.end) break;
    from = res.body.end;
  }
  t.deepEqual(seen, Array.from({ length: 30 }, (_, i) => `old ${29 - i}`));
});

test.serial('knocking on a room of another server, being let in, then leaving it', async (t) => {
  const alice = await newUser(net.server('hs1.test'), 'alice');
  const gina = await newUser(net.server('hs2.test'), 'gina');
  const roomId = (await alice.call('POST', `${C}/createRoom`, { preset: 'private_chat', room_version: '11', initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }] })).body.room_id as string;
  // Not invited, the join is refused; the knock goes through.
  t.is((await gina.call('POST', `${C}/join/${enc(roomId)}?via=hs1.test`, {})).status, 403);
  const knocked = await gina.call('POST', `${C}/knock/${enc(roomId)}?via=hs1.test`, { reason: 'let me in' });
  t.is(knocked.status, 200, JSON.stringify(knocked.body));
  const knockMember = async () => ((await alice.call('GET', `${C}/rooms/${enc(roomId)}/members`)).body.chunk as any[]).find((e) => e.state_key === gina.userId);
  await until(async () => (await knockMember())?.content.membership === 'knock', 10_000, 'knock on hs1');
  t.is((await knockMember()).content.reason, 'let me in');
  const ginaSync = await gina.call('GET', `${C}/sync?timeout=0`);
  t.truthy(ginaSync.body.rooms?.knock?.[roomId]);

  t.is((await alice.call('POST', `${C}/rooms/${enc(roomId)}/invite`, { user_id: gina.userId })).status, 200);
  await until(async () => (await gina.call('GET', `${C}/sync?timeout=0`)).body.rooms?.invite?.[roomId] !== undefined, 10_000, 'invite on hs2');
  t.is((await gina.call('POST', `${C}/rooms/${enc(roomId)}/join`, {})).status, 200);
  await until(async () => (await knockMember())?.content.membership === 'join', 10_000, 'gina joined');

  t.is((await gina.call('POST', `${C}/rooms/${enc(roomId)}/leave`, {})).status, 200);
  await until(async () => (await knockMember())?.content.membership === 'leave', 10_000, 'leave on hs1');
});

test.serial('a restricted room lets in a member of an allowed room, vouched for by a user of the resident server', async (t) => {
  const alice = await newUser(net.server('hs1.test'), 'alice');
  const ivan = await newUser(net.server('hs2.test'), 'ivan');
  const space = (await alice.call('POST', `${C}/createRoom`, { preset: 'public_chat', name: 'Lobby' })).body.room_id as string;
  const restricted = (
    await alice.call('POST', `${C}/createRoom`, {
      preset: 'private_chat',
      room_version: '11',
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: space }] } }],
    })
  ).body.room_id as string;
  // Not yet in the allowed room: refused.
  t.is((await ivan.call('POST', `${C}/join/${enc(restricted)}?via=hs1.test`, {})).status, 403);
  t.is((await ivan.call('POST', `${C}/join/${enc(space)}?via=hs1.test`, {})).status, 200);
  await until(async () => (await alice.call('GET', `${C}/rooms/${enc(space)}/joined_members`)).body.joined?.[ivan.userId] !== undefined, 10_000, 'ivan in the lobby');
  const joined = await ivan.call('POST', `${C}/join/${enc(restricted)}?via=hs1.test`, {});
  t.is(joined.status, 200, JSON.stringify(joined.body));
  const member = ((await alice.call('GET', `${C}/rooms/${enc(restricted)}/members`)).body.chunk as any[]).find((e) => e.state_key === ivan.userId);
  t.is(member?.content.membership, 'join');
  t.is(member?.content.join_authorised_via_users_server, alice.userId);
});
