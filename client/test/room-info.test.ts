import test from 'ava';
import { applySync, emptySyncState } from '../src/matrix/sync/accumulator';
import { can, canActOn, isDirect, knocking, members, roomName, sortedRooms } from '../src/matrix/room-info';
import { BOB, ME, ev, joined, member, msg } from './fixtures';

const ROOM = '!r:hs.test';
const CAROL = '@carol:hs.test';

test('names: explicit name, else the other members', (t) => {
  const s = applySync(emptySyncState(), joined(ROOM, { state: { events: [member(ME, 'join', 'Me'), member(BOB, 'join', 'Bob')] } }), ME).state;
  t.is(roomName(s.rooms[ROOM]!, ME), 'Bob');
  const named = applySync(s, joined(ROOM, { timeline: { events: [ev('m.room.name', { name: 'Team' }, { state_key: '' })] } }, 's2'), ME).state;
  t.is(roomName(named.rooms[ROOM]!, ME), 'Team');
});

test('power levels decide what a member may do, and over whom', (t) => {
  const pl = ev('m.room.power_levels', { users: { [ME]: 100, [BOB]: 50 }, kick: 50, ban: 50, state_default: 50 }, { state_key: '' });
  const s = applySync(emptySyncState(), joined(ROOM, { state: { events: [pl, member(ME, 'join'), member(BOB, 'join'), member(CAROL, 'join')] } }), ME).state;
  const room = s.rooms[ROOM]!;
  t.true(can(room, ME, 'topic'));
  t.false(can(room, CAROL, 'topic'));
  t.true(canActOn(room, ME, BOB, 'kick'));
  t.false(canActOn(room, BOB, ME, 'kick'));
  t.false(canActOn(room, CAROL, BOB, 'ban'));
  t.deepEqual(members(room).map((m) => m.userId), [ME, BOB, CAROL]);
});

test('direct rooms and ordering', (t) => {
  const s = applySync(
    emptySyncState(),
    {
      next_batch: 's1',
      rooms: { join: { '!a:hs.test': { timeline: { events: [msg('older', { origin_server_ts: 1 })] } }, '!b:hs.test': { timeline: { events: [msg('newer', { origin_server_ts: 2 })] } } } },
      account_data: { events: [{ type: 'm.direct', content: { [BOB]: ['!b:hs.test'] } }] },
    },
    ME,
  ).state;
  t.true(isDirect(s.rooms['!b:hs.test']!, s, ME));
  t.false(isDirect(s.rooms['!a:hs.test']!, s, ME));
  t.deepEqual(sortedRooms(s).map((r) => r.roomId), ['!b:hs.test', '!a:hs.test']);
});

test('knocks: our own waits as a knock room; others at the door are listed for admins', (t) => {
  const stripped = [{ type: 'm.room.name', state_key: '', content: { name: 'Club' }, sender: BOB }];
  const s = applySync(emptySyncState(), { next_batch: 's1', rooms: { knock: { [ROOM]: { knock_state: { events: stripped } } } } }, ME).state;
  t.is(s.rooms[ROOM]!.membership, 'knock');
  t.is(roomName(s.rooms[ROOM]!, ME), 'Club');
  const knock = ev('m.room.member', { membership: 'knock', displayname: 'Carol', reason: 'Friend of Bob' }, { state_key: CAROL, sender: CAROL });
  const inRoom = applySync(emptySyncState(), joined('!x:hs.test', { state: { events: [member(ME, 'join'), knock] } }), ME).state;
  t.deepEqual(knocking(inRoom.rooms['!x:hs.test']!), [{ userId: CAROL, name: 'Carol', reason: 'Friend of Bob' }]);
  t.deepEqual(members(inRoom.rooms['!x:hs.test']!).map((m) => m.userId), [ME], 'knocking is not membership');
});
