import test from 'ava';
import { stateKey, type StateMap } from '../../../src/core/events.js';
import { roomVersion, type RoomVersion } from '../../../src/core/room-versions.js';
import { resolveState } from '../../../src/core/state-res/index.js';
import { memoryStore, type StateResEvent, type StateResStore } from '../../../src/core/state-res/store.js';
import { ev } from './graph-helpers.js';

const v10 = roomVersion('10') as RoomVersion;
const v12 = roomVersion('12') as RoomVersion;
const ALICE = '@alice:example.com';
const BOB = '@bob:example.com';

function stateOf(events: StateResEvent[]): StateMap {
  return new Map(events.map((e) => [stateKey(e.type, e.state_key as string), e.event_id]));
}

function member(id: string, sender: string, target: string, membership: string, ts: number, auth: string[]): StateResEvent {
  return ev(id, { type: 'm.room.member', sender, state_key: target, content: { membership }, ts, auth });
}

/** A v10 public room: alice (100) created it, bob (50) joined. */
function v10Room(joinRule = 'public') {
  const create = ev('$create', { type: 'm.room.create', sender: ALICE, content: { creator: ALICE, room_version: '10' } });
  const alice = member('$alice', ALICE, ALICE, 'join', 1, ['$create']);
  const pl = ev('$pl', {
    type: 'm.room.power_levels',
    sender: ALICE,
    ts: 2,
    content: { users: { [ALICE]: 100, [BOB]: 50 } },
    auth: ['$create', '$alice'],
  });
  const jr = ev('$jr', { type: 'm.room.join_rules', sender: ALICE, ts: 3, content: { join_rule: joinRule }, auth: ['$create', '$alice', '$pl'] });
  return [create, alice, pl, jr];
}

test('auth difference: a ban only in one fork\'s auth chain stops ban evasion', async (t) => {
  const base = v10Room();
  const bobJoin = member('$bob-join', BOB, BOB, 'join', 4, ['$create', '$pl', '$jr']);
  // Fork 1: alice bans bob, then lifts the ban (bob is left with "leave").
  const ban = member('$ban', ALICE, BOB, 'ban', 5, ['$create', '$pl', '$alice', '$bob-join']);
  const unban = member('$unban', ALICE, BOB, 'leave', 6, ['$create', '$pl', '$alice', '$ban']);
  // Fork 2: bob, still joined there, sets the topic.
  const topic = ev('$topic', { sender: BOB, ts: 5, content: { topic: 'bob was here' }, auth: ['$create', '$pl', '$bob-join'] });
  const store = memoryStore([...base, bobJoin, ban, unban, topic]);

  const resolved = await resolveState(v10, [stateOf([...base, unban]), stateOf([...base, bobJoin, topic])], store);
  // The ban is in neither state, only in fork 1's auth chain. Through the auth difference it is
  // sorted with bob's join and ordered after it; without it, bob's join would be re-applied after
  // the unban and his topic accepted.
  t.is(resolved.get(stateKey('m.room.member', BOB)), '$unban');
  t.false(resolved.has(stateKey('m.room.topic', '')));
  t.is(resolved.get(stateKey('m.room.power_levels', '')), '$pl');
});

test('rejected auth events are not used to authorise resolved events', async (t) => {
  const base = v10Room('invite');
  // bob's join into an invite-only room, cited by his topic; the join fails the auth rules.
  const bobJoin = member('$bob-join', BOB, BOB, 'join', 4, ['$create', '$pl', '$jr']);
  const topic = ev('$topic', { sender: BOB, ts: 5, content: { topic: 't' }, auth: ['$create', '$pl', '$bob-join'] });
  const states = [stateOf(base), stateOf([...base, topic])];

  const accepted = await resolveState(v10, states, memoryStore([...base, bobJoin, topic]));
  // Not marked rejected: the join does not get into the state, but as the topic's own auth event
  // it vouches for bob's membership.
  t.false(accepted.has(stateKey('m.room.member', BOB)));
  t.is(accepted.get(stateKey('m.room.topic', '')), '$topic');

  const rejected = await resolveState(v10, states, memoryStore([...base, { ...bobJoin, rejected: true }, topic]));
  t.false(rejected.has(stateKey('m.room.member', BOB)));
  t.false(rejected.has(stateKey('m.room.topic', '')));
});

test('no conflict: the common state comes back without touching the store', async (t) => {
  const base = v10Room();
  const store: StateResStore = { getEvents: () => Promise.reject(new Error('should not be called')) };
  const s = stateOf(base);
  t.deepEqual(await resolveState(v10, [s, new Map(s), new Map(s)], store), s);
  t.deepEqual(await resolveState(v10, [], store), new Map());
});

test('v12: creators outrank everyone in the power ordering; the create event is implied', async (t) => {
  const room = '!create';
  const create = ev('$create', { type: 'm.room.create', sender: ALICE, content: { room_version: '12' } });
  delete (create as { room_id?: string }).room_id;
  const alice = { ...member('$alice', ALICE, ALICE, 'join', 1, []), room_id: room };
  const pl = ev('$pl', { room_id: room, type: 'm.room.power_levels', sender: ALICE, ts: 2, content: { users: { [BOB]: 100 } }, auth: ['$alice'] });
  const jr = ev('$jr', { room_id: room, type: 'm.room.join_rules', sender: ALICE, ts: 3, content: { join_rule: 'public' }, auth: ['$alice', '$pl'] });
  const bob = { ...member('$bob', BOB, BOB, 'join', 4, ['$pl', '$jr']), room_id: room };
  // Concurrent join rules changes: bob's is older, but alice (a creator, infinite power) goes
  // first in the power ordering, so bob's change is applied last and wins.
  const jrAlice = ev('$jr-alice', { room_id: room, type: 'm.room.join_rules', sender: ALICE, ts: 6, content: { join_rule: 'invite' }, auth: ['$alice', '$pl'] });
  const jrBob = ev('$jr-bob', { room_id: room, type: 'm.room.join_rules', sender: BOB, ts: 5, content: { join_rule: 'knock' }, auth: ['$bob', '$pl'] });
  const base = [create, alice, pl, jr, bob];
  const store = memoryStore([...base, jrAlice, jrBob]);
  const resolved = await resolveState(v12, [stateOf([...base, jrAlice]), stateOf([...base, jrBob])], store);
  t.is(resolved.get(stateKey('m.room.join_rules', '')), '$jr-bob');
  t.is(resolved.get(stateKey('m.room.create', '')), '$create');
});

test('a large room: 30,000 members, thousands of conflicting joins, batched fetches, yields', async (t) => {
  const base = v10Room();
  const members: StateResEvent[] = [];
  for (let i = 0; i < 30_000; i++) {
    const user = `@u${i}:example.com`;
    members.push(member(`$m${i}`, user, user, 'join', 10 + i, ['$create', '$pl', '$jr']));
  }
  const forkA: StateResEvent[] = [];
  const forkB: StateResEvent[] = [];
  for (let i = 0; i < 3_000; i++) {
    const a = `@a${i}:example.com`;
    const b = `@b${i}:example.com`;
    forkA.push(member(`$a${i}`, a, a, 'join', 50_000 + i, ['$create', '$pl', '$jr']));
    forkB.push(member(`$b${i}`, b, b, 'join', 50_000 + i, ['$create', '$pl', '$jr']));
  }
  // And one kick in fork B, so the power ordering has work too.
  const kick = member('$kick', ALICE, '@u7:example.com', 'leave', 60_000, ['$create', '$pl', '$alice', '$m7']);
  forkB.push(kick);

  const inner = memoryStore([...base, ...members, ...forkA, ...forkB]);
  let calls = 0;
  let asked = 0;
  const store: StateResStore = {
    getEvents(ids) {
      calls += 1;
      asked += ids.length;
      return inner.getEvents(ids);
    },
  };
  const common = [...base, ...members];
  const stateA = stateOf([...common, ...forkA]);
  const stateB = stateOf([...common, ...forkB]);

  let ticks = 0;
  let running = true;
  const tick = () => {
    ticks += 1;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const started = performance.now();
  const resolved = await resolveState(v10, [stateA, stateB], store);
  const elapsed = performance.now() - started;
  running = false;

  t.is(resolved.size, 4 + 30_000 + 6_000);
  t.is(resolved.get(stateKey('m.room.member', '@u7:example.com')), '$kick');
  t.is(resolved.get(stateKey('m.room.member', '@b2999:example.com')), '$b2999');
  t.true(asked <= common.length + forkA.length + forkB.length, `each event fetched at most once (${asked})`);
  t.true(calls < 200, `batched fetches (${calls} calls)`);
  t.true(ticks > 5, `the event loop ran during the resolution (${ticks} ticks)`);
  t.true(elapsed < 20_000, `took ${Math.round(elapsed)} ms`);
  t.log(`${Math.round(elapsed)} ms, ${calls} store calls, ${asked} IDs, ${ticks} ticks`);
});
