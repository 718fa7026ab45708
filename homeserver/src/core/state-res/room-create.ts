import type { RoomVersion } from '../room-versions.js';
import type { RoomEvent } from '../events.js';

/**
 * The create event an event implicitly cites in room version 12, where it is never listed in
 * `auth_events`: the room ID is the create event's ID with `!` for `$`. Undefined for earlier
 * versions (they list it) and for the create event itself (it has no room ID).
 */
export function impliedCreateEventId(event: Pick<RoomEvent, 'room_id'>, rv: RoomVersion): string | undefined {
  if (!rv.roomIdFromCreateEvent) return undefined;
  const roomId = event.room_id;
  if (typeof roomId !== 'string' || !roomId.startsWith('!')) return undefined;
  return `$${roomId.slice(1)}`;
}
