import type { RoomEvent } from '../events.js';
import { isJsonObject, type JsonObject } from '../json.js';
import { powerLevelAction } from './power-levels.js';
import { ALLOW, reject, type AuthResult, type AuthState } from './result.js';
import { membershipOf, powerLevelsEvent, THIRD_PARTY_INVITE } from './state.js';
import { anySignatureMatches } from './signed-json.js';

/** Keys an identity server may sign with: `public_key` and every `public_keys[].public_key`. */
function publicKeysOf(invite: RoomEvent): string[] {
  const keys: string[] = [];
  const single = invite.content['public_key'];
  if (typeof single === 'string') keys.push(single);
  const list = invite.content['public_keys'];
  if (Array.isArray(list)) {
    for (const entry of list) {
      if (isJsonObject(entry) && typeof entry['public_key'] === 'string') keys.push(entry['public_key']);
    }
  }
  return keys;
}

/**
 * An invite carrying `third_party_invite` (member rule "If content has a third_party_invite
 * property"). The sender need not be joined: the identity server's signature over `signed`,
 * tied to an `m.room.third_party_invite` the same sender made, is what authorises it.
 */
export function checkThirdPartyInviteMember(event: RoomEvent, state: AuthState): AuthResult {
  const target = event.state_key as string;
  if (membershipOf(state, target) === 'ban') return reject('third-party invite: the target user is banned');

  const thirdPartyInvite = event.content['third_party_invite'];
  const signed: JsonObject | undefined =
    isJsonObject(thirdPartyInvite) && isJsonObject(thirdPartyInvite['signed']) ? thirdPartyInvite['signed'] : undefined;
  if (!signed) return reject('third-party invite: no signed object');
  if (!('mxid' in signed) || !('token' in signed)) return reject('third-party invite: signed lacks mxid or token');
  if (signed['mxid'] !== target) return reject('third-party invite: signed.mxid does not match the state_key');

  const token = signed['token'];
  const invite = typeof token === 'string' ? state.get(THIRD_PARTY_INVITE, token) : undefined;
  if (!invite) return reject('third-party invite: no m.room.third_party_invite for the token');
  if (invite.sender !== event.sender) return reject('third-party invite: sender differs from the m.room.third_party_invite sender');

  if (anySignatureMatches(signed, publicKeysOf(invite))) return ALLOW;
  return reject('third-party invite: no signature in signed matches the invite public keys');
}

/** `m.room.third_party_invite` events need the invite level, not the event type's level. */
export function checkThirdPartyInviteEvent(state: AuthState, senderLevel: number): AuthResult {
  const inviteLevel = powerLevelAction('invite', powerLevelsEvent(state));
  return senderLevel >= inviteLevel ? ALLOW : reject('m.room.third_party_invite: sender is below the invite level');
}
