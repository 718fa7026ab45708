import test from 'ava';
import {
  powerLevelAction,
  requiredPowerLevelForEvent,
  roomCreators,
  userPowerLevel,
} from '../../../src/core/auth/power-levels.js';
import type { JsonObject } from '../../../src/core/json.js';
import { ALICE, ALL_VERSIONS, allowed, BOB, CAROL, forVersions, MOD, rejected, Room, rv, standardPowerLevels, standardRoom } from './builder.js';

const setLevels = (sender: string, content: JsonObject) => ({ type: 'm.room.power_levels', sender, state_key: '', content });

/** The standard levels with `users` replaced, keeping v12 creators out of it. */
function withUsers(id: string, users: JsonObject, extra: JsonObject = {}): JsonObject {
  return standardPowerLevels(id, { users, ...extra });
}

const baseUsers = (id: string): JsonObject => ({ ...(standardPowerLevels(id)['users'] as JsonObject) });

// --- content shape (v10+ integers) -----------------------------------------------------------

forVersions(ALL_VERSIONS, 'power levels: rejected when a top-level level is not an integer', (t, v) => {
  const room = standardRoom(v.id);
  for (const field of ['users_default', 'events_default', 'state_default', 'ban', 'redact', 'kick', 'invite']) {
    rejected(t, room.check(setLevels(ALICE, standardPowerLevels(v.id, { [field]: '50' }))), new RegExp(`${field} is not an integer`));
    rejected(t, room.check(setLevels(ALICE, standardPowerLevels(v.id, { [field]: 1.5 }))), new RegExp(field));
    rejected(t, room.check(setLevels(ALICE, standardPowerLevels(v.id, { [field]: null }))), new RegExp(field));
  }
});

forVersions(ALL_VERSIONS, 'power levels: allowed when top-level levels are integers or absent', (t, v) => {
  const room = standardRoom(v.id);
  allowed(t, room.check(setLevels(ALICE, standardPowerLevels(v.id, { ban: -5, kick: 0 }))));
  allowed(t, room.check(setLevels(ALICE, { users: baseUsers(v.id) })));
});

forVersions(ALL_VERSIONS, 'power levels: rejected when events or notifications is not an object of integers', (t, v) => {
  const room = standardRoom(v.id);
  rejected(t, room.check(setLevels(ALICE, standardPowerLevels(v.id, { events: { 'm.room.name': '50' } }))), /events/);
  rejected(t, room.check(setLevels(ALICE, standardPowerLevels(v.id, { events: [50] }))), /events/);
  rejected(t, room.check(setLevels(ALICE, standardPowerLevels(v.id, { notifications: { room: '50' } }))), /notifications/);
  rejected(t, room.check(setLevels(ALICE, standardPowerLevels(v.id, { notifications: 50 }))), /notifications/);
});

forVersions(ALL_VERSIONS, 'power levels: allowed when events and notifications hold integers', (t, v) => {
  const room = standardRoom(v.id);
  allowed(t, room.check(setLevels(ALICE, standardPowerLevels(v.id, { events: { 'm.room.name': 50, 'm.room.power_levels': 100, 'm.room.topic': 10 }, notifications: { room: 20 } }))));
});

forVersions(ALL_VERSIONS, 'power levels: rejected when users is not an object of valid user IDs to integers', (t, v) => {
  const room = standardRoom(v.id);
  rejected(t, room.check(setLevels(ALICE, withUsers(v.id, { ...baseUsers(v.id), 'not-a-user': 10 }))), /invalid user ID/);
  rejected(t, room.check(setLevels(ALICE, withUsers(v.id, { ...baseUsers(v.id), '@bob': 10 }))), /invalid user ID/);
  rejected(t, room.check(setLevels(ALICE, withUsers(v.id, { ...baseUsers(v.id), [BOB]: '10' }))), /not an integer/);
  rejected(t, room.check(setLevels(ALICE, withUsers(v.id, { ...baseUsers(v.id), [BOB]: 10.5 }))), /not an integer/);
  rejected(t, room.check(setLevels(ALICE, standardPowerLevels(v.id, { users: [] }))), /users is not an object/);
});

forVersions(ALL_VERSIONS, 'power levels: allowed when users maps valid user IDs to integers', (t, v) => {
  const room = standardRoom(v.id);
  allowed(t, room.check(setLevels(ALICE, withUsers(v.id, { ...baseUsers(v.id), [BOB]: 10, '@Historical Name:c.example': 0 }))));
});

forVersions(['12'], 'power levels: rejected when users lists the create event sender', (t, v) => {
  const room = standardRoom(v.id);
  rejected(t, room.check(setLevels(ALICE, withUsers(v.id, { ...baseUsers(v.id), [ALICE]: 100 }))), /creator/);
});

forVersions(['12'], 'power levels: rejected when users lists an additional creator', (t, v) => {
  const room = standardRoom(v.id, 'invite', { additional_creators: [CAROL] });
  rejected(t, room.check(setLevels(ALICE, withUsers(v.id, { ...baseUsers(v.id), [CAROL]: 0 }))), /creator/);
});

forVersions(['12'], 'power levels: allowed when users lists no creator', (t, v) => {
  const room = standardRoom(v.id, 'invite', { additional_creators: [CAROL] });
  room.member(CAROL, 'join');
  allowed(t, room.check(setLevels(ALICE, withUsers(v.id, { [MOD]: 60 }))));
  allowed(t, room.check(setLevels(CAROL, withUsers(v.id, { [MOD]: 60 }))));
});

forVersions(['10', '11'], 'power levels: the creator may be listed in users before v12', (t, v) => {
  const room = standardRoom(v.id);
  allowed(t, room.check(setLevels(ALICE, withUsers(v.id, { [ALICE]: 100, [MOD]: 50 }))));
});

// --- the first power levels event ------------------------------------------------------------

forVersions(ALL_VERSIONS, 'power levels: allowed without a previous power levels event', (t, v) => {
  const room = new Room(v.id);
  room.member(ALICE, 'join');
  const users: JsonObject = { [BOB]: 100 };
  if (!v.privilegedCreators) users[ALICE] = 100;
  // Anything goes for the first one, as long as it is well-formed.
  allowed(t, room.check(setLevels(ALICE, { users, ban: 1000 })));
});

forVersions(ALL_VERSIONS, 'power levels: the first power levels event must still be well-formed', (t, v) => {
  const room = new Room(v.id);
  room.member(ALICE, 'join');
  rejected(t, room.check(setLevels(ALICE, { users: { [BOB]: 'lots' } })), /not an integer/);
});

// --- changes to top-level levels -------------------------------------------------------------

forVersions(ALL_VERSIONS, 'power levels: rejected when raising a top-level level above your own', (t, v) => {
  const room = standardRoom(v.id);
  room.powerLevels(standardPowerLevels(v.id, { events: {} }));
  rejected(t, room.check(setLevels(MOD, standardPowerLevels(v.id, { events: {}, kick: 51 }))), /kick/);
});

forVersions(ALL_VERSIONS, 'power levels: rejected when changing a top-level level that is above your own', (t, v) => {
  const room = standardRoom(v.id);
  room.powerLevels(standardPowerLevels(v.id, { events: {}, ban: 80 }));
  rejected(t, room.check(setLevels(MOD, standardPowerLevels(v.id, { events: {}, ban: 50 }))), /ban/);
  // Removing it counts as a change too.
  const without = standardPowerLevels(v.id, { events: {} });
  delete without['ban'];
  rejected(t, room.check(setLevels(MOD, without)), /ban/);
});

forVersions(ALL_VERSIONS, 'power levels: allowed when changing top-level levels within your own', (t, v) => {
  const room = standardRoom(v.id);
  room.powerLevels(standardPowerLevels(v.id, { events: {} }));
  allowed(t, room.check(setLevels(MOD, standardPowerLevels(v.id, { events: {}, kick: 50, ban: 40, state_default: 20, invite: 50 }))));
  // An unchanged level above your own does not block other changes.
  room.powerLevels(standardPowerLevels(v.id, { events: {}, redact: 90 }));
  allowed(t, room.check(setLevels(MOD, standardPowerLevels(v.id, { events: {}, redact: 90, invite: 10 }))));
});

// --- changes to events / notifications -------------------------------------------------------

for (const field of ['events', 'notifications'] as const) {
  forVersions(ALL_VERSIONS, `power levels: rejected when changing or removing a ${field} entry above your own level`, (t, v) => {
    const room = standardRoom(v.id);
    room.powerLevels(standardPowerLevels(v.id, { events: {}, [field]: { 'm.room.tombstone': 100 } }));
    rejected(t, room.check(setLevels(MOD, standardPowerLevels(v.id, { events: {}, [field]: { 'm.room.tombstone': 50 } }))), new RegExp(field));
    rejected(t, room.check(setLevels(MOD, standardPowerLevels(v.id, { events: {}, [field]: {} }))), new RegExp(field));
  });

  forVersions(ALL_VERSIONS, `power levels: rejected when adding or raising a ${field} entry above your own level`, (t, v) => {
    const room = standardRoom(v.id);
    room.powerLevels(standardPowerLevels(v.id, { events: {}, [field]: { room: 10 } }));
    rejected(t, room.check(setLevels(MOD, standardPowerLevels(v.id, { events: {}, [field]: { room: 10, other: 51 } }))), new RegExp(field));
    rejected(t, room.check(setLevels(MOD, standardPowerLevels(v.id, { events: {}, [field]: { room: 60 } }))), new RegExp(field));
  });

  forVersions(ALL_VERSIONS, `power levels: allowed when ${field} changes stay within your own level`, (t, v) => {
    const room = standardRoom(v.id);
    room.powerLevels(standardPowerLevels(v.id, { events: {}, [field]: { room: 10, high: 100 } }));
    allowed(t, room.check(setLevels(MOD, standardPowerLevels(v.id, { events: {}, [field]: { room: 50, high: 100, added: 0 } }))));
    allowed(t, room.check(setLevels(MOD, standardPowerLevels(v.id, { events: {}, [field]: { high: 100 } }))));
  });
}

// --- changes to users ----------------------------------------------------------------------

forVersions(ALL_VERSIONS, 'power levels: rejected when changing or removing another user at or above your level', (t, v) => {
  const room = standardRoom(v.id);
  room.powerLevels(withUsers(v.id, { ...baseUsers(v.id), '@peer:b.example': 50 }, { events: {} }));
  rejected(t, room.check(setLevels(MOD, withUsers(v.id, { ...baseUsers(v.id), '@peer:b.example': 10 }, { events: {} }))), /@peer/);
  rejected(t, room.check(setLevels(MOD, withUsers(v.id, { ...baseUsers(v.id) }, { events: {} }))), /@peer/);
  if (!v.privilegedCreators) {
    rejected(t, room.check(setLevels(MOD, withUsers(v.id, { ...baseUsers(v.id), [ALICE]: 0, '@peer:b.example': 50 }, { events: {} }))), /@alice/);
  }
});

forVersions(ALL_VERSIONS, 'power levels: rejected when giving a user more than your own level', (t, v) => {
  const room = standardRoom(v.id);
  room.powerLevels(standardPowerLevels(v.id, { events: {} }));
  rejected(t, room.check(setLevels(MOD, withUsers(v.id, { ...baseUsers(v.id), [BOB]: 51 }, { events: {} }))), /@bob/);
  rejected(t, room.check(setLevels(MOD, withUsers(v.id, { ...baseUsers(v.id), [MOD]: 51 }, { events: {} }))), /@mod/);
});

forVersions(ALL_VERSIONS, 'power levels: allowed when changing lower users, or lowering yourself', (t, v) => {
  const room = standardRoom(v.id);
  room.powerLevels(withUsers(v.id, { ...baseUsers(v.id), [BOB]: 10 }, { events: {} }));
  allowed(t, room.check(setLevels(MOD, withUsers(v.id, { ...baseUsers(v.id), [BOB]: 50 }, { events: {} }))));
  allowed(t, room.check(setLevels(MOD, withUsers(v.id, { ...baseUsers(v.id) }, { events: {} }))));
  allowed(t, room.check(setLevels(MOD, withUsers(v.id, { ...baseUsers(v.id), [BOB]: 10, [MOD]: 20 }, { events: {} }))));
});

forVersions(['12'], 'power levels: creators have infinite power and may set any level', (t, v) => {
  const room = standardRoom(v.id, 'invite', { additional_creators: [CAROL] });
  room.member(CAROL, 'join');
  allowed(t, room.check(setLevels(CAROL, withUsers(v.id, { [MOD]: 9007199254740991 }, { ban: 9007199254740991 }))));
  allowed(t, room.check(setLevels(ALICE, withUsers(v.id, {}, { events: { 'm.room.power_levels': 9007199254740991 } }))));
});

forVersions(ALL_VERSIONS, 'power levels: rejected when the sender is below the level for m.room.power_levels', (t, v) => {
  const room = standardRoom(v.id);
  rejected(t, room.check(setLevels(MOD, standardPowerLevels(v.id))), /required power level/);
});

// --- helpers -------------------------------------------------------------------------------

forVersions(ALL_VERSIONS, 'userPowerLevel: explicit entry, then users_default, then 0', (t, v) => {
  const room = standardRoom(v.id);
  const pl = room.get('m.room.power_levels', '');
  t.is(userPowerLevel(MOD, pl, room.create, v), 50);
  t.is(userPowerLevel(BOB, pl, room.create, v), 0);
  room.powerLevels(standardPowerLevels(v.id, { users_default: 7 }));
  t.is(userPowerLevel(BOB, room.get('m.room.power_levels', ''), room.create, v), 7);
  t.is(userPowerLevel(BOB, { ...pl!, content: {} }, room.create, v), 0);
});

forVersions(['10', '11'], 'userPowerLevel: without power levels the creator has 100 and everyone else 0', (t, v) => {
  const room = new Room(v.id);
  t.is(userPowerLevel(ALICE, undefined, room.create, v), 100);
  t.is(userPowerLevel(BOB, undefined, room.create, v), 0);
});

forVersions(['10', '11'], 'userPowerLevel: the creator has only their listed level once power levels exist', (t, v) => {
  const room = standardRoom(v.id);
  room.powerLevels(withUsers(v.id, { [ALICE]: 42 }));
  t.is(userPowerLevel(ALICE, room.get('m.room.power_levels', ''), room.create, v), 42);
});

forVersions(['12'], 'userPowerLevel: creators are infinite with or without power levels', (t, v) => {
  const room = standardRoom(v.id, 'invite', { additional_creators: [CAROL] });
  const pl = room.get('m.room.power_levels', '');
  t.is(userPowerLevel(ALICE, pl, room.create, v), Infinity);
  t.is(userPowerLevel(CAROL, pl, room.create, v), Infinity);
  t.is(userPowerLevel(ALICE, undefined, room.create, v), Infinity);
  t.is(userPowerLevel(BOB, undefined, room.create, v), 0);
  t.is(userPowerLevel(MOD, pl, room.create, v), 50);
});

test('roomCreators: content.creator in v10, the sender in v11, plus additional_creators in v12', (t) => {
  const create = new Room('10', { creator: BOB }).create;
  t.deepEqual([...roomCreators(create, rv('10'))], [BOB]);
  t.deepEqual([...roomCreators({ ...create, content: { additional_creators: [CAROL] } }, rv('11'))], [ALICE]);
  t.deepEqual([...roomCreators({ ...create, content: { additional_creators: [CAROL, 3] } }, rv('12'))], [ALICE, CAROL]);
});

test('requiredPowerLevelForEvent: events entry, then state_default or events_default, with spec defaults', (t) => {
  const pl = new Room('11').event({ type: 'm.room.power_levels', sender: ALICE, state_key: '', content: { events: { 'm.room.name': 70 }, state_default: 30, events_default: 5 } });
  t.is(requiredPowerLevelForEvent('m.room.name', true, pl), 70);
  t.is(requiredPowerLevelForEvent('m.room.topic', true, pl), 30);
  t.is(requiredPowerLevelForEvent('m.room.message', false, pl), 5);
  t.is(requiredPowerLevelForEvent('m.room.topic', true, undefined), 50);
  t.is(requiredPowerLevelForEvent('m.room.message', false, undefined), 0);
  t.is(requiredPowerLevelForEvent('m.room.topic', true, { ...pl, content: {} }), 50);
});

test('powerLevelAction: invite defaults to 0, kick, ban and redact to 50', (t) => {
  t.is(powerLevelAction('invite', undefined), 0);
  t.is(powerLevelAction('kick', undefined), 50);
  t.is(powerLevelAction('ban', undefined), 50);
  t.is(powerLevelAction('redact', undefined), 50);
  const pl = new Room('11').event({ type: 'm.room.power_levels', sender: ALICE, state_key: '', content: { invite: 3, kick: 4, ban: 5, redact: 6 } });
  t.deepEqual((['invite', 'kick', 'ban', 'redact'] as const).map((a) => powerLevelAction(a, pl)), [3, 4, 5, 6]);
});
