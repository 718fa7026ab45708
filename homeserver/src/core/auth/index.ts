import type { RoomEvent } from '../events.js';
import type { RoomVersion } from '../room-versions.js';
import { checkCreateEvent } from './create.js';
import { checkMemberEvent } from './member.js';
import { checkPowerLevelsEvent, requiredPowerLevelForEvent, userPowerLevel } from './power-levels.js';
import { ALLOW, isRejected, reject, type AuthOptions, type AuthResult, type AuthState } from './result.js';
import { CREATE, createEvent, MEMBER, membershipOf, POWER_LEVELS, powerLevelsEvent, THIRD_PARTY_INVITE } from './state.js';
import { checkThirdPartyInviteEvent } from './third-party-invite.js';
import { serverNameOf } from './user-id.js';

export type { AuthOptions, AuthResult, AuthState, MaybeRejectedEvent } from './result.js';
export { isRejected } from './result.js';
export { authEventSelection, checkAuthEventsList } from './auth-events.js';
export { powerLevelAction, requiredPowerLevelForEvent, roomCreators, userPowerLevel } from './power-levels.js';
export { mayApplyRedaction, redactsOf } from './redaction.js';

/** v12: the room ID is the create event's ID with `!` in place of `$`. */
function namesCreateEvent(roomId: string | undefined, create: RoomEvent): boolean {
  return roomId !== undefined && create.event_id.startsWith('$') && roomId === `!${create.event_id.slice(1)}`;
}

/**
 * Rules that tie the event to the room's create event: v12's "room ID names an accepted create
 * event" and every version's `m.federate`.
 */
function checkAgainstCreate(event: RoomEvent, create: RoomEvent, rv: RoomVersion): AuthResult {
  if (rv.roomIdFromCreateEvent) {
    if (!namesCreateEvent(event.room_id, create)) return reject('room_id does not name the m.room.create event');
    if (isRejected(create)) return reject('the m.room.create event was rejected');
  } else if (event.room_id !== undefined && create.room_id !== undefined && event.room_id !== create.room_id) {
    return reject('the m.room.create event belongs to another room');
  }
  if (create.content['m.federate'] === false && serverNameOf(event.sender) !== serverNameOf(create.sender)) {
    return reject('the room is not federated and the sender is on another server than the creator');
  }
  return ALLOW;
}

/**
 * The full auth check of `event` against the given state (its auth events, or the state before
 * it, or current state). In v12 `state` must still yield the create event. The rules on the
 * `auth_events` list itself are checkAuthEventsList's; a check "based on the event's auth
 * events" runs both.
 */
export function checkEventAuth(event: RoomEvent, state: AuthState, rv: RoomVersion, options: AuthOptions = {}): AuthResult {
  if (event.type === CREATE) return checkCreateEvent(event, rv);

  const create = createEvent(state);
  if (!create) return reject('no m.room.create event in the state');
  const tied = checkAgainstCreate(event, create, rv);
  if (!tied.ok) return tied;

  if (event.type === MEMBER) return checkMemberEvent(event, state, rv, options);

  if (membershipOf(state, event.sender) !== 'join') return reject('sender is not joined to the room');

  const powerLevels = powerLevelsEvent(state);
  const senderLevel = userPowerLevel(event.sender, powerLevels, create, rv);
  if (event.type === THIRD_PARTY_INVITE) return checkThirdPartyInviteEvent(state, senderLevel);

  const isState = event.state_key !== undefined;
  if (requiredPowerLevelForEvent(event.type, isState, powerLevels) > senderLevel) {
    return reject(`sender is below the required power level for ${event.type}`);
  }
  // State keyed by a user ID belongs to that user.
  if (event.state_key?.startsWith('@') && event.state_key !== event.sender) {
    return reject('state_key is another user ID than the sender');
  }
  if (event.type === POWER_LEVELS) return checkPowerLevelsEvent(event, state, rv, senderLevel);
  return ALLOW;
}
