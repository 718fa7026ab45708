import test from 'ava';
import { roomVersion, supportedRoomVersions, DEFAULT_ROOM_VERSION } from '../../src/core/room-versions.js';

test('the supported room versions are 10, 11 and 12, with 11 the default', (t) => {
  t.deepEqual(supportedRoomVersions().map((v) => v.id), ['10', '11', '12']);
  t.is(roomVersion(DEFAULT_ROOM_VERSION)?.supported, true);
});

test('room version 12 derives its room ID from the create event and uses state res v2.1', (t) => {
  const v12 = roomVersion('12');
  t.truthy(v12);
  t.true(v12!.roomIdFromCreateEvent);
  t.false(v12!.createEventInAuthEvents);
  t.is(v12!.stateRes, 'v2.1');
  t.is(roomVersion('11')!.stateRes, 'v2');
  t.is(roomVersion('13'), undefined);
});
