import test from 'ava';
import { useNetwork } from '../harness/ava.js';
import { Prerequisite, registerCast } from '../harness/cast.js';
import { MatrixHttpError, type MatrixUser } from '../harness/client.js';
import { formRoom, waitForMembers } from '../harness/rooms.js';
import type { ClientEvent } from '../harness/sync-view.js';

/**
 * A direct chat between two servers and a group room spanning three, driven through each
 * server's client API: everything one user does shows up for the users of the other servers.
 */

const network = useNetwork(test);
let alice: MatrixUser; // hs1.test
let bob: MatrixUser; // hs2.test
let carol: MatrixUser; // hs3.test
const group = new Prerequisite<string>('the group room of the second test');

test.before(async () => {
  ({ alice, bob, carol } = await registerCast(network(), { alice: 'hs1.test', bob: 'hs2.test', carol: 'hs3.test' }));
});

const body = (text: string) => (e: ClientEvent) => e.type === 'm.room.message' && e.content['body'] === text;

test.serial('a direct chat from hs1 to hs2: the invite arrives marked direct, bob joins, messages go both ways', async (t) => {
  const dm = await alice.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [bob.userId] });
  await bob.waitForRoom(dm, 'invite');
  const inviteState = bob.view.room(dm)!.inviteState;
  const ownInvite = inviteState.find((e) => e.type === 'm.room.member' && e.state_key === bob.userId);
  t.is(ownInvite?.content['membership'], 'invite', 'the invite event is in invite_state');
  t.is(ownInvite?.content['is_direct'], true, 'the invite is marked as a direct chat');
  t.is(ownInvite?.sender, alice.userId);

  t.is(await bob.join(dm), dm);
  await waitForMembers(dm, [alice, bob]);

  await alice.sendText(dm, 'hello bob, from hs1');
  const got = await bob.waitForEvent(dm, 'alice message', body('hello bob, from hs1'));
  t.is(got.sender, alice.userId);
  await bob.sendText(dm, 'hello alice, from hs2');
  t.is((await alice.waitForEvent(dm, 'bob reply', body('hello alice, from hs2'))).sender, bob.userId);
});

test.serial('a group room on hs1 with members from hs2 and hs3: invites reach both, both join, all agree on the members', async (t) => {
  const roomId = await group.establish(() => formRoom(alice, [bob, carol], { name: 'Three servers' }));
  for (const user of [alice, bob, carol]) {
    t.deepEqual((await user.joinedMembers(roomId)).sort(), [alice.userId, bob.userId, carol.userId].sort(), `${user.server.name} sees all three joined`);
    t.is((await user.getState(roomId, 'm.room.name'))?.name, 'Three servers', `${user.server.name} has the room name`);
  }
});

test.serial('messages from each server reach the other two', async (t) => {
  const roomId = group.get();
  const users = [alice, bob, carol];
  await Promise.all(users.map((u) => u.sendText(roomId, `message from ${u.server.name}`)));
  for (const viewer of users) {
    for (const sender of users.filter((u) => u !== viewer)) {
      const e = await viewer.waitForEvent(roomId, `${sender.userId}'s message`, body(`message from ${sender.server.name}`));
      t.is(e.sender, sender.userId);
    }
  }
});

test.serial('edits and reactions propagate', async (t) => {
  const roomId = group.get();
  const original = await bob.sendText(roomId, 'tpyo');
  const edit = await bob.send(roomId, 'm.room.message', {
    msgtype: 'm.text',
    body: '* typo',
    'm.new_content': { msgtype: 'm.text', body: 'typo' },
    'm.relates_to': { rel_type: 'm.replace', event_id: original },
  });
  const reaction = await carol.send(roomId, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: original, key: '👍' } });
  for (const viewer of [alice, carol]) {
    const e = await viewer.waitForEvent(roomId, 'bob edit', (e) => e.event_id === edit);
    t.deepEqual(e.content['m.relates_to'], { rel_type: 'm.replace', event_id: original });
    t.is(e.content['m.new_content']?.body, 'typo');
  }
  for (const viewer of [alice, bob]) {
    const e = await viewer.waitForEvent(roomId, 'carol reaction', (e) => e.event_id === reaction);
    t.is(e.content['m.relates_to']?.key, '👍');
  }
});

test.serial('a redaction removes the content on every server', async (t) => {
  const roomId = group.get();
  const secret = await alice.sendText(roomId, 'oops, my password');
  await Promise.all([bob, carol].map((u) => u.waitForEvent(roomId, 'the message before redaction', (e) => e.event_id === secret)));
  const redaction = await alice.redact(roomId, secret, 'posted by mistake');
  for (const viewer of [bob, carol]) {
    const r = await viewer.waitForEvent(roomId, 'the redaction', (e) => e.event_id === redaction);
    t.is(r.type, 'm.room.redaction');
    t.is(r.content['redacts'] ?? r.redacts, secret);
    const stored = await viewer.event(roomId, secret);
    t.deepEqual(stored.content, {}, `${viewer.server.name} serves the event redacted`);
  }
});

test.serial('typing notifications reach the other servers, and so does their end', async (t) => {
  const roomId = group.get();
  await bob.typing(roomId, true);
  for (const viewer of [alice, carol]) {
    await viewer.syncUntil('bob typing', (v) => v.room(roomId)?.typing.includes(bob.userId));
  }
  await bob.typing(roomId, false);
  for (const viewer of [alice, carol]) {
    await viewer.syncUntil('bob no longer typing', (v) => !v.room(roomId)?.typing.includes(bob.userId));
  }
  t.pass();
});

test.serial('read receipts reach the other servers', async (t) => {
  const roomId = group.get();
  const read = await alice.sendText(roomId, 'please read me');
  await carol.waitForEvent(roomId, 'the message to read', (e) => e.event_id === read);
  await carol.receipt(roomId, read);
  for (const viewer of [alice, bob]) {
    await viewer.syncUntil('carol read receipt', (v) => v.hasReceipt(roomId, read, carol.userId));
  }
  t.pass();
});

test.serial('presence reaches users of other servers who share a room', async (t) => {
  group.get();
  await bob.setPresence('online', 'federating');
  for (const viewer of [alice, carol]) {
    const p = await viewer.syncUntil('bob presence', (v) => {
      const content = v.presence.get(bob.userId);
      return content?.['status_msg'] === 'federating' ? content : undefined;
    });
    t.is(p['presence'], 'online');
  }
});

test.serial('a profile change shows in the room and in profile lookups on the other servers', async (t) => {
  const roomId = group.get();
  await carol.setDisplayName('Carol of hs3');
  for (const viewer of [alice, bob]) {
    await viewer.syncUntil('carol new display name', (v) => v.stateEvent(roomId, 'm.room.member', carol.userId)?.content['displayname'] === 'Carol of hs3');
    t.is((await viewer.profile(carol.userId))['displayname'], 'Carol of hs3', `${viewer.server.name} looks the profile up on hs3`);
  }
});

test.serial('a kick removes a remote member; a new invite brings her back', async (t) => {
  const roomId = group.get();
  await alice.kick(roomId, carol.userId, 'testing kicks');
  await carol.waitForRoom(roomId, 'leave');
  const kick = carol.view.stateEvent(roomId, 'm.room.member', carol.userId);
  t.is(kick?.content['membership'], 'leave');
  t.is(kick?.sender, alice.userId, 'carol sees who kicked her');
  await bob.syncUntil('carol kicked', (v) => v.membershipOf(roomId, carol.userId) === 'leave');

  await alice.invite(roomId, carol.userId);
  await carol.waitForRoom(roomId, 'invite');
  await carol.join(roomId, ['hs1.test']);
  await waitForMembers(roomId, [alice, bob, carol]);
  t.pass();
});

test.serial('a ban of a remote member reaches every server and keeps him out', async (t) => {
  const roomId = group.get();
  await alice.ban(roomId, bob.userId, 'testing bans');
  await bob.waitForRoom(roomId, 'leave');
  t.is(bob.view.membershipOf(roomId, bob.userId), 'ban');
  await carol.syncUntil('bob banned', (v) => v.membershipOf(roomId, bob.userId) === 'ban');
  const rejoin = await t.throwsAsync(bob.join(roomId, ['hs1.test']), { instanceOf: MatrixHttpError });
  t.is(rejoin?.errcode, 'M_FORBIDDEN');
  for (const user of [alice, carol]) {
    t.false((await user.joinedMembers(roomId)).includes(bob.userId), `${user.server.name} no longer lists bob`);
  }
});
