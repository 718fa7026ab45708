import { checkEventAuth, type MaybeRejectedEvent } from '../../../src/core/auth/index.js';
import { ALICE, ALL_VERSIONS, allowed, BOB, CAROL, DAVE, forVersions, MOD, rejected, Room, standardRoom } from './builder.js';

const message = { type: 'm.room.message', sender: BOB, content: { body: 'hi' } };

forVersions(ALL_VERSIONS, 'no create event in state: rejected', (t, v) => {
  const room = standardRoom(v.id).remove('m.room.create', '');
  rejected(t, room.check(message), /m.room.create/);
});

forVersions(['12'], 'room ID: allowed when the room_id is the create event ID with the ! sigil', (t, v) => {
  const room = standardRoom(v.id);
  t.is(room.roomId, '!CreateHash');
  allowed(t, room.check(message));
});

forVersions(['12'], 'room ID: rejected when the room_id is not the create event ID', (t, v) => {
  const room = standardRoom(v.id);
  rejected(t, room.check({ ...message, room_id: '!OtherHash' }), /room_id/);
  rejected(t, room.check({ ...message, room_id: undefined }), /room_id/);
});

forVersions(['12'], 'room ID: rejected when the create event it names was rejected', (t, v) => {
  const room = standardRoom(v.id);
  room.put({ ...room.create, rejected: true } as MaybeRejectedEvent);
  rejected(t, room.check(message), /rejected/);
});

forVersions(['10', '11'], 'room ID: rejected when the create event in the state belongs to another room', (t, v) => {
  const room = standardRoom(v.id);
  rejected(t, room.check({ ...message, room_id: '!other:a.example' }), /another room/);
});

forVersions(ALL_VERSIONS, 'm.federate: rejected when false and the sender is on another server than the creator', (t, v) => {
  const room = standardRoom(v.id, 'public', { 'm.federate': false });
  rejected(t, room.check(message), /not federated/);
  rejected(t, room.check({ type: 'm.room.member', sender: CAROL, state_key: CAROL, content: { membership: 'join' } }), /not federated/);
});

forVersions(ALL_VERSIONS, 'm.federate: allowed when false and the sender is on the creator server', (t, v) => {
  const room = standardRoom(v.id, 'public', { 'm.federate': false });
  allowed(t, room.check({ type: 'm.room.member', sender: DAVE, state_key: DAVE, content: { membership: 'join' } }));
  allowed(t, room.check({ ...message, sender: ALICE }));
});

forVersions(ALL_VERSIONS, 'm.federate: allowed from other servers when true or absent', (t, v) => {
  allowed(t, standardRoom(v.id, 'public', { 'm.federate': true }).check(message));
  allowed(t, standardRoom(v.id, 'public').check(message));
});

forVersions(ALL_VERSIONS, 'sender must be joined: rejected when the sender is not joined', (t, v) => {
  const room = standardRoom(v.id);
  rejected(t, room.check({ ...message, sender: CAROL }), /not joined/);
  room.member(CAROL, 'invite');
  rejected(t, room.check({ ...message, sender: CAROL }), /not joined/);
  room.member(BOB, 'leave');
  rejected(t, room.check(message), /not joined/);
});

forVersions(ALL_VERSIONS, 'sender must be joined: allowed when the sender is joined', (t, v) => {
  allowed(t, standardRoom(v.id).check(message));
});

forVersions(ALL_VERSIONS, 'm.room.third_party_invite: allowed when the sender reaches the invite level', (t, v) => {
  const room = standardRoom(v.id);
  // state_default is 50, yet only the invite level (0) counts for this event type.
  allowed(t, room.check({ type: 'm.room.third_party_invite', sender: BOB, state_key: 'token', content: { display_name: 'c…' } }));
});

forVersions(ALL_VERSIONS, 'm.room.third_party_invite: rejected when the sender is below the invite level', (t, v) => {
  const room = standardRoom(v.id);
  room.powerLevels({ ...room.get('m.room.power_levels', '')!.content, invite: 10 });
  rejected(t, room.check({ type: 'm.room.third_party_invite', sender: BOB, state_key: 'token', content: {} }), /invite level/);
});

forVersions(ALL_VERSIONS, 'm.room.third_party_invite: rejected when the sender is not joined', (t, v) => {
  const room = standardRoom(v.id);
  rejected(t, room.check({ type: 'm.room.third_party_invite', sender: CAROL, state_key: 'token', content: {} }), /not joined/);
});

forVersions(ALL_VERSIONS, 'required power level: rejected when the event type needs more than the sender has', (t, v) => {
  const room = standardRoom(v.id);
  rejected(t, room.check({ type: 'm.room.name', sender: BOB, state_key: '', content: { name: 'x' } }), /required power level/);
  rejected(t, room.check({ type: 'm.room.topic', sender: BOB, state_key: '', content: { topic: 'x' } }), /required power level/);
  room.powerLevels({ ...room.get('m.room.power_levels', '')!.content, events_default: 10 });
  rejected(t, room.check(message), /required power level/);
});

forVersions(ALL_VERSIONS, 'required power level: allowed when the sender has enough', (t, v) => {
  const room = standardRoom(v.id);
  allowed(t, room.check({ type: 'm.room.name', sender: MOD, state_key: '', content: { name: 'x' } }));
  allowed(t, room.check({ type: 'm.room.topic', sender: MOD, state_key: '', content: { topic: 'x' } }));
  allowed(t, room.check({ type: 'm.room.name', sender: ALICE, state_key: '', content: { name: 'x' } }));
});

forVersions(ALL_VERSIONS, 'required power level: redactions follow events/events_default, not the redact level', (t, v) => {
  const room = standardRoom(v.id);
  const redaction = { type: 'm.room.redaction', sender: BOB, content: { redacts: '$x' }, redacts: '$x' };
  allowed(t, room.check(redaction));
  room.powerLevels({ ...room.get('m.room.power_levels', '')!.content, events: { 'm.room.redaction': 20 } });
  rejected(t, room.check(redaction), /required power level/);
});

forVersions(ALL_VERSIONS, 'required power level: without power levels, state needs 50 and messages 0', (t, v) => {
  const room = new Room(v.id);
  room.member(ALICE, 'join').member(BOB, 'join');
  allowed(t, room.check(message));
  rejected(t, room.check({ type: 'm.room.topic', sender: BOB, state_key: '', content: {} }), /required power level/);
  allowed(t, room.check({ type: 'm.room.topic', sender: ALICE, state_key: '', content: {} }));
});

forVersions(ALL_VERSIONS, 'state_key starting with @: rejected when it is not the sender', (t, v) => {
  const room = standardRoom(v.id);
  room.powerLevels({ ...room.get('m.room.power_levels', '')!.content, events: { 'org.example.profile': 0 } });
  rejected(t, room.check({ type: 'org.example.profile', sender: BOB, state_key: MOD, content: {} }), /state_key/);
  // Even the creator cannot write state keyed to someone else.
  rejected(t, room.check({ type: 'org.example.profile', sender: ALICE, state_key: BOB, content: {} }), /state_key/);
});

forVersions(ALL_VERSIONS, 'state_key starting with @: allowed when it is the sender', (t, v) => {
  const room = standardRoom(v.id);
  room.powerLevels({ ...room.get('m.room.power_levels', '')!.content, events: { 'org.example.profile': 0 } });
  allowed(t, room.check({ type: 'org.example.profile', sender: BOB, state_key: BOB, content: {} }));
  allowed(t, room.check({ type: 'org.example.profile', sender: BOB, state_key: 'not-a-user', content: {} }));
});

forVersions(ALL_VERSIONS, 'otherwise: allowed', (t, v) => {
  const room = standardRoom(v.id);
  allowed(t, room.check({ type: 'org.example.custom', sender: BOB, content: { anything: [1, 2] } }));
});

forVersions(ALL_VERSIONS, 'auth state: checkEventAuth reads only the given state', (t, v) => {
  const room = standardRoom(v.id);
  const event = room.event(message);
  allowed(t, checkEventAuth(event, room.authState(), v));
  rejected(t, checkEventAuth(event, { get: (type, key) => (type === 'm.room.member' ? undefined : room.get(type, key)) }, v));
});
