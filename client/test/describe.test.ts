import test from 'ava';
import { applySync, emptySyncState } from '../src/matrix/sync/accumulator';
import { describeStateEvent } from '../src/ui/room/describe';
import { BOB, ME, ev, joined, member } from './fixtures';

const ROOM = '!r:hs.test';
const room = applySync(emptySyncState(), joined(ROOM, { state: { events: [member(ME, 'join', 'Me'), member(BOB, 'join', 'Bob')] } }), ME).state.rooms[ROOM]!;
const membership = (sender: string, target: string, membership: string, prev?: string, extra: Record<string, unknown> = {}) =>
  ev('m.room.member', { membership, ...extra }, { sender, state_key: target, ...(prev ? { unsigned: { prev_content: { membership: prev } } } : {}) });

test('knocks and their answers read as sentences', (t) => {
  t.is(describeStateEvent(room, membership('@c:hs.test', '@c:hs.test', 'knock', undefined, { reason: 'hi!' })), 'c asked to join: hi!');
  t.is(describeStateEvent(room, membership(ME, '@c:hs.test', 'invite', 'knock')), 'Me let c in');
  t.is(describeStateEvent(room, membership(ME, '@c:hs.test', 'leave', 'knock')), 'Me turned down c’s request to join');
  t.is(describeStateEvent(room, membership('@c:hs.test', '@c:hs.test', 'leave', 'knock')), 'c withdrew their request to join');
  t.is(describeStateEvent(room, membership(ME, BOB, 'invite')), 'Me invited Bob');
});
