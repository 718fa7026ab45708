import test from 'ava';
import { useNetwork } from '../harness/ava.js';
import { Prerequisite, registerCast } from '../harness/cast.js';
import type { MatrixUser } from '../harness/client.js';
import { formRoom } from '../harness/rooms.js';
import type { ClientEvent } from '../harness/sync-view.js';
import { sleep } from '../harness/wait.js';

/**
 * A server that is down while the others go on: when it comes back on the same data, it gets
 * everything it missed, and what its users sent just before it stopped is not lost either.
 */

const network = useNetwork(test);
let alice: MatrixUser; // hs1.test
let bob: MatrixUser; // hs2.test
let carol: MatrixUser; // hs3.test
const group = new Prerequisite<string>('a room joined from all three servers');

test.before(async () => {
  ({ alice, bob, carol } = await registerCast(network(), { alice: 'hs1.test', bob: 'hs2.test', carol: 'hs3.test' }));
});

const bodies = (events: readonly ClientEvent[]): Set<string> => new Set(events.filter((e) => e.type === 'm.room.message').map((e) => e.content['body']));

/** Waits until `viewer`'s sync has every one of `texts` in the room. */
function waitForTexts(viewer: MatrixUser, roomId: string, texts: readonly string[], timeoutMs = 30_000): Promise<unknown> {
  return viewer.syncUntil(`${texts.length} messages (${texts[0]} …)`, (v) => {
    const seen = bodies(v.room(roomId)?.timeline ?? []);
    return texts.every((x) => seen.has(x));
  }, timeoutMs);
}

test.serial('a room spanning the three servers', async (t) => {
  const roomId = await group.establish(() => formRoom(alice, [bob, carol]));
  t.is((await carol.joinedMembers(roomId)).length, 3);
});

test.serial('hs3 is down while hs1 and hs2 talk; back up, it has every message and the new topic', async (t) => {
  t.timeout(120_000);
  const roomId = group.get();
  const hs3 = network().server('hs3.test');
  await hs3.stop();
  const missed: string[] = [];
  try {
    for (let i = 0; i < 10; i++) {
      for (const u of [alice, bob]) {
        const text = `while hs3 was down: ${u.localpart} ${i}`;
        await u.sendText(roomId, text);
        missed.push(text);
      }
    }
    await alice.sendState(roomId, 'm.room.topic', '', { topic: 'set while hs3 was down' });
    // Long enough for the senders' first retries to fail and back off.
    await sleep(3000);
  } finally {
    await hs3.start();
  }

  // Carol's device carries on from its last sync token, as a real client would.
  await waitForTexts(carol, roomId, missed);
  await carol.syncUntil('the new topic', (v) => v.stateEvent(roomId, 'm.room.topic')?.content['topic'] === 'set while hs3 was down');
  const history = bodies(await carol.history(roomId));
  t.true(missed.every((x) => history.has(x)), 'all of it in /messages on hs3 too');
  t.is((await carol.getState(roomId, 'm.room.topic'))?.topic, 'set while hs3 was down');
});

test.serial('what bob sent just before hs2 stopped reaches the others; what they sent meanwhile reaches bob', async (t) => {
  t.timeout(120_000);
  const roomId = group.get();
  const hs2 = network().server('hs2.test');
  const fromBob = ['last words 1', 'last words 2', 'last words 3'];
  for (const text of fromBob) await bob.sendText(roomId, text);
  // No waiting: whatever hs2 had not sent yet must survive the stop in its queue.
  await hs2.stop();
  const meanwhile = ['while hs2 was down: alice', 'while hs2 was down: carol'];
  try {
    await alice.sendText(roomId, meanwhile[0]!);
    await carol.sendText(roomId, meanwhile[1]!);
    await sleep(2000);
  } finally {
    await hs2.start();
  }

  await waitForTexts(alice, roomId, fromBob);
  await waitForTexts(carol, roomId, fromBob);
  await waitForTexts(bob, roomId, meanwhile);
  t.pass();
});

test.serial('after the restarts, users of every server talk at once', async (t) => {
  const roomId = group.get();
  await Promise.all([alice, bob, carol].map((u) => u.sendText(roomId, `all back: ${u.localpart}`)));
  for (const viewer of [alice, bob, carol]) {
    await waitForTexts(viewer, roomId, [alice, bob, carol].map((u) => `all back: ${u.localpart}`), 20_000);
  }
  t.pass();
});
