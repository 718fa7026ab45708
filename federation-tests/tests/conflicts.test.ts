import test from 'ava';
import { useNetwork } from '../harness/ava.js';
import { Prerequisite, registerCast } from '../harness/cast.js';
import type { MatrixUser } from '../harness/client.js';
import { formRoom } from '../harness/rooms.js';
import { eventually } from '../harness/wait.js';

/**
 * Conflicting state changes on two branches of the room DAG, resolved the same way everywhere.
 *
 * The fork: hs3 is stopped, alice (hs1, admin) demotes carol (hs3, moderator) in two rooms; hs3
 * comes back and, before it hears of the demotions, carol bans bob in one room and sets the topic
 * in the other with the power she still has there. State resolution orders alice's power-level
 * change first (sender with more power), so carol's ban and topic fail the auth checks against the
 * resolved state: on all three servers bob stays joined, the old topic stays, carol has no power.
 *
 * To keep the fork, hs1 must not retry hs3 on its own before carol acts: its retry delay is long,
 * and presence is off (presence updates would make hs3 contact hs1 first, which wakes hs1's queue).
 */

const network = useNetwork(test, {
  config: { presence: { enabled: false }, federation: { retry_initial_ms: 60_000, retry_max_ms: 120_000 } },
});
let alice: MatrixUser; // hs1.test
let bob: MatrixUser; // hs2.test
let carol: MatrixUser; // hs3.test
const rooms = new Prerequisite<{ banRoom: string; topicRoom: string }>('two rooms where carol is a moderator');

const POWER = (carolLevel: number, alice: MatrixUser, carol: MatrixUser) => ({ users: { [alice.userId]: 100, [carol.userId]: carolLevel } });

test.before(async () => {
  ({ alice, bob, carol } = await registerCast(network(), { alice: 'hs1.test', bob: 'hs2.test', carol: 'hs3.test' }));
});

test.serial('two rooms of alice, bob and carol, carol a moderator in both', async (t) => {
  const { banRoom, topicRoom } = await rooms.establish(async () => {
    const create = { power_level_content_override: POWER(50, alice, carol), topic: 'the original topic' };
    const [banRoom, topicRoom] = await Promise.all([formRoom(alice, [bob, carol], create), formRoom(alice, [bob, carol], create)]);
    return { banRoom, topicRoom };
  });
  for (const roomId of [banRoom, topicRoom]) {
    await carol.syncUntil('carol is a moderator', (v) => v.stateEvent(roomId, 'm.room.power_levels')?.content['users']?.[carol.userId] === 50);
  }
  t.pass();
});

/** What a server's user sees of the contested state of both rooms. */
async function contested(user: MatrixUser, r: { banRoom: string; topicRoom: string }): Promise<Record<string, unknown>> {
  const [member, banPower, topic, topicPower] = await Promise.all([
    user.getState(r.banRoom, 'm.room.member', bob.userId),
    user.getState(r.banRoom, 'm.room.power_levels'),
    user.getState(r.topicRoom, 'm.room.topic'),
    user.getState(r.topicRoom, 'm.room.power_levels'),
  ]);
  return {
    bobMembership: member?.membership,
    carolPowerInBanRoom: banPower?.users?.[carol.userId] ?? 0,
    topic: topic?.topic,
    carolPowerInTopicRoom: topicPower?.users?.[carol.userId] ?? 0,
  };
}

/** The room's state as `type|state_key → event ID`, to compare servers. */
async function stateIds(user: MatrixUser, roomId: string): Promise<Record<string, string>> {
  const state = await user.roomState(roomId);
  return Object.fromEntries(state.map((e) => [`${e.type}|${e.state_key}`, e.event_id!]));
}

test.serial('a demotion against a ban and against a topic change, made on two branches, converges on every server', async (t) => {
  t.timeout(150_000);
  const r = rooms.get();
  const hs3 = network().server('hs3.test');
  await hs3.stop();
  try {
    await Promise.all(
      [r.banRoom, r.topicRoom].map(async (roomId) => {
        const current = await alice.getState(roomId, 'm.room.power_levels');
        await alice.sendState(roomId, 'm.room.power_levels', '', { ...current, users: { ...current.users, [carol.userId]: 0 } });
      }),
    );
  } finally {
    await hs3.start();
  }

  // Both at once, before hs3 can hear of the demotions: each is accepted on carol's branch.
  const [ban, topic] = await Promise.allSettled([
    carol.ban(r.banRoom, bob.userId, 'on the stale branch'),
    carol.sendState(r.topicRoom, 'm.room.topic', '', { topic: 'set on the stale branch' }),
  ]);
  t.is(ban.status, 'fulfilled', `hs3 accepted carol's ban on its branch: ${ban.status === 'rejected' ? String(ban.reason) : ''}`);
  t.is(topic.status, 'fulfilled', `hs3 accepted carol's topic on its branch: ${topic.status === 'rejected' ? String(topic.reason) : ''}`);

  const expected = { bobMembership: 'join', carolPowerInBanRoom: 0, topic: 'the original topic', carolPowerInTopicRoom: 0 };
  for (const user of [alice, bob, carol]) {
    await eventually(`${user.server.name} to resolve the fork`, async () => {
      const seen = await contested(user, r);
      return JSON.stringify(seen) === JSON.stringify(expected) ? seen : undefined;
    }, 30_000);
  }

  // A message on top merges the branches; after it every server holds the very same state events.
  await alice.sendText(r.banRoom, 'after the fork');
  await alice.sendText(r.topicRoom, 'after the fork');
  for (const roomId of [r.banRoom, r.topicRoom]) {
    await Promise.all([bob, carol].map((u) => u.waitForEvent(roomId, 'the merging message', (e) => e.content['body'] === 'after the fork', 30_000)));
    const [s1, s2, s3] = await Promise.all([alice, bob, carol].map((u) => stateIds(u, roomId)));
    t.deepEqual(s2, s1, `hs2 and hs1 agree on the state of ${roomId}`);
    t.deepEqual(s3, s1, `hs3 and hs1 agree on the state of ${roomId}`);
  }
  // Bob, never banned in the resolved state, can still talk in the room, and hs3 shows it.
  await bob.sendText(r.banRoom, 'still here');
  await carol.waitForEvent(r.banRoom, 'bob message after the fork', (e) => e.content['body'] === 'still here');
});
