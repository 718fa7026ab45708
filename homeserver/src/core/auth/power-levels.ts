import type { RoomEvent } from '../events.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import type { RoomVersion } from '../room-versions.js';
import { ALLOW, reject, type AuthResult, type AuthState } from './result.js';
import { createEvent, powerLevelsEvent } from './state.js';
import { isValidUserId } from './user-id.js';

/** The integer-valued top-level properties the rules compare one by one. */
const LEVEL_FIELDS = ['users_default', 'events_default', 'state_default', 'ban', 'redact', 'kick', 'invite'] as const;

/** What an unset action level means; `invite` is the only one open to everybody. */
const ACTION_DEFAULTS = { invite: 0, kick: 50, ban: 50, redact: 50 } as const;

/** Without a power levels event the creator(s) rank at this level in versions before 12. */
const CREATOR_DEFAULT_LEVEL = 100;

const INTEGER_STRING = /^\s*[+-]?\d+\s*$/;

/**
 * Room versions before 10 allowed integers written as strings. From v10 on the auth rules reject
 * such events, so they can only be met in state of older rooms; reading them leniently is safe.
 */
function readLevel(value: JsonValue | undefined): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value === 'string' && INTEGER_STRING.test(value)) return Number.parseInt(value, 10);
  return undefined;
}

function isValidLevel(value: JsonValue | undefined, rv: RoomVersion): boolean {
  if (typeof value === 'number') return Number.isInteger(value);
  return !rv.integerPowerLevels && typeof value === 'string' && INTEGER_STRING.test(value);
}

function objectAt(content: JsonObject | undefined, key: string): JsonObject | undefined {
  const value = content?.[key];
  return isJsonObject(value) ? value : undefined;
}

/**
 * The room creators. v12 counts `additional_creators` too (its entries were validated when the
 * create event was authorised; non-strings are skipped rather than trusted).
 */
export function roomCreators(create: RoomEvent, rv: RoomVersion): Set<string> {
  const creators = new Set<string>();
  if (rv.implicitCreator) {
    creators.add(create.sender);
  } else {
    const creator = create.content['creator'];
    if (typeof creator === 'string') creators.add(creator);
  }
  if (rv.privilegedCreators) {
    const additional = create.content['additional_creators'];
    if (Array.isArray(additional)) {
      for (const id of additional) if (typeof id === 'string') creators.add(id);
    }
  }
  return creators;
}

export function userPowerLevel(
  userId: string,
  powerLevels: RoomEvent | undefined,
  create: RoomEvent | undefined,
  rv: RoomVersion,
): number {
  const creators = create ? roomCreators(create, rv) : new Set<string>();
  if (rv.privilegedCreators && creators.has(userId)) return Infinity;
  if (powerLevels) {
    const explicit = readLevel(objectAt(powerLevels.content, 'users')?.[userId]);
    if (explicit !== undefined) return explicit;
    return readLevel(powerLevels.content['users_default']) ?? 0;
  }
  return creators.has(userId) ? CREATOR_DEFAULT_LEVEL : 0;
}

/** The spec's "required power level": `events[type]`, else `state_default` (50) or `events_default` (0). */
export function requiredPowerLevelForEvent(type: string, isState: boolean, powerLevels: RoomEvent | undefined): number {
  const content = powerLevels?.content;
  const specific = readLevel(objectAt(content, 'events')?.[type]);
  if (specific !== undefined) return specific;
  return isState ? (readLevel(content?.['state_default']) ?? 50) : (readLevel(content?.['events_default']) ?? 0);
}

export function powerLevelAction(action: 'invite' | 'kick' | 'ban' | 'redact', powerLevels: RoomEvent | undefined): number {
  return readLevel(powerLevels?.content[action]) ?? ACTION_DEFAULTS[action];
}

/** Shape checks that do not depend on the previous power levels. */
function checkPowerLevelsContent(content: JsonObject, state: AuthState, rv: RoomVersion): AuthResult {
  if (rv.integerPowerLevels) {
    for (const field of LEVEL_FIELDS) {
      if (field in content && !isValidLevel(content[field], rv)) return reject(`power levels: ${field} is not an integer`);
    }
    for (const field of ['events', 'notifications']) {
      if (!(field in content)) continue;
      const map = content[field];
      if (!isJsonObject(map) || !Object.values(map).every((v) => isValidLevel(v, rv))) {
        return reject(`power levels: ${field} is not an object of integers`);
      }
    }
  }
  if ('users' in content) {
    const users = content['users'];
    if (!isJsonObject(users)) return reject('power levels: users is not an object');
    for (const [userId, level] of Object.entries(users)) {
      if (!isValidUserId(userId)) return reject(`power levels: users has an invalid user ID ${JSON.stringify(userId)}`);
      if (!isValidLevel(level, rv)) return reject(`power levels: users entry for ${userId} is not an integer`);
    }
  }
  if (rv.privilegedCreators) {
    // Creators already have infinite power; listing them would suggest they can be demoted.
    const create = createEvent(state);
    const users = objectAt(content, 'users');
    if (create && users) {
      for (const creator of roomCreators(create, rv)) {
        if (Object.hasOwn(users, creator)) return reject(`power levels: room creator ${creator} must not be listed in users`);
      }
    }
  }
  return ALLOW;
}

/** How an entry's current value limits changing it: the spec is stricter about other users. */
type CurrentLimit = 'above-sender' | 'at-or-above-sender' | 'none';

/** One entry being added, changed or removed; absent values are not compared. */
function mayChange(current: number | undefined, next: number | undefined, senderLevel: number, limit: CurrentLimit): boolean {
  if (current === next) return true;
  if (current !== undefined) {
    if (limit === 'above-sender' && current > senderLevel) return false;
    if (limit === 'at-or-above-sender' && current >= senderLevel) return false;
  }
  return next === undefined || next <= senderLevel;
}

function changedKeys(before: JsonObject | undefined, after: JsonObject | undefined): Set<string> {
  return new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
}

/** The `m.room.power_levels` rules (v10/v11 rule 9, v12 rule 10). */
export function checkPowerLevelsEvent(event: RoomEvent, state: AuthState, rv: RoomVersion, senderLevel: number): AuthResult {
  const content = event.content;
  const shape = checkPowerLevelsContent(content, state, rv);
  if (!shape.ok) return shape;

  const previous = powerLevelsEvent(state);
  if (!previous) return ALLOW;
  const old = previous.content;

  for (const field of LEVEL_FIELDS) {
    if (!mayChange(readLevel(old[field]), readLevel(content[field]), senderLevel, 'above-sender')) {
      return reject(`power levels: sender may not change ${field} beyond their own level`);
    }
  }

  const maps = rv.limitNotificationsPowerLevels ? ['events', 'notifications'] : ['events'];
  for (const field of maps) {
    const before = objectAt(old, field);
    const after = objectAt(content, field);
    for (const key of changedKeys(before, after)) {
      if (!mayChange(readLevel(before?.[key]), readLevel(after?.[key]), senderLevel, 'above-sender')) {
        return reject(`power levels: sender may not change ${field}[${key}] beyond their own level`);
      }
    }
  }

  const usersBefore = objectAt(old, 'users');
  const usersAfter = objectAt(content, 'users');
  for (const userId of changedKeys(usersBefore, usersAfter)) {
    // Your own current level never blocks changing your entry; peers at your level are out of reach.
    const limit = userId === event.sender ? 'none' : 'at-or-above-sender';
    if (!mayChange(readLevel(usersBefore?.[userId]), readLevel(usersAfter?.[userId]), senderLevel, limit)) {
      return reject(`power levels: sender may not change the level of ${userId}`);
    }
  }
  return ALLOW;
}
