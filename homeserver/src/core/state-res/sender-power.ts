import { userPowerLevel } from '../auth/power-levels.js';
import type { RoomVersion } from '../room-versions.js';
import { impliedCreateEventId } from './room-create.js';
import type { EventCache } from './store.js';

/**
 * The sender's power level as the power ordering needs it: read from the event's own auth
 * events, not from any resolved state, so that it is a fixed property of the event and every
 * server computes the same. The caller must have loaded the auth events (and, in v12, the create
 * event the room ID names).
 */
export function senderPowerLevel(cache: EventCache, rv: RoomVersion, id: string): number {
  const event = cache.get(id);
  if (event === undefined) return 0;
  let powerLevels;
  let create;
  for (const a of event.auth_events) {
    const authEvent = cache.get(a);
    if (authEvent === undefined || authEvent.state_key !== '') continue;
    if (authEvent.type === 'm.room.power_levels') powerLevels ??= authEvent;
    else if (authEvent.type === 'm.room.create') create ??= authEvent;
  }
  const implied = impliedCreateEventId(event, rv);
  if (implied !== undefined) create = cache.get(implied);
  return userPowerLevel(event.sender, powerLevels, create, rv);
}
