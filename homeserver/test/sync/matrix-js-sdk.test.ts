import test from 'ava';
import * as sdk from 'matrix-js-sdk';
import { quietJsSdk } from '../helpers/js-sdk.js';
import { registerUser, type TestUser } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';

quietJsSdk();

function client(url: string, user: TestUser): sdk.MatrixClient {
  return sdk.createClient({ baseUrl: url, accessToken: user.accessToken, userId: user.userId, deviceId: user.deviceId });
}

async function prepared(c: sdk.MatrixClient): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sync never became PREPARED')), 30_000);
    c.on(sdk.ClientEvent.Sync, (state) => {
      if (state === sdk.SyncState.Prepared) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** Resolves with the first value `check` returns for a timeline event of the room, within a deadline. */
function seen<T>(c: sdk.MatrixClient, roomId: string, check: (e: sdk.MatrixEvent) => T | undefined, label: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const existing = c.getRoom(roomId)?.getLiveTimeline().getEvents() ?? [];
    for (const e of existing) {
      const v = check(e);
      if (v !== undefined) return resolve(v);
    }
    const timer = setTimeout(() => reject(new Error(`never saw: ${label}`)), 20_000);
    const onEvent = (e: sdk.MatrixEvent, room: sdk.Room | undefined) => {
      if (room?.roomId !== roomId) return;
      const v = check(e);
      if (v !== undefined) {
        clearTimeout(timer);
        c.off(sdk.RoomEvent.Timeline, onEvent);
        resolve(v);
      }
    };
    c.on(sdk.RoomEvent.Timeline, onEvent);
  });
}

test('matrix-js-sdk clients sync with each other: messages, reactions, edits, redactions, typing, receipts', async (t) => {
  const s = await startTestServer(t, { HS_OPEN_REGISTRATION: '1' });
  const aliceUser = await registerUser(s, 'alice');
  const bobUser = await registerUser(s, 'bob');
  const alice = client(s.url, aliceUser);
  const bob = client(s.url, bobUser);
  t.teardown(() => {
    alice.stopClient();
    bob.stopClient();
  });
  const ready = Promise.all([prepared(alice), prepared(bob)]);
  await alice.startClient({ initialSyncLimit: 20 });
  await bob.startClient({ initialSyncLimit: 20 });
  await ready;

  // Bob accepts invites as they arrive through his own sync.
  bob.on(sdk.RoomMemberEvent.Membership, (_e, member) => {
    if (member.userId === bobUser.userId && member.membership === 'invite') void bob.joinRoom(member.roomId);
  });
  const { room_id: roomId } = await alice.createRoom({ name: 'js-sdk', invite: [bobUser.userId] });
  await new Promise<void>((resolve) => {
    const check = () => {
      if (alice.getRoom(roomId)?.getMember(bobUser.userId)?.membership === 'join') resolve();
    };
    alice.on(sdk.RoomStateEvent.Members, check);
    check();
  });

  const { event_id: hello } = await alice.sendTextMessage(roomId, 'hello from alice');
  t.is(await seen(bob, roomId, (e) => (e.getId() === hello ? e.getContent().body : undefined), 'alice message'), 'hello from alice');

  const { event_id: reply } = await bob.sendTextMessage(roomId, 'hi alice');
  t.is(await seen(alice, roomId, (e) => (e.getId() === reply ? e.getSender() : undefined), 'bob message'), bobUser.userId);

  await bob.sendEvent(roomId, 'm.reaction' as never, { 'm.relates_to': { rel_type: 'm.annotation', event_id: hello, key: '🎉' } } as never);
  t.is(await seen(alice, roomId, (e) => (e.getType() === 'm.reaction' ? e.getRelation()?.key : undefined), 'reaction'), '🎉');

  await alice.sendMessage(roomId, {
    msgtype: 'm.text',
    body: '* hello, edited',
    'm.new_content': { msgtype: 'm.text', body: 'hello, edited' },
    'm.relates_to': { rel_type: 'm.replace', event_id: hello },
  } as never);
  t.is(await seen(bob, roomId, (e) => (e.getRelation()?.rel_type === 'm.replace' ? e.getContent()['m.new_content']?.body : undefined), 'edit'), 'hello, edited');

  await alice.redactEvent(roomId, reply);
  t.true(await seen(alice, roomId, (e) => (e.getType() === 'm.room.redaction' && e.event.redacts === reply ? true : undefined), 'redaction'));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bob never saw the redaction applied')), 20_000);
    const check = () => {
      if (bob.getRoom(roomId)?.findEventById(reply)?.isRedacted()) {
        clearTimeout(timer);
        resolve();
      }
    };
    bob.on(sdk.RoomEvent.Redaction, check);
    check();
  });
  t.pass();

  const typing = new Promise<boolean>((resolve) => {
    alice.on(sdk.RoomMemberEvent.Typing, (_e, member) => {
      if (member.userId === bobUser.userId && member.typing) resolve(true);
    });
  });
  await bob.sendTyping(roomId, true, 10_000);
  t.true(await typing);

  const { event_id: last } = await alice.sendTextMessage(roomId, 'read me');
  await seen(bob, roomId, (e) => (e.getId() === last ? true : undefined), 'last message');
  const receipt = new Promise<string>((resolve) => {
    alice.on(sdk.RoomEvent.Receipt, (e) => {
      const content = e.getContent() as Record<string, Record<string, Record<string, unknown>>>;
      if (content[last]?.['m.read']?.[bobUser.userId]) resolve(last);
    });
  });
  await bob.sendReadReceipt(bob.getRoom(roomId)!.findEventById(last)!);
  t.is(await receipt, last);
});
