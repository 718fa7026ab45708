import test from 'ava';
import { useNetwork } from '../harness/ava.js';
import { Prerequisite, registerCast } from '../harness/cast.js';
import type { MatrixUser } from '../harness/client.js';
import type { ClientEvent } from '../harness/sync-view.js';

/**
 * Joining a room with history through an alias on another server: the history that was never
 * sent to the joining server is fetched on demand (backfill) when its user pages back.
 */

const network = useNetwork(test);
let alice: MatrixUser; // hs1.test
let bob: MatrixUser; // hs2.test
let carol: MatrixUser; // hs3.test
const HISTORY = 60;
const room = new Prerequisite<{ roomId: string; sent: string[] }>('a room on hs1 with history');

test.before(async () => {
  ({ alice, bob, carol } = await registerCast(network(), { alice: 'hs1.test', bob: 'hs2.test', carol: 'hs3.test' }));
});

const texts = (events: ClientEvent[]): string[] => events.filter((e) => e.type === 'm.room.message').map((e) => e.content['body']);

test.serial('hs1 hosts a public room with an alias and some history', async (t) => {
  const { roomId, sent } = await room.establish(async () => {
    const roomId = await alice.createRoom({ preset: 'public_chat', room_alias_name: 'history', name: 'Old news', topic: 'the beginning' });
    const sent: string[] = [];
    for (let i = 0; i < HISTORY; i++) {
      const text = `history ${String(i).padStart(2, '0')}`;
      await alice.sendText(roomId, text);
      sent.push(text);
    }
    return { roomId, sent };
  });
  t.deepEqual(texts(await alice.history(roomId)), sent);
});

test.serial('a user of hs2 joins through the alias on hs1 and pages back through all of it', async (t) => {
  const { roomId, sent } = room.get();
  t.is(await bob.join('#history:hs1.test'), roomId, 'the alias resolves over federation to the room');
  const history = await bob.history(roomId, 1000, 10);
  t.deepEqual(texts(history), sent, 'every message, in order, in pages of ten');
  t.is(history[0]?.type, 'm.room.create', 'pagination reaches the start of the room');
  t.is((await bob.getState(roomId, 'm.room.topic'))?.topic, 'the beginning');
});

test.serial('a user of hs3 joins through hs2 (a server that joined later) and sees the same history', async (t) => {
  const { roomId, sent } = room.get();
  t.is(await carol.join(roomId, ['hs2.test']), roomId);
  t.deepEqual(texts(await carol.history(roomId)), sent);
});

test.serial('after the joins, new messages reach every server live', async (t) => {
  const { roomId } = room.get();
  await alice.sendText(roomId, 'news');
  for (const viewer of [bob, carol]) {
    const e = await viewer.waitForEvent(roomId, 'the new message', (e) => e.content['body'] === 'news');
    t.is(e.sender, alice.userId);
  }
});
