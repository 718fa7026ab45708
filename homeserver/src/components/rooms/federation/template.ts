import { authEventSelection } from '../../../core/auth/index.js';
import { stateKey } from '../../../core/events.js';
import type { JsonObject } from '../../../core/json.js';
import { MAX_PREV_EVENTS } from '../../../core/pdu.js';
import type { RoomInfo } from '../pipeline/room-info.js';

/**
 * An unsigned event for another server to complete and sign (`make_join`, `make_leave`,
 * `make_knock`): prev_events, auth_events and depth from the room as we see it now.
 */
export function eventTemplate(info: RoomInfo, t: { type: string; state_key: string; sender: string; content: JsonObject }, now: number): JsonObject {
  const rv = info.version;
  const authEvents: string[] = [];
  for (const [type, key] of authEventSelection(t, rv)) {
    if (type === 'm.room.create' && !rv.createEventInAuthEvents) continue;
    const id = info.state.get(stateKey(type, key));
    if (id !== undefined && !authEvents.includes(id)) authEvents.push(id);
  }
  return {
    room_id: info.roomId,
    type: t.type,
    state_key: t.state_key,
    sender: t.sender,
    content: t.content,
    origin: t.sender.slice(t.sender.indexOf(':') + 1),
    origin_server_ts: now,
    prev_events: info.extremities.slice(-MAX_PREV_EVENTS),
    auth_events: authEvents,
    depth: Math.min(info.maxDepth + 1, Number.MAX_SAFE_INTEGER),
  };
}
