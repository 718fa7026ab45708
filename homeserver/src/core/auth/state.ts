import type { RoomEvent } from '../events.js';
import type { AuthState } from './result.js';

export const CREATE = 'm.room.create';
export const MEMBER = 'm.room.member';
export const POWER_LEVELS = 'm.room.power_levels';
export const JOIN_RULES = 'm.room.join_rules';
export const THIRD_PARTY_INVITE = 'm.room.third_party_invite';

export function createEvent(state: AuthState): RoomEvent | undefined {
  return state.get(CREATE, '');
}

export function powerLevelsEvent(state: AuthState): RoomEvent | undefined {
  return state.get(POWER_LEVELS, '');
}

/** A user without a member event (or with a malformed one) has, for the rules, left. */
export function membershipOf(state: AuthState, userId: string): string {
  const membership = state.get(MEMBER, userId)?.content['membership'];
  return typeof membership === 'string' ? membership : 'leave';
}

/**
 * Undefined when the room has no join rules event: the spec's join branches then match nothing
 * and only the creator's first join can pass.
 */
export function joinRuleOf(state: AuthState): string | undefined {
  const rule = state.get(JOIN_RULES, '')?.content['join_rule'];
  return typeof rule === 'string' ? rule : undefined;
}
