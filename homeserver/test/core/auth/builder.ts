import test, { type ExecutionContext } from 'ava';
import { stateKey, type RoomEvent } from '../../../src/core/events.js';
import type { JsonObject } from '../../../src/core/json.js';
import { roomVersion, type RoomVersion } from '../../../src/core/room-versions.js';
import { checkEventAuth, type AuthOptions, type AuthResult, type AuthState } from '../../../src/core/auth/index.js';

export const ALICE = '@alice:a.example'; // creator
export const MOD = '@mod:b.example'; // power 50
export const BOB = '@bob:b.example'; // joined, power 0
export const CAROL = '@carol:c.example'; // not in the room
export const DAVE = '@dave:a.example'; // not in the room, creator's server

export const ALL_VERSIONS = ['10', '11', '12'] as const;
export type VersionId = (typeof ALL_VERSIONS)[number];

export function rv(id: string): RoomVersion {
  const v = roomVersion(id);
  if (!v) throw new Error(`unknown room version ${id}`);
  return v;
}

/** Registers one test per listed room version, titled `v<id> <title>`. */
export function forVersions(
  ids: readonly VersionId[],
  title: string,
  body: (t: ExecutionContext, version: RoomVersion) => void,
): void {
  for (const id of ids) test(`v${id} ${title}`, (t) => body(t, rv(id)));
}

export function allowed(t: ExecutionContext, result: AuthResult): void {
  t.deepEqual(result, { ok: true });
}

export function rejected(t: ExecutionContext, result: AuthResult, reason?: RegExp): void {
  t.false(result.ok, 'expected a rejection');
  if (!result.ok && reason) t.regex(result.reason, reason);
}

export type EventFields = Partial<RoomEvent> & { type: string; sender: string } & Record<string, unknown>;

/**
 * A room as the auth rules see it: a create event plus whatever state a test adds. Room and
 * event IDs follow the version's format closely enough for the rules (v12: `!` + create hash).
 */
export class Room {
  readonly version: RoomVersion;
  readonly roomId: string;
  readonly create: RoomEvent;
  private readonly state = new Map<string, RoomEvent>();
  private counter = 0;

  constructor(versionId: string, createContent: JsonObject = {}, creator = ALICE) {
    this.version = rv(versionId);
    const content: JsonObject = { room_version: versionId, ...createContent };
    if (!this.version.implicitCreator && !('creator' in createContent)) content['creator'] = creator;
    if (this.version.roomIdFromCreateEvent) {
      this.create = { event_id: '$CreateHash', sender: creator, type: 'm.room.create', state_key: '', content, origin_server_ts: 0, prev_events: [], auth_events: [] };
      this.roomId = '!CreateHash';
    } else {
      this.roomId = `!room:${creator.slice(creator.indexOf(':') + 1)}`;
      this.create = { event_id: '$create', room_id: this.roomId, sender: creator, type: 'm.room.create', state_key: '', content, origin_server_ts: 0, prev_events: [], auth_events: [] };
    }
    this.put(this.create);
  }

  /** An event in this room with harmless defaults for whatever the test leaves out. */
  event(fields: EventFields): RoomEvent {
    this.counter += 1;
    return {
      event_id: `$e${this.counter}`,
      room_id: this.roomId,
      content: {},
      origin_server_ts: this.counter,
      prev_events: ['$somewhere'],
      auth_events: [],
      ...fields,
    } as RoomEvent;
  }

  put(event: RoomEvent): RoomEvent {
    if (event.state_key === undefined) throw new Error('only state events go into state');
    this.state.set(stateKey(event.type, event.state_key), event);
    return event;
  }

  remove(type: string, key: string): this {
    this.state.delete(stateKey(type, key));
    return this;
  }

  member(userId: string, membership: string, content: JsonObject = {}): this {
    this.put(this.event({ type: 'm.room.member', sender: userId, state_key: userId, content: { membership, ...content } }));
    return this;
  }

  powerLevels(content: JsonObject, sender = ALICE): this {
    this.put(this.event({ type: 'm.room.power_levels', sender, state_key: '', content }));
    return this;
  }

  joinRules(joinRule: string): this {
    this.put(this.event({ type: 'm.room.join_rules', sender: ALICE, state_key: '', content: { join_rule: joinRule } }));
    return this;
  }

  get(type: string, key: string): RoomEvent | undefined {
    return this.state.get(stateKey(type, key));
  }

  authState(): AuthState {
    return { get: (type, key) => this.state.get(stateKey(type, key)) };
  }

  /** Checks a full event as given, or fills the defaults in around bare fields. */
  check(fields: EventFields, options?: AuthOptions): AuthResult {
    const event = typeof fields.event_id === 'string' ? (fields as RoomEvent) : this.event(fields);
    return checkEventAuth(event, this.authState(), this.version, options);
  }
}

/** Power levels of the standard room; v12 creators must not be listed, earlier versions list alice at 100. */
export function standardPowerLevels(versionId: string, extra: JsonObject = {}): JsonObject {
  const users: JsonObject = { [MOD]: 50 };
  if (!rv(versionId).privilegedCreators) users[ALICE] = 100;
  return {
    users,
    users_default: 0,
    events: { 'm.room.name': 50, 'm.room.power_levels': 100 },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: 0,
    ...extra,
  };
}

/** alice (creator), mod (50) and bob (0) joined, with the given join rule. */
export function standardRoom(versionId: string, joinRule = 'invite', createContent: JsonObject = {}): Room {
  const room = new Room(versionId, createContent);
  room.member(ALICE, 'join');
  room.powerLevels(standardPowerLevels(versionId));
  room.joinRules(joinRule);
  room.member(MOD, 'join');
  room.member(BOB, 'join');
  return room;
}
