import { stateKey, type RoomEvent } from '../events.js';
import { isJsonObject } from '../json.js';
import type { RoomVersion } from '../room-versions.js';
import { ALLOW, isRejected, reject, type AuthResult } from './result.js';
import { CREATE, JOIN_RULES, MEMBER, POWER_LEVELS, THIRD_PARTY_INVITE } from './state.js';

/** The `signed.token` of an invite's `third_party_invite`, when it is there and usable as a key. */
function thirdPartyInviteToken(content: RoomEvent['content']): string | undefined {
  const thirdPartyInvite = content['third_party_invite'];
  if (!isJsonObject(thirdPartyInvite)) return undefined;
  const signed = thirdPartyInvite['signed'];
  if (!isJsonObject(signed)) return undefined;
  const token = signed['token'];
  return typeof token === 'string' ? token : undefined;
}

/** "Auth events selection" of the server-server API. */
export function authEventSelection(
  event: Pick<RoomEvent, 'type' | 'state_key' | 'sender' | 'content'>,
  rv: RoomVersion,
): Array<[type: string, stateKey: string]> {
  if (event.type === CREATE) return [];
  const selected: Array<[string, string]> = [];
  const seen = new Set<string>();
  const add = (type: string, key: string): void => {
    if (seen.has(stateKey(type, key))) return;
    seen.add(stateKey(type, key));
    selected.push([type, key]);
  };

  // From v12 the room ID names the create event, so citing it would be redundant.
  if (rv.createEventInAuthEvents) add(CREATE, '');
  add(POWER_LEVELS, '');
  add(MEMBER, event.sender);

  if (event.type === MEMBER && typeof event.state_key === 'string') {
    add(MEMBER, event.state_key);
    const membership = event.content['membership'];
    if (membership === 'join' || membership === 'invite' || membership === 'knock') add(JOIN_RULES, '');
    if (membership === 'invite') {
      const token = thirdPartyInviteToken(event.content);
      if (token !== undefined) add(THIRD_PARTY_INVITE, token);
    }
    const authoriser = event.content['join_authorised_via_users_server'];
    if (membership === 'join' && rv.restrictedJoins && typeof authoriser === 'string') add(MEMBER, authoriser);
  }
  return selected;
}

/**
 * The rules on the `auth_events` list itself (v10/v11 rule 2, v12 rule 3). `authEvents` must be
 * the events `event.auth_events` names; rejected ones carry `rejected: true`. In v12 the create
 * event is not part of the list: whether the room ID names an accepted create event is checked by
 * checkEventAuth against the create event the caller supplies in the state.
 */
export function checkAuthEventsList(event: RoomEvent, authEvents: RoomEvent[], rv: RoomVersion): AuthResult {
  if (event.type === CREATE) return ALLOW;

  const listed = new Set(event.auth_events);
  const byId = new Map<string, RoomEvent>();
  for (const authEvent of authEvents) {
    if (!listed.has(authEvent.event_id)) return reject(`auth events: ${authEvent.event_id} is not in the event's auth_events`);
    byId.set(authEvent.event_id, authEvent);
  }

  const expected = new Set(authEventSelection(event, rv).map(([type, key]) => stateKey(type, key)));
  const seen = new Set<string>();
  const cited: RoomEvent[] = [];
  for (const id of event.auth_events) {
    const authEvent = byId.get(id);
    if (!authEvent) return reject(`auth events: ${id} was not supplied`);
    if (authEvent.state_key === undefined) return reject(`auth events: ${id} is not a state event`);
    const key = stateKey(authEvent.type, authEvent.state_key);
    if (seen.has(key)) return reject(`auth events: duplicate entry for (${authEvent.type}, ${authEvent.state_key})`);
    if (!expected.has(key)) return reject(`auth events: (${authEvent.type}, ${authEvent.state_key}) is not selected for this event`);
    if (isRejected(authEvent)) return reject(`auth events: ${id} was rejected`);
    seen.add(key);
    cited.push(authEvent);
  }

  if (rv.createEventInAuthEvents && !seen.has(stateKey(CREATE, ''))) return reject('auth events: no m.room.create event');

  for (const authEvent of cited) {
    // Power granted in one room must not be usable in another.
    if (authEvent.room_id !== event.room_id) return reject(`auth events: ${authEvent.event_id} belongs to another room`);
  }
  return ALLOW;
}
