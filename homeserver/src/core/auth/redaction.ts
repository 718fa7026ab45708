import type { RoomEvent } from '../events.js';
import type { RoomVersion } from '../room-versions.js';
import { powerLevelAction, userPowerLevel } from './power-levels.js';
import { ALLOW, reject, type AuthResult, type AuthState } from './result.js';
import { createEvent, powerLevelsEvent } from './state.js';
import { serverNameOf } from './user-id.js';

/** The redacted event's ID: in `content` from v11, a top-level property before. */
export function redactsOf(event: Pick<RoomEvent, 'content' | 'redacts'>, rv: RoomVersion): string | undefined {
  const redacts = rv.redactsInContent ? event.content['redacts'] : event.redacts;
  return typeof redacts === 'string' ? redacts : undefined;
}

/**
 * "Handling redactions": since v3 the auth rules let any redaction through (subject only to the
 * event type's required power level), and the server decides separately, once it holds both
 * events, whether to apply it. Allowed when the sender reaches the redact level or when the
 * redaction comes from the same server as the original event (users redacting their own events).
 */
export function mayApplyRedaction(redaction: RoomEvent, target: RoomEvent, state: AuthState, rv: RoomVersion): AuthResult {
  if (redactsOf(redaction, rv) !== target.event_id) return reject('redaction: does not name this event');
  if (target.room_id !== undefined && target.room_id !== redaction.room_id) return reject('redaction: the event is in another room');
  const powerLevels = powerLevelsEvent(state);
  const senderLevel = userPowerLevel(redaction.sender, powerLevels, createEvent(state), rv);
  if (senderLevel >= powerLevelAction('redact', powerLevels)) return ALLOW;
  if (serverNameOf(redaction.sender) === serverNameOf(target.sender)) return ALLOW;
  return reject('redaction: sender is below the redact level and on another server than the original sender');
}
