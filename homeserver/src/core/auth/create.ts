import type { RoomEvent } from '../events.js';
import { roomVersion, type RoomVersion } from '../room-versions.js';
import { ALLOW, reject, type AuthResult } from './result.js';
import { isValidUserId, serverNameOf } from './user-id.js';

/** Rule 1: the create event is judged on itself alone, never on room state. */
export function checkCreateEvent(event: RoomEvent, rv: RoomVersion): AuthResult {
  if (event.prev_events.length > 0) return reject('m.room.create: has prev_events');

  if (rv.roomIdFromCreateEvent) {
    // The room ID is derived from this event's hash, so it cannot also be inside it.
    if (event.room_id !== undefined) return reject('m.room.create: has a room_id');
  } else {
    const roomDomain = event.room_id === undefined ? undefined : serverNameOf(event.room_id);
    if (roomDomain === undefined || roomDomain !== serverNameOf(event.sender)) {
      return reject('m.room.create: room_id domain does not match the sender domain');
    }
  }

  if ('room_version' in event.content) {
    const version = event.content['room_version'];
    if (typeof version !== 'string' || roomVersion(version) === undefined) {
      return reject('m.room.create: content.room_version is not a recognised version');
    }
  }

  if (!rv.implicitCreator && !('creator' in event.content)) return reject('m.room.create: content has no creator');

  if (rv.privilegedCreators && 'additional_creators' in event.content) {
    const additional = event.content['additional_creators'];
    if (!Array.isArray(additional) || !additional.every(isValidUserId)) {
      return reject('m.room.create: additional_creators is not an array of valid user IDs');
    }
  }
  return ALLOW;
}
