import test from 'ava';
import { computeEventId, computeRoomIdV12, isValidEventId, isValidRoomId } from '../../src/core/ids.js';
import type { JsonObject } from '../../src/core/json.js';
import { roomVersion, type RoomVersion } from '../../src/core/room-versions.js';
import { loadVector } from '../helpers/vectors.js';

interface EventIdVector {
  name: string;
  room_version: string;
  event: JsonObject;
  event_json?: string;
  expected_event_id: string;
  expected_room_id?: string;
  other_room_versions?: { room_version: string; expected_event_id: string }[];
}

const { vectors } = loadVector<{ vectors: EventIdVector[] }>('event-ids.json');

function rv(id: string): RoomVersion {
  const v = roomVersion(id);
  if (v === undefined) throw new Error(`unknown room version ${id}`);
  return v;
}

for (const v of vectors) {
  test(`event ID vector ${v.name} (room version ${v.room_version})`, (t) => {
    const version = rv(v.room_version);
    t.is(computeEventId(v.event, version), v.expected_event_id);
    t.true(isValidEventId(v.expected_event_id, version));
    if (v.event_json !== undefined) {
      // The original text, as another server sent it: whitespace and key order must not matter.
      t.is(computeEventId(JSON.parse(v.event_json) as JsonObject, version), v.expected_event_id);
    }
  });

  for (const other of v.other_room_versions ?? []) {
    test(`event ID vector ${v.name} in room version ${other.room_version}`, (t) => {
      t.is(computeEventId(v.event, rv(other.room_version)), other.expected_event_id);
    });
  }

  if (v.expected_room_id !== undefined) {
    const expectedRoomId = v.expected_room_id;
    test(`room ID vector ${v.name}`, (t) => {
      t.is(computeRoomIdV12(v.event, rv(v.room_version)), expectedRoomId);
      t.is(expectedRoomId.slice(1), v.expected_event_id.slice(1), 'the room ID is the create event ID with !');
      t.true(isValidRoomId(expectedRoomId, rv('12')));
    });
  }
}

test('the v12 member vector sits in the room derived from the v12 create vector', (t) => {
  const create = vectors.find((v) => v.name === 'derived/v12-create-event-room-id')!;
  const member = vectors.find((v) => v.name === 'derived/v12-member-event-in-that-room')!;
  t.is(member.event['room_id'], computeRoomIdV12(create.event, rv('12')));
  t.deepEqual(member.event['prev_events'], [computeEventId(create.event, rv('12'))]);
});

test('room versions 1 and 2 take the event ID from the event, and require one', (t) => {
  t.is(computeEventId({ event_id: '$abc:example.org', type: 'X' }, rv('2')), '$abc:example.org');
  t.throws(() => computeEventId({ type: 'X' }, rv('1')));
});

test('v3 IDs use the standard alphabet, v4+ the URL-safe one, over the same hash', (t) => {
  const v3 = vectors.find((v) => v.room_version === '3')!;
  const id3 = computeEventId(v3.event, rv('3'));
  const id4 = computeEventId(v3.event, rv('4'));
  t.regex(id3, /[+/]/);
  t.is(id4, id3.replace(/\+/g, '-').replace(/\//g, '_'));
  for (const version of ['5', '6', '7', '8', '9', '10']) t.is(computeEventId(v3.event, rv(version)), id4, version);
});

test('computeRoomIdV12 only applies to v12 create events', (t) => {
  const create = vectors.find((v) => v.name === 'derived/v12-create-event-room-id')!.event;
  t.throws(() => computeRoomIdV12(create, rv('11')));
  t.throws(() => computeRoomIdV12({ ...create, type: 'm.room.member' }, rv('12')));
});

test('a v12 create event changed in a covered field gets another room ID', (t) => {
  const create = vectors.find((v) => v.name === 'derived/v12-create-event-room-id')!.event;
  const id = computeRoomIdV12(create, rv('12'));
  t.not(computeRoomIdV12({ ...create, origin_server_ts: 1750000000001 }, rv('12')), id);
  t.is(computeRoomIdV12({ ...create, unsigned: { age: 1 }, signatures: {} }, rv('12')), id);
});
