import { checkEventAuth } from '../../../src/core/auth/index.js';
import type { RoomEvent } from '../../../src/core/events.js';
import type { JsonObject } from '../../../src/core/json.js';
import { ALICE, ALL_VERSIONS, allowed, forVersions, rejected, rv, type VersionId } from './builder.js';

const noState = { get: () => undefined };

/** A create event valid for the version unless the overrides break it. */
function create(id: VersionId, overrides: Partial<RoomEvent> = {}, content: JsonObject = {}): RoomEvent {
  const base: RoomEvent = {
    event_id: '$create',
    sender: ALICE,
    type: 'm.room.create',
    state_key: '',
    content: { room_version: id, ...(id === '10' ? { creator: ALICE } : {}), ...content },
    origin_server_ts: 0,
    prev_events: [],
    auth_events: [],
  };
  if (!rv(id).roomIdFromCreateEvent) base.room_id = '!room:a.example';
  return { ...base, ...overrides };
}

forVersions(ALL_VERSIONS, 'create: allowed without prev_events', (t, v) => {
  allowed(t, checkEventAuth(create(v.id as VersionId), noState, v));
});

forVersions(ALL_VERSIONS, 'create: rejected when it has prev_events', (t, v) => {
  rejected(t, checkEventAuth(create(v.id as VersionId, { prev_events: ['$earlier'] }), noState, v), /prev_events/);
});

forVersions(['10', '11'], 'create: allowed when the room_id domain matches the sender domain', (t, v) => {
  allowed(t, checkEventAuth(create(v.id as VersionId, { room_id: '!abc:a.example' }), noState, v));
});

forVersions(['10', '11'], 'create: rejected when the room_id domain differs from the sender domain', (t, v) => {
  rejected(t, checkEventAuth(create(v.id as VersionId, { room_id: '!abc:b.example' }), noState, v), /domain/);
});

forVersions(['10', '11'], 'create: rejected without a room_id', (t, v) => {
  const event = create(v.id as VersionId);
  delete event.room_id;
  rejected(t, checkEventAuth(event, noState, v), /room_id/);
});

forVersions(['12'], 'create: allowed without a room_id', (t, v) => {
  allowed(t, checkEventAuth(create('12'), noState, v));
});

forVersions(['12'], 'create: rejected when it has a room_id', (t, v) => {
  rejected(t, checkEventAuth(create('12', { room_id: '!abc:a.example' }), noState, v), /has a room_id/);
});

forVersions(ALL_VERSIONS, 'create: allowed when content.room_version is a recognised version', (t, v) => {
  allowed(t, checkEventAuth(create(v.id as VersionId, {}, { room_version: '9' }), noState, v));
});

forVersions(ALL_VERSIONS, 'create: allowed when content.room_version is absent', (t, v) => {
  const event = create(v.id as VersionId);
  delete event.content['room_version'];
  allowed(t, checkEventAuth(event, noState, v));
});

forVersions(ALL_VERSIONS, 'create: rejected when content.room_version is not a recognised version', (t, v) => {
  rejected(t, checkEventAuth(create(v.id as VersionId, {}, { room_version: '999' }), noState, v), /room_version/);
  rejected(t, checkEventAuth(create(v.id as VersionId, {}, { room_version: 11 }), noState, v), /room_version/);
});

forVersions(['10'], 'create: rejected when content has no creator', (t, v) => {
  const event = create('10');
  delete event.content['creator'];
  rejected(t, checkEventAuth(event, noState, v), /creator/);
});

forVersions(['10'], 'create: allowed when content has a creator', (t, v) => {
  allowed(t, checkEventAuth(create('10', {}, { creator: ALICE }), noState, v));
});

forVersions(['11', '12'], 'create: allowed without a creator property (the sender is the creator)', (t, v) => {
  const event = create(v.id as VersionId);
  t.false('creator' in event.content);
  allowed(t, checkEventAuth(event, noState, v));
});

forVersions(['12'], 'create: allowed when additional_creators is an array of valid user IDs', (t, v) => {
  allowed(t, checkEventAuth(create('12', {}, { additional_creators: ['@bob:b.example', '@Old Style:c.example:8448'] }), noState, v));
  allowed(t, checkEventAuth(create('12', {}, { additional_creators: [] }), noState, v));
});

forVersions(['12'], 'create: rejected when additional_creators is not an array', (t, v) => {
  rejected(t, checkEventAuth(create('12', {}, { additional_creators: '@bob:b.example' }), noState, v), /additional_creators/);
});

forVersions(['12'], 'create: rejected when additional_creators holds a non-string', (t, v) => {
  rejected(t, checkEventAuth(create('12', {}, { additional_creators: ['@bob:b.example', 7] }), noState, v), /additional_creators/);
});

forVersions(['12'], 'create: rejected when additional_creators holds an invalid user ID', (t, v) => {
  for (const bad of ['bob:b.example', '@bob', '@bob:bad_server!', `@${'x'.repeat(260)}:b.example`]) {
    rejected(t, checkEventAuth(create('12', {}, { additional_creators: [bad] }), noState, v), /additional_creators/);
  }
});

forVersions(['10', '11'], 'create: additional_creators is not checked before v12', (t, v) => {
  allowed(t, checkEventAuth(create(v.id as VersionId, {}, { additional_creators: 'nonsense' }), noState, v));
});
