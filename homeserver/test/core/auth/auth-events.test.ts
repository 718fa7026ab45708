import test from 'ava';
import { authEventSelection, checkAuthEventsList, type MaybeRejectedEvent } from '../../../src/core/auth/index.js';
import type { RoomEvent } from '../../../src/core/events.js';
import { ALICE, ALL_VERSIONS, allowed, BOB, CAROL, forVersions, MOD, rejected, rv, standardRoom, type Room } from './builder.js';

/** The events of `room`'s state that the selection names for `fields`, and the event citing them. */
function citing(room: Room, fields: Parameters<Room['event']>[0]): { event: RoomEvent; authEvents: RoomEvent[] } {
  const authEvents = authEventSelection(fields as RoomEvent, room.version)
    .map(([type, key]) => room.get(type, key))
    .filter((e): e is RoomEvent => e !== undefined);
  return { event: room.event({ ...fields, auth_events: authEvents.map((e) => e.event_id) }), authEvents };
}

const message = { type: 'm.room.message', sender: BOB, content: { body: 'hi' } };

forVersions(['10', '11'], 'auth events selection: create, power levels and the sender member event', (t, v) => {
  t.deepEqual(authEventSelection({ type: 'm.room.message', sender: BOB, content: {} }, v), [
    ['m.room.create', ''],
    ['m.room.power_levels', ''],
    ['m.room.member', BOB],
  ]);
});

forVersions(['12'], 'auth events selection: the create event is not selected', (t, v) => {
  t.deepEqual(authEventSelection({ type: 'm.room.message', sender: BOB, content: {} }, v), [
    ['m.room.power_levels', ''],
    ['m.room.member', BOB],
  ]);
});

forVersions(ALL_VERSIONS, 'auth events selection: the create event itself has no auth events', (t, v) => {
  t.deepEqual(authEventSelection({ type: 'm.room.create', state_key: '', sender: ALICE, content: {} }, v), []);
});

forVersions(ALL_VERSIONS, 'auth events selection: a join adds the target, join rules and the authorising user', (t, v) => {
  const pairs = authEventSelection(
    { type: 'm.room.member', state_key: CAROL, sender: CAROL, content: { membership: 'join', join_authorised_via_users_server: MOD } },
    v,
  );
  t.deepEqual(pairs.filter(([type]) => type !== 'm.room.create'), [
    ['m.room.power_levels', ''],
    ['m.room.member', CAROL],
    ['m.room.join_rules', ''],
    ['m.room.member', MOD],
  ]);
});

forVersions(ALL_VERSIONS, 'auth events selection: a third-party invite adds the m.room.third_party_invite for its token', (t, v) => {
  const pairs = authEventSelection(
    { type: 'm.room.member', state_key: CAROL, sender: BOB, content: { membership: 'invite', third_party_invite: { signed: { token: 'tok', mxid: CAROL } } } },
    v,
  );
  t.deepEqual(pairs.slice(-3), [
    ['m.room.member', CAROL],
    ['m.room.join_rules', ''],
    ['m.room.third_party_invite', 'tok'],
  ]);
});

forVersions(ALL_VERSIONS, 'auth events selection: knock needs join rules, leave and ban do not', (t, v) => {
  const sel = (membership: string) =>
    authEventSelection({ type: 'm.room.member', state_key: CAROL, sender: CAROL, content: { membership } }, v).map(([type]) => type);
  t.true(sel('knock').includes('m.room.join_rules'));
  t.false(sel('leave').includes('m.room.join_rules'));
  t.false(sel('ban').includes('m.room.join_rules'));
});

forVersions(ALL_VERSIONS, 'auth events selection: join_authorised_via_users_server only counts for joins', (t, v) => {
  const pairs = authEventSelection(
    { type: 'm.room.member', state_key: CAROL, sender: CAROL, content: { membership: 'leave', join_authorised_via_users_server: MOD } },
    v,
  );
  t.false(pairs.some(([type, key]) => type === 'm.room.member' && key === MOD));
});

forVersions(ALL_VERSIONS, 'auth events: allowed when the list matches the selection', (t, v) => {
  const room = standardRoom(v.id);
  const { event, authEvents } = citing(room, message);
  allowed(t, checkAuthEventsList(event, authEvents, v));
});

forVersions(ALL_VERSIONS, 'auth events: a subset of the selection is allowed', (t, v) => {
  const room = standardRoom(v.id);
  const authEvents = v.createEventInAuthEvents ? [room.create] : [];
  const event = room.event({ ...message, auth_events: authEvents.map((e) => e.event_id) });
  allowed(t, checkAuthEventsList(event, authEvents, v));
});

forVersions(ALL_VERSIONS, 'auth events: rejected when there are duplicate entries for a type and state_key', (t, v) => {
  const room = standardRoom(v.id);
  const { event, authEvents } = citing(room, message);
  const olderPowerLevels = room.event({ type: 'm.room.power_levels', sender: ALICE, state_key: '', content: {} });
  const list = [...authEvents, olderPowerLevels];
  rejected(t, checkAuthEventsList({ ...event, auth_events: list.map((e) => e.event_id) }, list, v), /duplicate/);
});

forVersions(ALL_VERSIONS, 'auth events: rejected when an entry is not one the selection names', (t, v) => {
  const room = standardRoom(v.id);
  const { event, authEvents } = citing(room, message);
  const joinRules = room.get('m.room.join_rules', '')!;
  const list = [...authEvents, joinRules];
  rejected(t, checkAuthEventsList({ ...event, auth_events: list.map((e) => e.event_id) }, list, v), /not selected/);
});

forVersions(['12'], 'auth events: rejected when the create event is listed', (t, v) => {
  const room = standardRoom(v.id);
  const { event, authEvents } = citing(room, message);
  const list = [room.create, ...authEvents];
  rejected(t, checkAuthEventsList({ ...event, auth_events: list.map((e) => e.event_id) }, list, v), /not selected/);
});

forVersions(ALL_VERSIONS, 'auth events: rejected when an entry was itself rejected', (t, v) => {
  const room = standardRoom(v.id);
  const { event, authEvents } = citing(room, message);
  const list = authEvents.map((e): MaybeRejectedEvent => (e.type === 'm.room.power_levels' ? { ...e, rejected: true } : e));
  rejected(t, checkAuthEventsList(event, list, v), /rejected/);
  const unrejected = authEvents.map((e): MaybeRejectedEvent => ({ ...e, rejected: false }));
  allowed(t, checkAuthEventsList(event, unrejected, v));
});

forVersions(['10', '11'], 'auth events: rejected when there is no m.room.create event', (t, v) => {
  const room = standardRoom(v.id);
  const { event, authEvents } = citing(room, message);
  const list = authEvents.filter((e) => e.type !== 'm.room.create');
  rejected(t, checkAuthEventsList({ ...event, auth_events: list.map((e) => e.event_id) }, list, v), /no m.room.create/);
});

forVersions(['12'], 'auth events: allowed without an m.room.create event', (t, v) => {
  const room = standardRoom(v.id);
  const { event, authEvents } = citing(room, message);
  t.false(authEvents.some((e) => e.type === 'm.room.create'));
  allowed(t, checkAuthEventsList(event, authEvents, v));
});

forVersions(ALL_VERSIONS, 'auth events: rejected when an entry has another room_id', (t, v) => {
  const room = standardRoom(v.id);
  const { event, authEvents } = citing(room, message);
  const list = authEvents.map((e) => (e.type === 'm.room.member' ? { ...e, room_id: '!elsewhere:c.example' } : e));
  rejected(t, checkAuthEventsList(event, list, v), /another room/);
});

forVersions(ALL_VERSIONS, 'auth events: rejected when a listed auth event is not supplied, or a supplied one is not listed', (t, v) => {
  const room = standardRoom(v.id);
  const { event, authEvents } = citing(room, message);
  rejected(t, checkAuthEventsList(event, authEvents.slice(1), v), /not supplied/);
  rejected(t, checkAuthEventsList({ ...event, auth_events: event.auth_events.slice(1) }, authEvents, v), /not in the event's auth_events/);
});

forVersions(ALL_VERSIONS, 'auth events: rejected when an entry is not a state event', (t, v) => {
  const room = standardRoom(v.id);
  const { event, authEvents } = citing(room, message);
  const stray = room.event({ type: 'm.room.message', sender: BOB });
  const list = [...authEvents, stray];
  rejected(t, checkAuthEventsList({ ...event, auth_events: list.map((e) => e.event_id) }, list, v), /not a state event/);
});

forVersions(ALL_VERSIONS, 'auth events: a join may cite its authorising user and join rules', (t, v) => {
  const room = standardRoom(v.id, 'restricted');
  const { event, authEvents } = citing(room, {
    type: 'm.room.member',
    state_key: CAROL,
    sender: CAROL,
    content: { membership: 'join', join_authorised_via_users_server: MOD },
  });
  t.true(authEvents.some((e) => e.state_key === MOD));
  allowed(t, checkAuthEventsList(event, authEvents, v));
});

test('auth events: the create event passes whatever its auth_events', (t) => {
  const room = standardRoom('11');
  allowed(t, checkAuthEventsList(room.create, [], rv('11')));
});
